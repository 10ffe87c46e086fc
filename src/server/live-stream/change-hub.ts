/**
 * One poller for every live client. It watches the store's commit version
 * (SQLite's `data_version` plus this connection's own commits) and, only when
 * it moved, reads the new events once into a small in-memory window that
 * every client up to date reads from. A client further behind (a resume, a
 * slow reader) reads the store itself from its own position: the feed is
 * durable, so nobody is ever buffered without bound.
 */

import type { ChangeEvent } from '../../model/live-event.js';
import type { ChangeFeedReader } from '../../store/change-feed.js';

export interface ChangeHubOptions {
  store: ChangeFeedReader;
  /** How often the commit version is checked while anyone listens. Default 150. */
  pollIntervalMillis?: number;
  /** Events kept in memory for clients that are up to date. Default 2000. */
  windowSize?: number;
  /** Store read errors (a closed or broken database); polling goes on. Default console.error. */
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
  private readonly store: ChangeFeedReader;
  private readonly pollIntervalMillis: number;
  private readonly windowSize: number;
  private readonly onError: (error: unknown) => void;
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private version = -1;
  /** Every event with seq in (windowBase, cursor] is in `window`, in order. */
  private window: ChangeEvent[] = [];
  private windowBase = 0;
  private cursor = 0;
  /** The last poll failed: clients read the store themselves, so a broken store ends their streams. */
  private failing = false;

  constructor(options: ChangeHubOptions) {
    this.store = options.store;
    this.pollIntervalMillis = Math.max(1, options.pollIntervalMillis ?? 150);
    this.windowSize = Math.max(1, options.windowSize ?? 2000);
    this.onError = options.onError ?? ((error) => console.error('skein live stream:', error));
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Calls `listener` after new events were committed. The poller runs while anyone listens. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      try {
        this.start();
      } catch (error) {
        this.listeners.delete(listener);
        throw error;
      }
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** The latest event id, for a client that starts from now. */
  latestSeq(): number {
    return Math.max(this.cursor, this.store.latestChangeSeq());
  }

  /**
   * Events after `position` (of one session, if given), at most `limit`.
   * Synchronous, as the store is: nothing commits into the feed between the
   * read and the position it returns.
   */
  read(position: number, sessionId: string | undefined, limit: number): HubRead {
    if (this.timer && position >= this.windowBase && position <= this.cursor) {
      const events: ChangeEvent[] = [];
      let i = this.firstAfter(position);
      for (; i < this.window.length && events.length < limit; i++) {
        const event = this.window[i];
        if (sessionId === undefined || event.sessionId === sessionId) events.push(event);
      }
      const complete = i >= this.window.length;
      return { events, position: complete ? this.cursor : this.window[i - 1].seq, expired: false };
    }
    const state = this.store.changeFeedState();
    if (position < state.trimmedThroughSeq || position > state.latestSeq) {
      return { events: [], position: state.latestSeq, expired: true };
    }
    const events = this.store.readChanges(position, { sessionId, limit });
    if (events.length === limit) return { events, position: events[events.length - 1].seq, expired: false };
    // Fewer than asked: nothing more matched up to the latest commit, which is at least `latestSeq`.
    const last = events.length > 0 ? events[events.length - 1].seq : position;
    return { events, position: Math.max(last, position, state.latestSeq), expired: false };
  }

  /** Checks for commits now (the timer does this every `pollIntervalMillis`). */
  poll(): void {
    try {
      const version = this.store.commitVersion();
      if (this.failing) {
        this.failing = false;
        this.windowBase = this.cursor;
      }
      if (version === this.version) return;
      this.version = version;
      let added = false;
      for (;;) {
        const events = this.store.readChanges(this.cursor, { limit: READ_PAGE });
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
      if (!added) return;
    } catch (error) {
      // Once per run of failures, not every tick.
      if (!this.failing) this.onError(error);
      this.failing = true;
      this.window = [];
      this.windowBase = Number.POSITIVE_INFINITY;
    }
    for (const listener of [...this.listeners]) listener();
  }

  private start(): void {
    this.version = -1;
    this.window = [];
    this.cursor = this.store.latestChangeSeq();
    this.windowBase = this.cursor;
    this.version = this.store.commitVersion();
    this.timer = setInterval(() => this.poll(), this.pollIntervalMillis);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.window = [];
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
