/**
 * The conditions of `listLogs` and `listMetricPoints`: the time range and
 * a keyset cursor on (time, id) (pages ascend), checked with an `InvalidQueryError` naming
 * the field at fault (as the SQLite store's signal-pages.ts).
 */

import { InvalidQueryError } from '../errors.js';
import { decodeCursor } from '../common/cursor.js';
import { bigintParam } from '../common/query-params.js';

const MIN_INT8 = -(2n ** 63n);
const MAX_INT8 = 2n ** 63n - 1n;

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
    // A row comparison, not `t > $t OR (t = $t AND id > $id)`: it is an index condition on (time, id),
    // so a deep page starts where the last ended instead of filtering every row before it.
    where.add(`(${columns.time}, ${columns.id}) > (${t}::int8, ${id}::int8)`);
  }
}
