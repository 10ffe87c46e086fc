/**
 * Budget crossings in the `budget_events` table, evaluated in the write
 * transaction after the batch's rollups, so the usage compared with the
 * limits is exactly what readers will see committed. The semantics are
 * SQLite's (store/sqlite/budget-ledger.ts).
 *
 * Once across replicas: the write path holds the touched sessions' advisory
 * locks, so two writers of one session evaluate one after the other and the
 * second sees the first's crossings; the unique key (session, scope, metric,
 * level) with ON CONFLICT DO NOTHING … RETURNING refuses a second row
 * anyway, and only what this transaction inserted is returned, added to the
 * crossing span's stored events and handed to the change feed.
 */

import { decodeStorable, encodeStorable } from '../../model/attributes-codec.js';
import { DEFAULT_WARN_AT_FRACTION, budgetEventKey, budgetSpanEvent, evaluateBudgets } from '../../model/budgets.js';
import type { BudgetConfig, BudgetCrossing, BudgetEventRecord, BudgetUsage } from '../../model/budgets.js';
import type { SpanEvent, SpanRecord } from '../../model/types.js';
import type pg from 'pg';
import { SessionNotFoundError } from '../errors.js';
import { crossingEvent, holdsBudgetEvent, recordsBySession, rewrittenCrossings } from '../common/budget-crossings.js';
import type { WrittenRecord } from '../common/budget-crossings.js';
import { prepared } from './query-params.js';

interface UsageRow {
  session_id: string;
  agent_name: string | null;
  user_id: string | null;
  total_tokens: bigint;
  reasoning_tokens: bigint;
  cost_usd: number;
}

interface EventRow {
  session_id: string;
  scope: BudgetCrossing['scope'];
  key: string;
  metric: BudgetCrossing['metric'];
  level: BudgetCrossing['level'];
  limit_value: number;
  used_value: number;
  at_ms: bigint;
  trace_id: string | null;
  span_id: string | null;
}

const usageOfRow = (row: UsageRow): BudgetUsage => ({
  sessionId: row.session_id,
  agentName: row.agent_name,
  userId: row.user_id,
  tokens: Number(row.total_tokens),
  reasoningTokens: Number(row.reasoning_tokens),
  costUsd: row.cost_usd,
});

const eventOfRow = (row: EventRow): BudgetEventRecord => ({
  sessionId: row.session_id,
  scope: row.scope,
  key: row.key,
  metric: row.metric,
  level: row.level,
  limit: row.limit_value,
  used: row.used_value,
  atUnixMillis: Number(row.at_ms),
  traceId: row.trace_id,
  spanId: row.span_id,
});

const USAGE_SQL = `SELECT session_id, agent_name, user_id, total_tokens, reasoning_tokens, cost_usd
  FROM sessions WHERE session_id = ANY($1::text[])`;

const EVENTS_SQL = `SELECT session_id, scope, key, metric, level, limit_value, used_value, at_ms, trace_id, span_id
  FROM budget_events WHERE session_id = $1 ORDER BY id`;

const RECORDED_SQL = `SELECT session_id, scope, key, metric, level, limit_value, used_value, at_ms, trace_id, span_id
  FROM budget_events WHERE session_id = ANY($1::text[]) ORDER BY id`;

/** Inserts in the order given (ids follow it); returns the crossings no writer recorded before. */
const INSERT_SQL = `INSERT INTO budget_events (session_id, scope, key, metric, level, limit_value, used_value, at_ms,
    trace_id, span_id)
  SELECT session_id, scope, key, metric, level, limit_value, used_value, at_ms, trace_id, span_id
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::int8[],
    $9::text[], $10::text[]) WITH ORDINALITY
    AS e(session_id, scope, key, metric, level, limit_value, used_value, at_ms, trace_id, span_id, n)
  ORDER BY n
  ON CONFLICT (session_id, scope, metric, level) DO NOTHING
  RETURNING session_id, scope, metric, level`;

const SELECT_RAW_SQL = `SELECT trace_id, span_id, raw FROM spans
  WHERE (trace_id, span_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`;

const UPDATE_RAW_SQL = `UPDATE spans SET raw = u.raw FROM unnest($1::text[], $2::text[], $3::text[]) AS u(trace_id, span_id, raw)
  WHERE spans.trace_id = u.trace_id AND spans.span_id = u.span_id`;

/** A crossing this batch may record, with the span that crossed. */
interface Candidate {
  event: BudgetEventRecord;
  span: SpanRecord | null;
}

export class PgBudgetLedger {
  constructor(private readonly pool: pg.Pool) {}

  /** What the session has used, by the rollup rules. Throws `SessionNotFoundError`. */
  async usage(sessionId: string): Promise<BudgetUsage> {
    const { rows } = await this.pool.query<UsageRow>(prepared(USAGE_SQL, [[sessionId]]));
    if (rows.length === 0) throw new SessionNotFoundError(sessionId);
    return usageOfRow(rows[0]);
  }

  /** The session's recorded crossings, oldest first (empty for an unknown session). */
  async events(sessionId: string): Promise<BudgetEventRecord[]> {
    const { rows } = await this.pool.query<EventRow>(prepared(EVENTS_SQL, [sessionId]));
    return rows.map(eventOfRow);
  }

  /**
   * Inside the write transaction, after the rollups, with the written
   * sessions locked: records the crossings the batch caused that no writer
   * recorded before, and returns them.
   */
  async evaluate(
    client: pg.PoolClient,
    config: BudgetConfig,
    written: readonly WrittenRecord[],
    atMillis: number,
  ): Promise<BudgetEventRecord[]> {
    const bySession = recordsBySession(written);
    if (bySession.size === 0) return [];
    const sessionIds = [...bySession.keys()];
    const usages = (await client.query<UsageRow>(prepared(USAGE_SQL, [sessionIds]))).rows;
    const recorded = new Map<string, Set<string>>();
    const previous: BudgetEventRecord[] = [];
    for (const row of (await client.query<EventRow>(prepared(RECORDED_SQL, [sessionIds]))).rows) {
      let keys = recorded.get(row.session_id);
      if (!keys) recorded.set(row.session_id, (keys = new Set()));
      keys.add(budgetEventKey(row));
      previous.push(eventOfRow(row));
    }
    const again: Candidate[] = rewrittenCrossings(previous, written.map((w) => w.record));
    const fraction = config.warnAtFraction ?? DEFAULT_WARN_AT_FRACTION;
    const candidates: Candidate[] = [];
    // A session emptied by a move to its keyed session has no row, and no usage left to judge.
    for (const row of usages) {
      const records = bySession.get(row.session_id) as SpanRecord[];
      for (const crossing of evaluateBudgets(config, usageOfRow(row), recorded.get(row.session_id) ?? new Set())) {
        candidates.push(crossingEvent(crossing, records, fraction, atMillis));
      }
    }
    if (candidates.length === 0) {
      await this.addSpanEvents(client, again);
      return [];
    }
    const inserted = await this.insert(client, candidates);
    const kept = candidates.filter(({ event }) => inserted.has(`${event.sessionId}\n${budgetEventKey(event)}`));
    await this.addSpanEvents(client, [...again, ...kept]);
    return kept.map(({ event }) => event);
  }

  /** The keys (`session\nscope/metric/level`) of the candidates inserted. */
  private async insert(client: pg.PoolClient, candidates: readonly Candidate[]): Promise<Set<string>> {
    const events = candidates.map((c) => c.event);
    const { rows } = await client.query<EventRow>(prepared(INSERT_SQL, [
      events.map((e) => e.sessionId), events.map((e) => e.scope), events.map((e) => e.key), events.map((e) => e.metric),
      events.map((e) => e.level), events.map((e) => e.limit), events.map((e) => e.used), events.map((e) => e.atUnixMillis),
      events.map((e) => e.traceId), events.map((e) => e.spanId),
    ]));
    return new Set(rows.map((row) => `${row.session_id}\n${budgetEventKey(row)}`));
  }

  /**
   * The spans have ended (that is how they crossed), so each event goes on
   * its span's stored record: the `events` of the `raw` column (span-row.ts).
   */
  private async addSpanEvents(client: pg.PoolClient, kept: readonly Candidate[]): Promise<void> {
    const bySpan = new Map<string, { span: SpanRecord; events: BudgetEventRecord[] }>();
    for (const { event, span } of kept) {
      if (span === null) continue;
      const key = `${span.traceId}/${span.spanId}`;
      const entry = bySpan.get(key);
      if (entry) entry.events.push(event);
      else bySpan.set(key, { span, events: [event] });
    }
    if (bySpan.size === 0) return;
    const entries = [...bySpan.values()];
    const { rows } = await client.query<{ trace_id: string; span_id: string; raw: string }>(prepared(SELECT_RAW_SQL, [
      entries.map((e) => e.span.traceId),
      entries.map((e) => e.span.spanId),
    ]));
    const updates: [string[], string[], string[]] = [[], [], []];
    for (const row of rows) {
      const { span, events } = bySpan.get(`${row.trace_id}/${row.span_id}`) as { span: SpanRecord; events: BudgetEventRecord[] };
      const raw = decodeStorable<{ events?: SpanEvent[] }>(row.raw);
      const at = (event: BudgetEventRecord): bigint => span.endTimeUnixNano ?? BigInt(event.atUnixMillis) * 1_000_000n;
      const missing = events.filter((event) => !holdsBudgetEvent(raw.events, event));
      if (missing.length === 0) continue;
      raw.events = [...(raw.events ?? []), ...missing.map((event) => budgetSpanEvent(event, at(event)))];
      updates[0].push(row.trace_id);
      updates[1].push(row.span_id);
      updates[2].push(encodeStorable(raw as never));
    }
    if (updates[0].length > 0) await client.query(prepared(UPDATE_RAW_SQL, updates));
  }
}
