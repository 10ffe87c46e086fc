/**
 * One reader of the change feed for every live client. Woken after commits
 * (SQLite: its commit version, polled; PostgreSQL: LISTEN/NOTIFY and a
 * poll), it reads the new events once into a small in-memory window that
 * every client up to date reads from. A client further behind (a resume, a
 * slow reader) reads the store itself from its own position: the feed is
 * durable, so nobody is ever buffered without bound.
 *
 * Reads are asynchronous (PostgreSQL's are network round trips), so the hub
 * reads one page at a time: a wake-up during a read starts another after it,
 * and the window only ever grows at its end, in seq order.
 */

import type { ChangeEvent } from '../../model/live-event.js';
import type { AsyncChangeFeedReader } from '../../store/change-feed.js';
import { asAsyncChangeFeed, DEFAULT_COMMIT_POLL_MILLIS } from './feed-source.js';
import type { AnyChangeFeedReader } from './feed-source.js';

export interface ChangeHubOptions {
  store: AnyChangeFeedReader;
  /**
   * How often a synchronous (SQLite) store's commit version is checked while anyone
   * listens; for either store, the delay before a failed read is tried again. Default 150.
   */
  pollIntervalMillis?: number;
  /** Events kept in memory for clients that are up to date. Default 2000. */
  windowSize?: number;
  /** Store read errors (a closed or broken database, once per run of failures); reading goes on. Default console.error. */
  onError?: (error: unknown) => void;
}

export interface HubRead {
  events: ChangeEvent[];
  /** Every event the reader wants with `seq <= position` has now been returned. */
  position: number;
  /** The reader's position is older than the feed keeps: events were lost, it must bootstrap again. */
  expired: boolean;
}

const READ_PAGE = 1000;

export class ChangeHub {
  private readonly feed: AsyncChangeFeedReader;
  private readonly retryMillis: number;
  private readonly windowSize: number;
  private readonly onError: (error: unknown) => void;
  private readonly listeners = new Set<() => void>();
  /** Set while anyone listens. */
  private unsubscribeFeed: (() => void) | null = null;
  /** Bumped at every start and stop: a read of an earlier run that settles late changes nothing. */
  private run = 0;
  private reading = false;
  private readAgain = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /**
   * Every event with seq in (windowBase, cursor] is in `window`, in order. `windowBase` is
   * infinite while the window holds nothing trustworthy (stopped, not positioned yet, failing).
   */
  private window: ChangeEvent[] = [];
  private windowBase = Number.POSITIVE_INFINITY;
  private cursor = 0;
  /** `cursor` was set in this run. */
  private positioned = false;
  /** The last read failed: clients read the store themselves, so a broken store ends their streams. */
  private failing = false;

  constructor(options: ChangeHubOptions) {
    const pollIntervalMillis = Math.max(1, options.pollIntervalMillis ?? DEFAULT_COMMIT_POLL_MILLIS);
    this.feed = asAsyncChangeFeed(options.store, pollIntervalMillis);
    this.retryMillis = pollIntervalMillis;
    this.windowSize = Math.max(1, options.windowSize ?? 2000);
    this.onError = options.onError ?? ((error) => console.error('skein live stream:', error));
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Calls `listener` after new events were committed. The hub reads while anyone listens. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.unsubscribeFeed === null) {
      try {
        this.start();
      } catch (error) {
        this.listeners.delete(listener);
        throw error;
      }
    }
    return () => {
      if (!this.listeners.delete(listener)) return;
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** The latest event id, for a client that starts from now. */
  async latestSeq(): Promise<number> {
    return Math.max(this.cursor, await this.feed.latestChangeSeq());
  }

  /**
   * Events after `position` (of one session, if given), at most `limit`:
   * from the window when it covers `position` (nothing awaited), else from
   * the store. The position returned never passes an event not returned.
   */
  async read(position: number, sessionId: string | undefined, limit: number): Promise<HubRead> {
    if (position >= this.windowBase && position <= this.cursor) {
      const events: ChangeEvent[] = [];
      let i = this.firstAfter(position);
      for (; i < this.window.length && events.length < limit; i++) {
        const event = this.window[i];
        if (sessionId === undefined || event.sessionId === sessionId) events.push(event);
      }
      const complete = i >= this.window.length;
      return { events, position: complete ? this.cursor : this.window[i - 1].seq, expired: false };
    }
    // The state first: every event up to its latestSeq is committed, so the read below sees all of them.
    const state = await this.feed.changeFeedState();
    if (position < state.trimmedThroughSeq || position > state.latestSeq) {
      return { events: [], position: state.latestSeq, expired: true };
    }
    const events = await this.feed.readChanges(position, { sessionId, limit });
    if (events.length === limit) return { events, position: events[events.length - 1].seq, expired: false };
    // Fewer than asked: nothing more matched up to the latest commit, which is at least `latestSeq`.
    const last = events.length > 0 ? events[events.length - 1].seq : position;
    return { events, position: Math.max(last, position, state.latestSeq), expired: false };
  }

  private start(): void {
    const run = ++this.run;
    this.window = [];
    this.windowBase = Number.POSITIVE_INFINITY;
    this.positioned = false;
    this.failing = false;
    this.reading = false;
    this.readAgain = false;
    // Subscribed before the first read, so no commit after that read goes unannounced.
    this.unsubscribeFeed = this.feed.onCommit(() => {
      if (run === this.run) this.wake();
    });
    this.wake();
  }

  private stop(): void {
    this.run++;
    this.unsubscribeFeed?.();
    this.unsubscribeFeed = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.window = [];
    this.windowBase = Number.POSITIVE_INFINITY;
    this.reading = false;
  }

  /** Starts a read, or asks the one under way for another after it: never two at once. */
  private wake(): void {
    if (this.unsubscribeFeed === null) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    void this.readLoop(this.run);
  }

  private async readLoop(run: number): Promise<void> {
    do {
      this.readAgain = false;
      const added = await this.readNew(run);
      if (run !== this.run) return;
      if (added) for (const listener of [...this.listeners]) listener();
    } while (this.readAgain);
    this.reading = false;
  }

  /** Appends the events after the cursor to the window; true when there were any, or when the store failed. */
  private async readNew(run: number): Promise<boolean> {
    try {
      if (!this.positioned) {
        const latest = await this.feed.latestChangeSeq();
        if (run !== this.run) return false;
        this.cursor = latest;
        this.positioned = true;
        this.window = [];
        this.windowBase = latest;
      }
      let added = false;
      for (;;) {
        const events = await this.feed.readChanges(this.cursor, { limit: READ_PAGE });
        if (run !== this.run) return false;
        if (this.failing) {
          // Working again: the window restarts, empty, at the cursor, which failures never move.
          this.failing = false;
          this.window = [];
          this.windowBase = this.cursor;
        }
        if (events.length === 0) break;
        this.window.push(...events);
        this.cursor = events[events.length - 1].seq;
        added = true;
        if (events.length < READ_PAGE) break;
      }
      if (this.window.length > this.windowSize) {
        const drop = this.window.length - this.windowSize;
        this.windowBase = this.window[drop - 1].seq;
        this.window = this.window.slice(drop);
      }
      return added;
    } catch (error) {
      if (run !== this.run) return false;
      // Once per run of failures, not every try.
      if (!this.failing) this.onError(error);
      this.failing = true;
      this.window = [];
      this.windowBase = Number.POSITIVE_INFINITY;
      this.retryLater(run);
      return true;
    }
  }

  /** A failed read is tried again after `retryMillis`, besides at the next wake-up (which may not come). */
  private retryLater(run: number): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (run === this.run) this.wake();
    }, this.retryMillis);
    this.retryTimer.unref();
  }

  /** Index of the first window event with seq > position (binary search: seqs increase). */
  private firstAfter(position: number): number {
    let lo = 0;
    let hi = this.window.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.window[mid].seq <= position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
