/**
 * What `listLogs` and `listMetricPoints` share: the page limit (default 100,
 * at most 1000), the time range, and a keyset cursor on (time, id), all
 * checked with an `InvalidQueryError` naming the field at fault.
 */

import { InvalidQueryError } from '../errors.js';
import { decodeCursor, encodeCursor } from '../common/cursor.js';
import { bigintParam } from './session-queries.js';

export const DEFAULT_SIGNAL_PAGE_LIMIT = 100;
export const MAX_SIGNAL_PAGE_LIMIT = 1000;

export function signalPageLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_SIGNAL_PAGE_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_SIGNAL_PAGE_LIMIT) {
    throw new InvalidQueryError(`limit must be an integer from 1 to ${MAX_SIGNAL_PAGE_LIMIT}`, 'limit');
  }
  return limit;
}

export type SqlParams = Record<string, string | number | bigint | Buffer>;

/** Adds the range and cursor conditions on `timeColumn` (and `idColumn`, the tie-break) to `where`. */
export function addRangeAndCursor(
  query: { fromUnixNano?: unknown; toUnixNano?: unknown; cursor?: unknown },
  kind: string,
  columns: { time: string; id: string },
  where: string[],
  params: SqlParams,
): void {
  let from: bigint | undefined;
  if (query.fromUnixNano !== undefined) {
    params.from = from = bigintParam(query.fromUnixNano, 'fromUnixNano');
    where.push(`${columns.time} >= @from`);
  }
  if (query.toUnixNano !== undefined) {
    const to = (params.to = bigintParam(query.toUnixNano, 'toUnixNano'));
    if (from !== undefined && to < from) {
      throw new InvalidQueryError('toUnixNano must not be before fromUnixNano', 'toUnixNano');
    }
    where.push(`${columns.time} < @to`);
  }
  if (query.cursor !== undefined) {
    if (typeof query.cursor !== 'string') throw new InvalidQueryError('cursor must be a string', 'cursor');
    const cursor = decodeCursor(query.cursor, kind);
    if (typeof cursor.key !== 'string' || !/^-?\d{1,19}$/.test(cursor.key) || !Number.isSafeInteger(cursor.id)) {
      throw new InvalidQueryError('malformed cursor', 'cursor');
    }
    params.cursorTime = BigInt(cursor.key);
    params.cursorId = cursor.id;
    where.push(`(${columns.time} > @cursorTime OR (${columns.time} = @cursorTime AND ${columns.id} > @cursorId))`);
  }
}

/** The page's items and the cursor after its last one, when there are more. */
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
