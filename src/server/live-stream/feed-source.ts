/**
 * Either change feed as the async one: the live stream and `skein tail`
 * have one code path, for SQLite's synchronous feed (its commit version
 * polled, and the reads wrapped) and PostgreSQL's (its own wake-up).
 */

import type { ChangeEvent } from '../../model/live-event.js';
import type { AsyncChangeFeedReader, ChangeFeedReader, ChangeFeedState, ReadChangesOptions } from '../../store/change-feed.js';

export type AnyChangeFeedReader = ChangeFeedReader | AsyncChangeFeedReader;

/** How often a synchronous feed's commit version is checked while anyone listens. */
export const DEFAULT_COMMIT_POLL_MILLIS = 150;

function isSyncFeed(store: AnyChangeFeedReader): store is ChangeFeedReader {
  return typeof (store as Partial<ChangeFeedReader>).commitVersion === 'function';
}

/**
 * `store` as an `AsyncChangeFeedReader`: an async one as it is; a synchronous
 * one read at call time (the answer is settled before anything else runs),
 * its `onCommit` a poll of `commitVersion()` every `pollIntervalMillis`.
 */
export function asAsyncChangeFeed(store: AnyChangeFeedReader, pollIntervalMillis = DEFAULT_COMMIT_POLL_MILLIS): AsyncChangeFeedReader {
  if (!isSyncFeed(store)) return store;
  if (!Number.isFinite(pollIntervalMillis) || pollIntervalMillis <= 0) {
    throw new RangeError(`pollIntervalMillis must be a positive number, got ${String(pollIntervalMillis)}`);
  }
  return new PolledChangeFeed(store, pollIntervalMillis);
}

class PolledChangeFeed implements AsyncChangeFeedReader {
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private version = Number.NaN;

  constructor(
    private readonly store: ChangeFeedReader,
    private readonly pollIntervalMillis: number,
  ) {}

  readChanges(afterSeq: number, options: ReadChangesOptions): Promise<ChangeEvent[]> {
    return settled(() => this.store.readChanges(afterSeq, options));
  }

  latestChangeSeq(): Promise<number> {
    return settled(() => this.store.latestChangeSeq());
  }

  changeFeedState(): Promise<ChangeFeedState> {
    return settled(() => this.store.changeFeedState());
  }

  /** Throws, as the store does, when it cannot tell its version (closed). */
  onCommit(listener: () => void): () => void {
    if (this.timer === null) {
      this.version = this.store.commitVersion();
      this.timer = setInterval(() => this.poll(), this.pollIntervalMillis);
      this.timer.unref();
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer !== null) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  private poll(): void {
    try {
      const version = this.store.commitVersion();
      if (version === this.version) return;
      this.version = version;
    } catch {
      // A broken store: wake the readers, whose read meets the error and reports it; wake again once it works.
      this.version = Number.NaN;
    }
    for (const listener of [...this.listeners]) listener();
  }
}

/** `read()`'s answer or error as a promise, read now. */
function settled<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (error) {
    return Promise.reject(error);
  }
}
