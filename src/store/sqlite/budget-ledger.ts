/**
 * Budget events in the `budget_events` table (migration 004): evaluated in
 * the write transaction, after the batch's rollups are applied, so the usage
 * compared with the limits is exactly what readers will see committed.
 *
 * A crossing is recorded once per session, scope, metric and level, across
 * every process writing the file: the recorded set is read inside the
 * immediate transaction (writers are serialised), and the unique key refuses
 * a second row anyway. What is recorded is also appended to the change feed
 * (a `budget` event) and added as a `skein.budget.warning`/`.exceeded` event
 * to the stored record of the span that crossed, in that same transaction.
 */

import type Database from 'better-sqlite3';
import { decodeStorable, encodeStorable } from '../../model/attributes-codec.js';
import { DEFAULT_WARN_AT_FRACTION, budgetEventKey, budgetSpanEvent, evaluateBudgets } from '../../model/budgets.js';
import type { BudgetConfig, BudgetCrossing, BudgetEventRecord, BudgetUsage } from '../../model/budgets.js';
import type { SpanEvent, SpanRecord } from '../../model/types.js';
import { SessionNotFoundError } from '../errors.js';
import { crossingEvent, holdsBudgetEvent, recordsBySession, rewrittenCrossings } from '../common/budget-crossings.js';
import type { WrittenRecord } from '../common/budget-crossings.js';
import type { ChangeLog } from './change-log.js';

interface UsageRow {
  session_id: string;
  agent_name: string | null;
  user_id: string | null;
  total_tokens: number;
  reasoning_tokens: number;
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
  at_ms: number;
  trace_id: string | null;
  span_id: string | null;
}

const usageOfRow = (row: UsageRow): BudgetUsage => ({
  sessionId: row.session_id,
  agentName: row.agent_name,
  userId: row.user_id,
  tokens: row.total_tokens,
  reasoningTokens: row.reasoning_tokens,
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
  atUnixMillis: row.at_ms,
  traceId: row.trace_id,
  spanId: row.span_id,
});

export class BudgetLedger {
  private readonly selectUsage: Database.Statement;
  private readonly selectEvents: Database.Statement;
  private readonly selectRecorded: Database.Statement;
  private writes:
    | { insertEvent: Database.Statement; selectRaw: Database.Statement; updateRaw: Database.Statement }
    | undefined;

  constructor(private readonly db: Database.Database) {
    this.selectUsage = db.prepare(`SELECT session_id, agent_name, user_id, total_tokens, reasoning_tokens, cost_usd
      FROM sessions WHERE session_id = @sessionId`);
    this.selectEvents = db.prepare(`SELECT session_id, scope, key, metric, level, limit_value, used_value, at_ms,
        trace_id, span_id
      FROM budget_events WHERE session_id = @sessionId ORDER BY id`);
    this.selectRecorded = db.prepare(`SELECT session_id, scope, key, metric, level, limit_value, used_value, at_ms, trace_id, span_id
      FROM budget_events WHERE session_id = @sessionId ORDER BY id`);
  }

  /** What the session has used, by the rollup rules. Throws `SessionNotFoundError`. */
  usage(sessionId: string): BudgetUsage {
    const row = this.selectUsage.get({ sessionId }) as UsageRow | undefined;
    if (!row) throw new SessionNotFoundError(sessionId);
    return usageOfRow(row);
  }

  /** The session's recorded crossings, oldest first (empty for an unknown session). */
  events(sessionId: string): BudgetEventRecord[] {
    return (this.selectEvents.all({ sessionId }) as EventRow[]).map(eventOfRow);
  }

  /**
   * Inside the write transaction, after the rollups: records the crossings
   * the batch caused that no writer recorded before, and returns them.
   */
  evaluate(
    config: BudgetConfig,
    written: readonly WrittenRecord[],
    atMillis: number,
    changes: ChangeLog,
  ): BudgetEventRecord[] {
    const bySession = recordsBySession(written);
    const fraction = config.warnAtFraction ?? DEFAULT_WARN_AT_FRACTION;
    const recorded: BudgetEventRecord[] = [];
    for (const [sessionId, records] of bySession) {
      const row = this.selectUsage.get({ sessionId }) as UsageRow | undefined;
      // A session emptied by a move to its keyed session has no usage left to judge.
      if (!row) continue;
      const previous = (this.selectRecorded.all({ sessionId }) as EventRow[]).map(eventOfRow);
      const already = new Set(previous.map(budgetEventKey));
      for (const { event, span } of rewrittenCrossings(previous, records)) this.addSpanEvent(span, event);
      for (const crossing of evaluateBudgets(config, usageOfRow(row), already)) {
        const { event, span } = crossingEvent(crossing, records, fraction, atMillis);
        if (!this.insert(event)) continue;
        if (span) this.addSpanEvent(span, event);
        changes.budgetCrossed(event);
        recorded.push(event);
      }
    }
    return recorded;
  }

  private statements() {
    this.writes ??= {
      insertEvent: this.db.prepare(`INSERT INTO budget_events (session_id, scope, key, metric, level, limit_value,
          used_value, at_ms, trace_id, span_id)
        VALUES (@sessionId, @scope, @key, @metric, @level, @limit, @used, @atUnixMillis, @traceId, @spanId)
        ON CONFLICT (session_id, scope, metric, level) DO NOTHING`),
      selectRaw: this.db.prepare('SELECT raw FROM spans WHERE trace_id = @traceId AND span_id = @spanId').pluck(),
      updateRaw: this.db.prepare('UPDATE spans SET raw = @raw WHERE trace_id = @traceId AND span_id = @spanId'),
    };
    return this.writes;
  }

  private insert(event: BudgetEventRecord): boolean {
    const { sessionId, scope, key, metric, level, limit, used, atUnixMillis, traceId, spanId } = event;
    return (
      this.statements().insertEvent.run({ sessionId, scope, key, metric, level, limit, used, atUnixMillis, traceId, spanId })
        .changes === 1
    );
  }

  /**
   * The span has ended (that is how it crossed), so the event goes on its
   * stored record: the `ev` list of the `raw` column (see span-row.ts).
   */
  private addSpanEvent(span: SpanRecord, event: BudgetEventRecord): void {
    const { selectRaw, updateRaw } = this.statements();
    const key = { traceId: span.traceId, spanId: span.spanId };
    const text = selectRaw.get(key) as string | undefined;
    if (text === undefined) return;
    const raw = decodeStorable<{ ev?: SpanEvent[] }>(text);
    if (holdsBudgetEvent(raw.ev, event)) return;
    raw.ev = [...(raw.ev ?? []), budgetSpanEvent(event, span.endTimeUnixNano ?? BigInt(event.atUnixMillis) * 1_000_000n)];
    updateRaw.run({ ...key, raw: encodeStorable(raw as never) });
  }
}
