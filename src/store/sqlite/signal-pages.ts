/**
 * The conditions of `listLogs` and `listMetricPoints`: the time range and
 * a keyset cursor on (time, id), checked with an `InvalidQueryError` naming
 * the field at fault.
 */

import { InvalidQueryError } from '../errors.js';
import { decodeCursor } from '../common/cursor.js';
import { bigintParam } from '../common/query-params.js';

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
