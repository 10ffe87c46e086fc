/** Usage and cost statistics of model calls, grouped. */

import type Database from 'better-sqlite3';
import type { StatsGroupBy, StatsQuery, StatsRow } from '../../model/query.js';
import { InvalidQueryError } from '../errors.js';
import { checkKeys } from './cursor.js';
import { bigintParam } from './session-queries.js';
import { StatementCache } from './statement-cache.js';

/** Group key of spans that do not name what they are grouped by. */
export const UNKNOWN_GROUP_KEY = '(unknown)';

interface CallRow {
  model: string | null;
  provider: string | null;
  agent: string | null;
  start_ns: bigint;
  end_ns: bigint | null;
  is_error: bigint;
  c_input: bigint;
  c_output: bigint;
  c_reasoning: bigint;
  c_cache_read: bigint;
  c_cache_write: bigint;
  cost_usd: number;
}

interface Group {
  row: StatsRow;
  durations: bigint[];
}

const GROUPS: readonly StatsGroupBy[] = ['model', 'provider', 'agent', 'day'];
const NANOS_PER_MILLI = 1_000_000n;

/** Nearest-rank percentile of sorted values: an actual observed duration, never interpolated. */
export function nearestRank(sorted: readonly bigint[], percent: number): bigint | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((percent / 100) * sorted.length));
  return sorted[rank - 1];
}

function keyOf(row: CallRow, groupBy: StatsGroupBy): string {
  switch (groupBy) {
    case 'model':
      return row.model ?? UNKNOWN_GROUP_KEY;
    case 'provider':
      return row.provider ?? UNKNOWN_GROUP_KEY;
    case 'agent':
      return row.agent ?? UNKNOWN_GROUP_KEY;
    case 'day':
      return new Date(Number(row.start_ns / NANOS_PER_MILLI)).toISOString().slice(0, 10);
  }
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
    const sql = `SELECT s.model, s.provider, coalesce(s.agent_name, ss.agent_name) AS agent, s.start_ns, s.end_ns,
        s.is_error, s.c_input, s.c_output, s.c_reasoning, s.c_cache_read, s.c_cache_write,
        s.c_supplied_usd + s.c_computed_usd AS cost_usd
      FROM spans s LEFT JOIN sessions ss ON ss.session_id = s.resolved_session_id
      WHERE ${where.join(' AND ')}`;
    const groups = new Map<string, Group>();
    for (const row of this.statements.get(sql, true).iterate(params) as IterableIterator<CallRow>) {
      const key = keyOf(row, query.groupBy);
      let group = groups.get(key);
      if (!group) {
        group = {
          row: {
            key,
            calls: 0,
            errors: 0,
            tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
            costUsd: 0,
            p50DurationNanos: null,
            p95DurationNanos: null,
          },
          durations: [],
        };
        groups.set(key, group);
      }
      const r = group.row;
      r.calls += 1;
      if (row.is_error === 1n) r.errors += 1;
      r.tokens.input += Number(row.c_input);
      r.tokens.output += Number(row.c_output);
      r.tokens.reasoning += Number(row.c_reasoning);
      r.tokens.cacheRead += Number(row.c_cache_read);
      r.tokens.cacheWrite += Number(row.c_cache_write);
      r.costUsd += row.cost_usd;
      if (row.end_ns !== null) group.durations.push(row.end_ns - row.start_ns);
    }
    const rows: StatsRow[] = [];
    for (const group of groups.values()) {
      group.durations.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      group.row.p50DurationNanos = nearestRank(group.durations, 50);
      group.row.p95DurationNanos = nearestRank(group.durations, 95);
      rows.push(group.row);
    }
    // Days read best in time order; everything else biggest first.
    return query.groupBy === 'day'
      ? rows.sort((a, b) => a.key.localeCompare(b.key))
      : rows.sort((a, b) => b.calls - a.calls || a.key.localeCompare(b.key));
  }
}
