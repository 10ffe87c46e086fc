/**
 * What `listLogs` and `listMetricPoints` share: the page limit (default 100,
 * at most 1000), the time range, and a keyset cursor on (time, id), all
 * checked with an `InvalidQueryError` naming the field at fault (as the
 * SQLite store's signal-pages.ts).
 */

import { InvalidQueryError } from '../errors.js';
import { decodeCursor, encodeCursor } from '../common/cursor.js';
import { bigintParam } from './query-params.js';

export const DEFAULT_SIGNAL_PAGE_LIMIT = 100;
export const MAX_SIGNAL_PAGE_LIMIT = 1000;

const MIN_INT8 = -(2n ** 63n);
const MAX_INT8 = 2n ** 63n - 1n;

export function signalPageLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_SIGNAL_PAGE_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_SIGNAL_PAGE_LIMIT) {
    throw new InvalidQueryError(`limit must be an integer from 1 to ${MAX_SIGNAL_PAGE_LIMIT}`, 'limit');
  }
  return limit;
}

/** A statement's conditions and its parameters, `$1`... in the order they are added. */
export class SqlWhere {
  readonly conditions: string[] = [];
  readonly values: unknown[] = [];

  /** The placeholder of `value`, added to the parameters. */
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  add(condition: string): void {
    this.conditions.push(condition);
  }

  /** `WHERE ...`, or nothing when there is no condition. */
  clause(): string {
    return this.conditions.length === 0 ? '' : `WHERE ${this.conditions.join(' AND ')}`;
  }
}

/** Adds the range and cursor conditions on `columns.time` (and `columns.id`, the tie-break). */
export function addRangeAndCursor(
  query: { fromUnixNano?: unknown; toUnixNano?: unknown; cursor?: unknown },
  kind: string,
  columns: { time: string; id: string },
  where: SqlWhere,
): void {
  let from: bigint | undefined;
  if (query.fromUnixNano !== undefined) {
    from = bigintParam(query.fromUnixNano, 'fromUnixNano');
    where.add(`${columns.time} >= ${where.param(from)}`);
  }
  if (query.toUnixNano !== undefined) {
    const to = bigintParam(query.toUnixNano, 'toUnixNano');
    if (from !== undefined && to < from) {
      throw new InvalidQueryError('toUnixNano must not be before fromUnixNano', 'toUnixNano');
    }
    where.add(`${columns.time} < ${where.param(to)}`);
  }
  if (query.cursor !== undefined) {
    if (typeof query.cursor !== 'string') throw new InvalidQueryError('cursor must be a string', 'cursor');
    const cursor = decodeCursor(query.cursor, kind);
    const time = typeof cursor.key === 'string' && /^-?\d{1,19}$/.test(cursor.key) ? BigInt(cursor.key) : null;
    if (time === null || time < MIN_INT8 || time > MAX_INT8 || !Number.isSafeInteger(cursor.id)) {
      throw new InvalidQueryError('malformed cursor', 'cursor');
    }
    const t = where.param(time);
    const id = where.param(cursor.id);
    where.add(`(${columns.time} > ${t} OR (${columns.time} = ${t} AND ${columns.id} > ${id}))`);
  }
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
