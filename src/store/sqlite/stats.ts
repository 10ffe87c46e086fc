/** Usage and cost statistics of model calls, grouped. */

import type Database from 'better-sqlite3';
import type { StatsGroupBy, StatsQuery, StatsRow } from '../../model/query.js';
import { InvalidQueryError } from '../errors.js';
import { checkKeys } from './cursor.js';
import { bigintParam } from './session-queries.js';
import { StatementCache } from './statement-cache.js';

/** Group key of spans that do not name what they are grouped by. */
export const UNKNOWN_GROUP_KEY = '(unknown)';

interface SumRow {
  key: string;
  calls: bigint;
  errors: bigint;
  input: bigint;
  output: bigint;
  reasoning: bigint;
  cache_read: bigint;
  cache_write: bigint;
  cost_usd: number;
}

const GROUPS: readonly StatsGroupBy[] = ['model', 'provider', 'agent', 'day'];

/** The group key as SQL (`ss` is the span's session, joined for `agent` only). Days are UTC dates, as toISOString gives. */
const KEY_SQL: Record<StatsGroupBy, string> = {
  model: `coalesce(s.model, '${UNKNOWN_GROUP_KEY}')`,
  provider: `coalesce(s.provider, '${UNKNOWN_GROUP_KEY}')`,
  agent: `coalesce(s.agent_name, ss.agent_name, '${UNKNOWN_GROUP_KEY}')`,
  day: `strftime('%Y-%m-%d', s.start_ns / 1000000000, 'unixepoch')`,
};

/** Nearest-rank percentile of sorted values: an actual observed duration, never interpolated. */
export function nearestRank(sorted: BigInt64Array, percent: number): bigint | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((percent / 100) * sorted.length));
  return sorted[rank - 1];
}

export class SpanStats {
  private readonly statements: StatementCache;

  private readonly rawStatements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.statements = new StatementCache(db);
  }

  /** Rows as arrays with safe integers (better-sqlite3's cheapest row shape). */
  private durationStatement(sql: string): Database.Statement {
    let statement = this.rawStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql).raw(true).safeIntegers(true);
      this.rawStatements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Model calls (stepType llm) in the time range, by start time. The agent of
   * a call is its own agent name, else its session's. Durations of open
   * calls are left out of the percentiles. Days are UTC.
   */
  stats(query: StatsQuery): StatsRow[] {
    checkKeys(query, ['groupBy', 'fromUnixNano', 'toUnixNano']);
    if (!GROUPS.includes(query.groupBy)) {
      throw new InvalidQueryError(`groupBy must be one of ${GROUPS.join(', ')}`, 'groupBy');
    }
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
    // Aggregated in SQL over the covering index spans_llm_start (migration 001):
    // handing every call to JavaScript cost ~10 µs a row (120 ms for a day of
    // 13k calls). The session is joined only for the agent of a call without one.
    const key = KEY_SQL[query.groupBy];
    const from = `FROM spans s ${query.groupBy === 'agent' ? 'LEFT JOIN sessions ss ON ss.session_id = s.resolved_session_id' : ''}`;
    const sums = `SELECT ${key} AS key, count(*) AS calls, sum(s.is_error) AS errors, sum(s.c_input) AS input,
        sum(s.c_output) AS output, sum(s.c_reasoning) AS reasoning, sum(s.c_cache_read) AS cache_read,
        sum(s.c_cache_write) AS cache_write, total(s.c_supplied_usd + s.c_computed_usd) AS cost_usd
      ${from} WHERE ${where.join(' AND ')} GROUP BY 1`;
    // Durations of open calls are left out of the percentiles. Only key and
    // duration cross into JavaScript, as arrays, and sort natively: a window
    // function ranking them in SQL took twice as long.
    const durations = `SELECT ${key}, s.end_ns - s.start_ns ${from}
      WHERE ${where.join(' AND ')} AND s.end_ns IS NOT NULL`;
    const byKey = new Map<string, bigint[]>();
    for (const [group, duration] of this.durationStatement(durations).all(params) as Array<[string, bigint]>) {
      const list = byKey.get(group);
      if (list) list.push(duration);
      else byKey.set(group, [duration]);
    }
    const ranks = new Map<string, { p50: bigint | null; p95: bigint | null }>();
    for (const [group, list] of byKey) {
      const sorted = BigInt64Array.from(list).sort();
      ranks.set(group, { p50: nearestRank(sorted, 50), p95: nearestRank(sorted, 95) });
    }
    const rows: StatsRow[] = (this.statements.get(sums, true).all(params) as SumRow[]).map((row) => ({
      key: row.key,
      calls: Number(row.calls),
      errors: Number(row.errors),
      tokens: {
        input: Number(row.input),
        output: Number(row.output),
        reasoning: Number(row.reasoning),
        cacheRead: Number(row.cache_read),
        cacheWrite: Number(row.cache_write),
      },
      costUsd: row.cost_usd,
      p50DurationNanos: ranks.get(row.key)?.p50 ?? null,
      p95DurationNanos: ranks.get(row.key)?.p95 ?? null,
    }));
    // Days read best in time order; everything else biggest first.
    return query.groupBy === 'day'
      ? rows.sort((a, b) => a.key.localeCompare(b.key))
      : rows.sort((a, b) => b.calls - a.calls || a.key.localeCompare(b.key));
  }
}
