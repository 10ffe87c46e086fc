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

const GROUPS: readonly StatsGroupBy[] = ['model', 'provider', 'agent', 'user', 'day'];

/** The group key as SQL (`ss` is the span's session, joined for `agent` and `user` only). Days are UTC dates, as toISOString gives. */
const KEY_SQL: Record<StatsGroupBy, string> = {
  model: `coalesce(s.model, '${UNKNOWN_GROUP_KEY}')`,
  provider: `coalesce(s.provider, '${UNKNOWN_GROUP_KEY}')`,
  agent: `coalesce(s.agent_name, ss.agent_name, '${UNKNOWN_GROUP_KEY}')`,
  user: `coalesce(s.user_id, ss.user_id, '${UNKNOWN_GROUP_KEY}')`,
  day: `strftime('%Y-%m-%d', s.start_ns / 1000000000, 'unixepoch')`,
};

/** Nearest-rank percentile of sorted values: an actual observed duration, never interpolated. */
export function nearestRank(sorted: BigInt64Array, percent: number): bigint | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((percent / 100) * sorted.length));
  return sorted[rank - 1];
}

/** SQL aggregate: nearest-rank p50 and p95 of its non-null arguments, as "p50,p95" (decimal), or null for none. */
const DURATION_RANKS = 'skein_duration_ranks';
/** Its answer when a value is past 2^53 and a double cannot hold it exactly. */
const INEXACT = 'inexact';

class DurationSample {
  values = new Float64Array(256);
  count = 0;
  exact = true;
}

function addDuration(sample: DurationSample, duration: number | null): void {
  if (duration === null) return;
  if (!Number.isSafeInteger(duration)) sample.exact = false;
  if (sample.count === sample.values.length) {
    const grown = new Float64Array(sample.values.length * 2);
    grown.set(sample.values);
    sample.values = grown;
  }
  sample.values[sample.count++] = duration;
}

function durationRanks(sample: DurationSample): string | null {
  if (!sample.exact) return INEXACT;
  if (sample.count === 0) return null;
  const sorted = sample.values.subarray(0, sample.count).sort();
  const rank = (percent: number): number => sorted[Math.max(1, Math.ceil((percent / 100) * sorted.length)) - 1];
  return `${rank(50)},${rank(95)}`;
}

function registerDurationRanks(db: Database.Database): void {
  db.aggregate<DurationSample>(DURATION_RANKS, {
    start: () => new DurationSample(),
    // @types/better-sqlite3 types the row argument as the accumulator's element; it is the SQL argument.
    step: addDuration as unknown as (sample: DurationSample) => void,
    result: durationRanks,
  });
}

function parseRanks(ranks: string | null): { p50: bigint | null; p95: bigint | null } {
  if (ranks === null) return { p50: null, p95: null };
  const comma = ranks.indexOf(',');
  return { p50: BigInt(ranks.slice(0, comma)), p95: BigInt(ranks.slice(comma + 1)) };
}

export class SpanStats {
  private readonly statements: StatementCache;

  private readonly rawStatements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.statements = new StatementCache(db);
    registerDurationRanks(db);
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
    // Aggregated in SQL over the covering index spans_llm_start (migration 001),
    // named: in a file ANALYZE has run on, the planner chose by the bound
    // times and for some ranges took spans_start and the table rows instead,
    // ~4x the time (bench/queries.ts: 3 days in 30, which were its p99).
    // Handing every call to JavaScript cost ~10 µs a row (120 ms for a day of
    // 13k calls). The session is joined only for the agent of a call without one.
    // One pass: the percentiles come from an aggregate function in the same
    // GROUP BY (a second scan handing key and duration to JavaScript cost
    // more than the sums; bench/queries.ts, a day of ~16k calls: ~50 → ~30 ms).
    const key = KEY_SQL[query.groupBy];
    const from = `FROM spans s INDEXED BY spans_llm_start ${query.groupBy === 'agent' || query.groupBy === 'user' ? 'LEFT JOIN sessions ss ON ss.session_id = s.resolved_session_id' : ''}`;
    const sums = `SELECT ${key} AS key, count(*) AS calls, sum(s.is_error) AS errors, sum(s.c_input) AS input,
        sum(s.c_output) AS output, sum(s.c_reasoning) AS reasoning, sum(s.c_cache_read) AS cache_read,
        sum(s.c_cache_write) AS cache_write, total(s.c_supplied_usd + s.c_computed_usd) AS cost_usd,
        ${DURATION_RANKS}(s.end_ns - s.start_ns) AS ranks
      ${from} WHERE ${where.join(' AND ')} GROUP BY 1`;
    const found = this.statements.get(sums, true).all(params) as Array<SumRow & { ranks: string | null }>;
    let exact: Map<string, { p50: bigint | null; p95: bigint | null }> | undefined;
    if (found.some((row) => row.ranks === INEXACT)) {
      // A duration past 2^53 ns (104 days) is not exact as a double: rank those groups with bigints.
      exact = this.exactRanks(`SELECT ${key}, s.end_ns - s.start_ns ${from}
        WHERE ${where.join(' AND ')} AND s.end_ns IS NOT NULL`, params);
    }
    const ranks = new Map<string, { p50: bigint | null; p95: bigint | null }>();
    for (const row of found) ranks.set(row.key, exact?.get(row.key) ?? parseRanks(row.ranks));
    const rows: StatsRow[] = found.map((row) => ({
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

  /** Nearest-rank p50 and p95 by group from (key, duration) rows, as bigints. */
  private exactRanks(sql: string, params: Record<string, bigint>): Map<string, { p50: bigint | null; p95: bigint | null }> {
    const byKey = new Map<string, bigint[]>();
    for (const [group, duration] of this.durationStatement(sql).all(params) as Array<[string, bigint]>) {
      const list = byKey.get(group);
      if (list) list.push(duration);
      else byKey.set(group, [duration]);
    }
    const ranks = new Map<string, { p50: bigint | null; p95: bigint | null }>();
    for (const [group, list] of byKey) {
      const sorted = BigInt64Array.from(list).sort();
      ranks.set(group, { p50: nearestRank(sorted, 50), p95: nearestRank(sorted, 95) });
    }
    return ranks;
  }
}
