import type { ChangeEvent } from '../model/live-event.js';

export interface ReadChangesOptions {
  /** Only this session's events. */
  sessionId?: string;
  /** At most this many events, oldest first. */
  limit: number;
}

export interface ChangeFeedState {
  /** Events with `seq <= trimmedThroughSeq` have been trimmed: resuming from before it has a gap. */
  trimmedThroughSeq: number;
  /** The last event committed (0 when there never was one). */
  latestSeq: number;
}

/**
 * A store's durable change feed: one event per step start, step end, session
 * update and interruption, appended in the transaction that made the change,
 * so the feed and the data never disagree and every writer of the database
 * (other processes included) appears in it.
 *
 * Methods are synchronous: they are meant for a local database, read on the
 * event loop between commits, which is what lets a reader reason about "every
 * event up to seq N" without races.
 */
export interface ChangeFeedReader {
  /** Events with `seq > afterSeq`, in seq order. */
  readChanges(afterSeq: number, options: ReadChangesOptions): ChangeEvent[];
  latestChangeSeq(): number;
  changeFeedState(): ChangeFeedState;
  /**
   * A number that changes whenever anything was committed to the database,
   * by this connection or another one. Cheap: poll it, and read only when it
   * moved.
   */
  commitVersion(): number;
}

/**
 * The change feed of a shared database (PostgreSQL), read over the network:
 * the same contract as `ChangeFeedReader` (events with `seq > afterSeq` in
 * seq order, ids strictly increasing in commit order across every writer, so
 * resuming after the last id seen has no gap and no duplicate), with
 * promises, and a wake-up instead of a version to poll.
 */
export interface AsyncChangeFeedReader {
  /** Events with `seq > afterSeq`, in seq order. */
  readChanges(afterSeq: number, options: ReadChangesOptions): Promise<ChangeEvent[]>;
  latestChangeSeq(): Promise<number>;
  changeFeedState(): Promise<ChangeFeedState>;
  /**
   * Calls `listener` soon after events are committed, by this process or
   * any other writer of the database (a hint: read from your position to
   * learn what; several commits may wake it once). `listener` must not
   * throw. Returns the unsubscribe.
   */
  onCommit(listener: () => void): () => void;
}
