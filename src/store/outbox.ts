/** The forwarding outbox's records and errors, as every store's outbox gives them (SQLite: `SqliteOutbox`). */

/** One queued delivery: a ready-to-send OTLP protobuf request for one upstream. */
export interface OutboxEntry {
  id: number;
  upstream: string;
  payload: Uint8Array;
  spanCount: number;
  enqueuedAtMillis: number;
  attempts: number;
}

export interface OutboxDepth {
  upstream: string;
  entries: number;
  spans: number;
  bytes: number;
  oldestEnqueuedAtMillis: number | null;
}

export interface DeadLetter {
  id: number;
  upstream: string;
  spanCount: number;
  attempts: number;
  failedAtMillis: number;
  status: number | null;
  response: string;
}

/** One upstream's queue and dead letters, read from the tables (`skein outbox`). */
export interface OutboxQueue {
  upstream: string;
  entries: number;
  spans: number;
  bytes: number;
  oldestEnqueuedAtMillis: number | null;
  deadLetters: number;
  deadSpans: number;
}

/** A dead letter in full: what `deadLetters()` lists plus when it was queued and its payload. */
export interface DeadLetterRecord extends DeadLetter {
  enqueuedAtMillis: number;
  bytes: number;
  /** The OTLP protobuf request as it was sent. */
  payload: Uint8Array;
}

/** A dead letter moved back into the queue: `deadId` is gone, `id` is the queued entry. */
export interface ReplayedDeadLetter {
  deadId: number;
  id: number;
  upstream: string;
  spanCount: number;
  bytes: number;
}

export interface DroppedQueue {
  upstream: string;
  entries: number;
  spans: number;
  bytes: number;
  deadLetters: number;
}

/** `replayDead` was given ids that are not dead letters (any more): nothing was moved. */
export class DeadLetterNotFoundError extends Error {
  override name = 'DeadLetterNotFoundError';
  constructor(readonly ids: readonly number[]) {
    super(`no dead letter with id ${ids.join(', ')}`);
  }
}
