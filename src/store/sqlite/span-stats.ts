/** Usage and cost statistics of model calls, grouped. */

import type Database from 'better-sqlite3';
import type { StatsGroupBy, StatsQuery, StatsRow } from '../../model/query.js';
import { UNKNOWN_GROUP_KEY } from '../common/store-defaults.js';
import { bigintParam } from '../common/query-params.js';
import { checkStatsQuery, sortStatsRows, statsRowOf } from '../common/stats-rows.js';
import type { StatsSums } from '../common/stats-rows.js';
import { StatementCache } from './statement-cache.js';

interface SumRow extends StatsSums {
  key: string;
}

/** The group key as SQL (`ss` is the span's session, joined for `agent` and `user` only). Days are UTC dates, as toISOString gives. */
const KEY_SQL: Record<StatsGroupBy, string> = {
  model: `coalesce(s.model, '${UNKNOWN_GROUP_KEY}')`,
  provider: `coalesce(s.provider, '${UNKNOWN_GROUP_KEY}')`,
  agent: `coalesce(s.agent_name, ss.agent_name, '${UNKNOWN_GROUP_KEY}')`,
  user: `coalesce(s.user_id, ss.user_id, '${UNKNOWN_GROUP_KEY}')`,
  // A bare column: formatted once per group (GROUP_SQL), where formatting a date on every row cost about as much as the sums.
  day: `strftime('%Y-%m-%d', s.start_ns / 1000000000, 'unixepoch')`,
};

/**
 * What rows are grouped on where it is not the key itself. `day`: the day
 * number of the start's whole seconds, the ones the key formats (the offset,
 * a whole number of days, makes every int64 time non-negative, so the
 * integer division floors as the date does).
 */
const GROUP_SQL: Partial<Record<StatsGroupBy, string>> = {
  day: '(s.start_ns / 1000000000 + 9223372800) / 86400',
};

/** Nearest-rank percentile of sorted values: an actual observed duration, never interpolated. */
export function nearestRank(sorted: BigInt64Array, percent: number): bigint | null {
  if (sorted.length === 0) return null;
  return sorted[rankIndex(sorted.length, percent)];
}

/** Index of the nearest-rank percentile among `count` sorted values. */
function rankIndex(count: number, percent: number): number {
  return Math.max(1, Math.ceil((percent / 100) * count)) - 1;
}

/**
 * Moves the `k`-th smallest value (from 0) to `values[k]`, smaller or equal
 * ones before it and greater or equal ones after, and returns it (Hoare's
 * selection: linear on average, where sorting a Float64Array cost ~1 ms per
 * 5,000 durations). Past a depth budget the rest is sorted instead, so no
 * order of durations makes it quadratic.
 */
export function selectInPlace(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  let budget = 2 * (32 - Math.clz32(values.length)) + 8;
  while (hi > lo) {
    if (budget-- === 0) {
      values.subarray(lo, hi + 1).sort();
      break;
    }
    const pivot = values[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const swap = values[i];
        values[i++] = values[j];
        values[j--] = swap;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k];
}

const COMMA = 44;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;

/** The durations of a group_concat, or null when one is not a safe integer (a double would not hold it exactly). */
function parseDurations(text: string): Float64Array | null {
  let count = 1;
  for (let at = text.indexOf(','); at !== -1; at = text.indexOf(',', at + 1)) count++;
  const values = new Float64Array(count);
  let n = 0;
  let value = 0;
  let digits = 0;
  let negative = false;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? COMMA : text.charCodeAt(i);
    if (c >= ZERO && c <= NINE) {
      value = value * 10 + (c - ZERO);
      digits++;
    } else if (c === COMMA) {
      // Past 2^53 the running value is no longer exact, but it stays past it.
      if (digits === 0 || value > Number.MAX_SAFE_INTEGER) return null;
      values[n++] = negative ? -value : value;
      value = 0;
      digits = 0;
      negative = false;
    } else if (c === MINUS && digits === 0 && !negative) {
      negative = true;
    } else {
      return null;
    }
  }
  return values;
}

interface Ranks {
  p50: bigint | null;
  p95: bigint | null;
}

/** Nearest-rank p50 and p95 of a group_concat of durations (null: no duration). */
function durationRanks(text: string | null): Ranks {
  if (text === null) return { p50: null, p95: null };
  const values = parseDurations(text);
  if (values === null) return exactRanks(text);
  const p95 = rankIndex(values.length, 95);
  const high = selectInPlace(values, p95);
  // The p50 is among the p95 smallest, which now come first.
  const low = selectInPlace(values.subarray(0, p95 + 1), rankIndex(values.length, 50));
  return { p50: BigInt(low), p95: BigInt(high) };
}

/** A duration past 2^53 ns (104 days) is not exact as a double: those groups are ranked with bigints. */
function exactRanks(text: string): Ranks {
  const sorted = BigInt64Array.from(text.split(','), BigInt).sort();
  return { p50: nearestRank(sorted, 50), p95: nearestRank(sorted, 95) };
}

export class SpanStats {
  private readonly statements: StatementCache;

  constructor(db: Database.Database) {
    this.statements = new StatementCache(db);
  }

  /**
   * Model calls (stepType llm) in the time range, by start time. The agent of
   * a call is its own agent name, else its session's. Durations of open
   * calls are left out of the percentiles. Days are UTC.
   */
  stats(query: StatsQuery): StatsRow[] {
    checkStatsQuery(query);
    const where = ['s.c_llm = 1'];
    const params: Record<string, bigint> = {};
    if (query.fromUnixNano !== undefined) {
      params.from = bigintParam(query.fromUnixNano, 'fromUnixNano');
      where.push('s.start_ns >= @from');
    }
    if (query.toUnixNano !== undefined) {
      params.to = bigintParam(query.toUnixNano, 'toUnixNano');
      where.push('s.start_ns < @to');
    }
    // One pass in SQL over the covering index spans_llm_start (migration 001),
    // named: in a file ANALYZE has run on, the planner chose by the bound
    // times and for some ranges took spans_start and the table rows instead,
    // ~4x the time (bench/queries.ts: 3 days in 30, which were its p99).
    // Handing every call to JavaScript cost ~10 µs a row; the durations of a
    // group come back as one group_concat, parsed and ranked here (a
    // JavaScript aggregate called once a row cost more, and sorting each
    // group's durations more than selecting the two ranks).
    const key = KEY_SQL[query.groupBy];
    const sql = `SELECT ${key} AS key, count(*) AS calls, sum(s.is_error) AS errors, sum(s.c_input) AS input,
        sum(s.c_output) AS output, sum(s.c_reasoning) AS reasoning, sum(s.c_cache_read) AS cache_read,
        sum(s.c_cache_write) AS cache_write, total(s.c_supplied_usd + s.c_computed_usd) AS cost_usd,
        group_concat(s.end_ns - s.start_ns) AS durations
      FROM spans s INDEXED BY spans_llm_start ${query.groupBy === 'agent' || query.groupBy === 'user' ? 'LEFT JOIN sessions ss ON ss.session_id = s.resolved_session_id' : ''}
      WHERE ${where.join(' AND ')} GROUP BY ${GROUP_SQL[query.groupBy] ?? key}`;
    const found = this.statements.get(sql, true).all(params) as Array<SumRow & { durations: string | null }>;
    const rows = found.map((row) => {
      const ranks = durationRanks(row.durations);
      return statsRowOf(row.key, row, ranks.p50, ranks.p95);
    });
    return sortStatsRows(rows, query.groupBy);
  }
}
