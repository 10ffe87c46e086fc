/**
 * What both stores' `listLogs` and `listMetricPoints` share around their
 * SQL: the page limit (default 100, at most 1000), checked with an
 * `InvalidQueryError`, and the page with its keyset cursor on (time, id).
 * The time range and the cursor's condition are each store's signal-pages.ts.
 */

import { InvalidQueryError } from '../errors.js';
import { encodeCursor } from './cursor.js';

export const DEFAULT_SIGNAL_PAGE_LIMIT = 100;
export const MAX_SIGNAL_PAGE_LIMIT = 1000;

export function signalPageLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_SIGNAL_PAGE_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_SIGNAL_PAGE_LIMIT) {
    throw new InvalidQueryError(`limit must be an integer from 1 to ${MAX_SIGNAL_PAGE_LIMIT}`, 'limit');
  }
  return limit;
}

/** The page's items and the cursor after its last one, when there are more (`rows` has up to `limit + 1`). */
export function pageOf<Row extends { id: bigint }, T>(
  rows: Row[],
  limit: number,
  kind: string,
  timeOf: (row: Row) => bigint,
  convert: (row: Row) => T,
): { items: T[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1] as Row | undefined;
  return {
    items: page.map(convert),
    nextCursor: more && last ? encodeCursor({ kind, key: timeOf(last).toString(), id: Number(last.id) }) : null,
  };
}
