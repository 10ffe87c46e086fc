/** Usage and cost statistics of model calls, grouped, in one PostgreSQL query. */

import type pg from 'pg';
import type { StatsGroupBy, StatsQuery, StatsRow } from '../../model/query.js';
import { UNKNOWN_GROUP_KEY } from '../common/store-defaults.js';
import { bigintParam } from '../common/query-params.js';
import { checkStatsQuery, sortStatsRows, statsRowOf } from '../common/stats-rows.js';
import type { StatsSums } from '../common/stats-rows.js';

/**
 * The group key as SQL (`ss` is the span's session, joined for `agent` and
 * `user` only; `unknown` the parameter that holds UNKNOWN_GROUP_KEY). `day`: the UTC day number of the
 * start's whole seconds, as the SQLite store counts it (the offset, a whole
 * number of days, makes every int8 time non-negative, so the division
 * floors); formatted as a date here once per group.
 */
const KEY_SQL: Record<StatsGroupBy, (unknown: string) => string> = {
  model: (unknown) => `coalesce(s.model, ${unknown})`,
  provider: (unknown) => `coalesce(s.provider, ${unknown})`,
  agent: (unknown) => `coalesce(s.agent_name, ss.agent_name, ${unknown})`,
  user: (unknown) => `coalesce(s.user_id, ss.user_id, ${unknown})`,
  day: () => '(s.start_ns / 1000000000 + 9223372800) / 86400',
};
/** The day number the `day` key counts from: 1970-01-01 less the offset above. */
const EPOCH_DAY = 9223372800n / 86400n;
const DAY_MILLIS = 86_400_000;

interface StatsDbRow extends StatsSums {
  key: string | bigint;
  /** Nearest-rank p50 and p95 of the ended calls' durations; null when none ended. */
  p50: bigint | null;
  p95: bigint | null;
}

/** A `day` key: the UTC date of the day number, as the SQLite store's strftime('%Y-%m-%d') writes it. */
function dayKey(day: bigint): string {
  return new Date(Number(day - EPOCH_DAY) * DAY_MILLIS).toISOString().slice(0, 10);
}

export class PgSpanStats {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Model calls (stepType llm) in the time range, by start time. The agent of
   * a call is its own agent name, else its session's. Durations of open
   * calls are left out of the percentiles. Days are UTC.
   */
  async stats(query: StatsQuery): Promise<StatsRow[]> {
    checkStatsQuery(query);
    const where = ['s.c_llm = 1'];
    const values: unknown[] = [];
    if (query.fromUnixNano !== undefined) {
      values.push(bigintParam(query.fromUnixNano, 'fromUnixNano'));
      where.push(`s.start_ns >= $${values.length}`);
    }
    if (query.toUnixNano !== undefined) {
      values.push(bigintParam(query.toUnixNano, 'toUnixNano'));
      where.push(`s.start_ns < $${values.length}`);
    }
    const joinSession = query.groupBy === 'agent' || query.groupBy === 'user';
    const key = KEY_SQL[query.groupBy](query.groupBy === 'day' ? '' : `$${values.push(UNKNOWN_GROUP_KEY)}`);
    const ranks = 'percentile_disc(ARRAY[0.5, 0.95]::float8[]) WITHIN GROUP (ORDER BY s.end_ns - s.start_ns)';
    // Over the partial index spans_llm_start (query-schema.ts). percentile_disc is the nearest rank
    // (the first value whose cumulative share reaches the fraction), of the int8 durations: exact past 2^53.
    // Open calls have no duration, and percentile_disc leaves nulls out; the two ranks are one aggregate,
    // one sort. Unnamed: planned with the times given.
    const sql = `SELECT ${key} AS key, count(*) AS calls, count(*) FILTER (WHERE s.is_error) AS errors,
        sum(s.c_input)::int8 AS input, sum(s.c_output)::int8 AS output, sum(s.c_reasoning)::int8 AS reasoning,
        sum(s.c_cache_read)::int8 AS cache_read, sum(s.c_cache_write)::int8 AS cache_write,
        sum(s.c_supplied_usd + s.c_computed_usd) AS cost_usd,
        (${ranks})[1] AS p50, (${ranks})[2] AS p95
      FROM spans s ${joinSession ? 'LEFT JOIN sessions ss ON ss.session_id = s.resolved_session_id' : ''}
      WHERE ${where.join(' AND ')} GROUP BY 1`;
    const { rows: found } = await this.pool.query<StatsDbRow>(sql, values);
    const rows = found.map((row) => statsRowOf(typeof row.key === 'bigint' ? dayKey(row.key) : row.key, row, row.p50, row.p95));
    return sortStatsRows(rows, query.groupBy);
  }
}
