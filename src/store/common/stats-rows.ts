/** What both stores' `stats` do alike around their SQL: the query's check, and its rows as `StatsRow`s in order. */

import type { StatsGroupBy, StatsQuery, StatsRow } from '../../model/query.js';
import { InvalidQueryError } from '../errors.js';
import { checkKeys } from './cursor.js';

const GROUPS: readonly StatsGroupBy[] = ['model', 'provider', 'agent', 'user', 'day'];

/** Throws `InvalidQueryError` for an unknown key or group (the time bounds are checked where they are bound). */
export function checkStatsQuery(query: StatsQuery): void {
  checkKeys(query, ['groupBy', 'fromUnixNano', 'toUnixNano']);
  if (!GROUPS.includes(query.groupBy)) {
    throw new InvalidQueryError(`groupBy must be one of ${GROUPS.join(', ')}`, 'groupBy');
  }
}

/** A group's sums as both stores read them: counts as bigints, the cost a double. */
export interface StatsSums {
  calls: bigint;
  errors: bigint;
  input: bigint;
  output: bigint;
  reasoning: bigint;
  cache_read: bigint;
  cache_write: bigint;
  cost_usd: number;
}

export function statsRowOf(key: string, sums: StatsSums, p50: bigint | null, p95: bigint | null): StatsRow {
  return {
    key,
    calls: Number(sums.calls),
    errors: Number(sums.errors),
    tokens: {
      input: Number(sums.input),
      output: Number(sums.output),
      reasoning: Number(sums.reasoning),
      cacheRead: Number(sums.cache_read),
      cacheWrite: Number(sums.cache_write),
    },
    costUsd: sums.cost_usd,
    p50DurationNanos: p50,
    p95DurationNanos: p95,
  };
}

/** Sorts the rows in place: days read best in time order; everything else biggest first. */
export function sortStatsRows(rows: StatsRow[], groupBy: StatsGroupBy): StatsRow[] {
  return groupBy === 'day'
    ? rows.sort((a, b) => a.key.localeCompare(b.key))
    : rows.sort((a, b) => b.calls - a.calls || a.key.localeCompare(b.key));
}
