/**
 * The forwarding outbox's records and errors, as every store's outbox gives
 * them (SQLite: `SqliteOutbox`). Every signal shares the outbox: an entry's
 * `signal` says which OTLP request its payload is, and `spanCount` / `spans`
 * (names kept from when only traces were forwarded) count the payload's
 * items: spans, log records or metric data points.
 */
import type { OtlpSignal } from '../model/signals.js';

export type { OtlpSignal } from '../model/signals.js';

export interface EnqueueOptions {
  /** Which OTLP request the payload is; `traces` when not given. */
  signal?: OtlpSignal;
  /** The enqueue time (epoch millis); now when not given. */
  nowMillis?: number;
}

/** One queued delivery: a ready-to-send OTLP protobuf request for one upstream. */
export interface OutboxEntry {
  id: number;
  upstream: string;
  /** Which Export request the payload is (`ExportTraceServiceRequest`, logs, metrics). */
  signal: OtlpSignal;
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
  signal: OtlpSignal;
  spanCount: number;
  attempts: number;
  failedAtMillis: number;
  /** The HTTP status, or for an OTLP/gRPC upstream the gRPC status code; null when there was no answer. */
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

/** One upstream's queue and dead letters of one signal, read from the tables (`skein outbox --json`). */
export interface OutboxSignalCount {
  upstream: string;
  signal: OtlpSignal;
  entries: number;
  items: number;
  deadLetters: number;
  deadItems: number;
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
  signal: OtlpSignal;
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
