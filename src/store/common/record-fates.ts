/** What becomes of each span record of a batch, on both stores' write paths. */

import type { SpanRecord } from '../../model/types.js';

export const WRITTEN = 0;
export const SUPERSEDED = 1;
export const IGNORED = 2;
export type Fate = typeof WRITTEN | typeof SUPERSEDED | typeof IGNORED;

/** A span's identity within a batch: its trace and span ids. */
export const spanKey = (traceId: string, spanId: string): string => `${traceId}/${spanId}`;

/**
 * What becomes of each record of a batch. The in-process processor queues a
 * step open at its start and again ended at its end, and both often land in
 * one batch: only the last record of a span is written (`WRITTEN`); earlier
 * ones (`SUPERSEDED`) still count for their session key, but are not written
 * (they would be overwritten within the same transaction, and an upsert of
 * changed text costs a full-text delete and insert). An open record after an
 * ended one is dropped (`IGNORED`), as it would be against the store.
 */
export function effectiveRecords(records: readonly SpanRecord[]): Fate[] {
  const fates = new Array<Fate>(records.length).fill(WRITTEN);
  if (records.length < 2) return fates;
  const last = new Map<string, number>();
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const key = spanKey(record.traceId, record.spanId);
    const previous = last.get(key);
    if (previous === undefined) {
      last.set(key, i);
    } else if (records[previous].endTimeUnixNano !== null && record.endTimeUnixNano === null) {
      fates[i] = IGNORED;
    } else {
      fates[previous] = SUPERSEDED;
      last.set(key, i);
    }
  }
  return fates;
}
