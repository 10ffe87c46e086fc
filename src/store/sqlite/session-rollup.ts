/**
 * Keeps a session's rollup row and per-model breakdown current, inside the
 * transaction that changed its spans.
 *
 * The common path applies the batch's additive deltas (`apply`): cost does
 * not grow with the session's size. Rare changes that deltas cannot express
 * (a trace moving to a late session key, a span changing session or times,
 * crash recovery) rebuild the session from its spans (`recompute`), summing
 * the per-span contribution columns (`c_*`, written from `spanContribution`)
 * so the double-counting rule lives in model/rollup.ts only. Both paths end
 * in `finish`, which derives status, names and the usage-mismatch flag.
 */

import type Database from 'better-sqlite3';
import { sessionStatus, usageMismatch } from '../../model/rollup.js';
import type { UsageNode } from '../../model/rollup.js';
import type { StepType } from '../../model/types.js';
import { FACT_KEYS, zeroFacts } from './session-delta.js';
import type { Facts, SessionDelta } from './session-delta.js';
import { factsOfSessionRow, usageOf } from './session-rollup-rows.js';
import type { AggregateRow, SessionState, StoredSessionRow, UsageRow } from './session-rollup-rows.js';

export class SessionRollup {
  private readonly aggregate: Database.Statement;
  private readonly selectSession: Database.Statement;
  private readonly firstAgent: Database.Statement;
  private readonly firstUser: Database.Statement;
  private readonly rootErrors: Database.Statement;
  private readonly usageRows: Database.Statement;
  private readonly upsertSession: Database.Statement;
  private readonly deleteSession: Database.Statement;
  private readonly deleteModels: Database.Statement;
  private readonly insertModels: Database.Statement;
  private readonly addModel: Database.Statement;
  private readonly deleteEmptyModel: Database.Statement;

  constructor(db: Database.Database) {
    this.aggregate = db.prepare(`
      SELECT count(*) AS span_count,
        min(start_ns) AS first_start_ns,
        max(start_ns) AS max_start_ns,
        max(end_ns) AS max_end_ns,
        coalesce(sum(end_ns IS NULL AND interrupted = 0), 0) AS open_count,
        coalesce(sum(interrupted), 0) AS interrupted_count,
        coalesce(sum(c_llm), 0) AS llm_call_count,
        coalesce(sum(c_tool), 0) AS tool_call_count,
        coalesce(sum(is_error AND internal = 0), 0) AS error_count,
        coalesce(sum(c_input), 0) AS input_tokens,
        coalesce(sum(c_output), 0) AS output_tokens,
        coalesce(sum(c_reasoning), 0) AS reasoning_tokens,
        coalesce(sum(c_cache_read), 0) AS cache_read_tokens,
        coalesce(sum(c_cache_write), 0) AS cache_write_tokens,
        coalesce(sum(c_total), 0) AS total_tokens,
        total(c_supplied_usd) AS supplied_cost_usd,
        total(c_computed_usd) AS computed_cost_usd,
        coalesce(sum(c_unpriced), 0) AS unpriced_call_count,
        coalesce(sum(c_aggregate_usage), 0) AS aggregate_usage_count,
        coalesce(sum(internal), 0) AS internal_count,
        group_concat(DISTINCT trace_id) AS trace_ids
      FROM spans WHERE resolved_session_id = @sessionId`);
    this.selectSession = db.prepare('SELECT * FROM sessions WHERE session_id = @sessionId');
    this.firstAgent = db.prepare(`SELECT agent_name AS value FROM spans
      WHERE resolved_session_id = @sessionId AND agent_name IS NOT NULL ORDER BY start_ns, id LIMIT 1`);
    this.firstUser = db.prepare(`SELECT user_id AS value FROM spans
      WHERE resolved_session_id = @sessionId AND user_id IS NOT NULL ORDER BY start_ns, id LIMIT 1`);
    this.rootErrors = db.prepare(`SELECT count(*) AS n FROM spans s
      WHERE s.resolved_session_id = @sessionId AND s.is_error = 1 AND s.internal = 0
        AND NOT EXISTS (SELECT 1 FROM spans p WHERE p.trace_id = s.trace_id AND p.span_id = s.parent_span_id
                          AND p.resolved_session_id = s.resolved_session_id)`);
    this.usageRows = db.prepare(`SELECT trace_id, span_id, parent_span_id, step_type, usage_input, usage_output,
        usage_reasoning, usage_cache_read, usage_cache_write, usage_total
      FROM spans WHERE resolved_session_id = @sessionId`);
    this.upsertSession = db.prepare(`INSERT INTO sessions (session_id, status, first_start_ns, last_end_ns,
        max_end_ns, last_activity_ns, duration_ns, span_count, llm_call_count, tool_call_count, error_count,
        open_count, interrupted_count, input_tokens, output_tokens, reasoning_tokens, cache_read_tokens,
        cache_write_tokens, total_tokens, cost_usd, supplied_cost_usd, computed_cost_usd, unpriced_call_count,
        agent_name, user_id, aggregate_usage_count, usage_mismatch, trace_ids, internal_count, models)
      VALUES (@session_id, @status, @first_start_ns, @last_end_ns, @max_end_ns, @last_activity_ns, @duration_ns,
        @span_count, @llm_call_count, @tool_call_count, @error_count, @open_count, @interrupted_count,
        @input_tokens, @output_tokens, @reasoning_tokens, @cache_read_tokens, @cache_write_tokens, @total_tokens,
        @cost_usd, @supplied_cost_usd, @computed_cost_usd, @unpriced_call_count, @agent_name, @user_id,
        @aggregate_usage_count, @usage_mismatch, @trace_ids, @internal_count,
        (SELECT json_group_array(m.model ORDER BY m.calls DESC, m.model) FROM session_models m
          WHERE m.session_id = @session_id))
      ON CONFLICT (session_id) DO UPDATE SET status = excluded.status, first_start_ns = excluded.first_start_ns,
        last_end_ns = excluded.last_end_ns, max_end_ns = excluded.max_end_ns,
        last_activity_ns = excluded.last_activity_ns, duration_ns = excluded.duration_ns,
        span_count = excluded.span_count, llm_call_count = excluded.llm_call_count,
        tool_call_count = excluded.tool_call_count, error_count = excluded.error_count,
        open_count = excluded.open_count, interrupted_count = excluded.interrupted_count,
        input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
        reasoning_tokens = excluded.reasoning_tokens, cache_read_tokens = excluded.cache_read_tokens,
        cache_write_tokens = excluded.cache_write_tokens, total_tokens = excluded.total_tokens,
        cost_usd = excluded.cost_usd, supplied_cost_usd = excluded.supplied_cost_usd,
        computed_cost_usd = excluded.computed_cost_usd, unpriced_call_count = excluded.unpriced_call_count,
        agent_name = excluded.agent_name, user_id = excluded.user_id,
        aggregate_usage_count = excluded.aggregate_usage_count, usage_mismatch = excluded.usage_mismatch,
        trace_ids = excluded.trace_ids, internal_count = excluded.internal_count, models = excluded.models`);
    this.deleteSession = db.prepare('DELETE FROM sessions WHERE session_id = @sessionId');
    this.deleteModels = db.prepare('DELETE FROM session_models WHERE session_id = @sessionId');
    this.insertModels = db.prepare(`INSERT INTO session_models (session_id, model, calls, input_tokens,
        output_tokens, reasoning_tokens, cache_read_tokens, cache_write_tokens, cost_usd)
      SELECT @sessionId, model, count(*), sum(c_input), sum(c_output), sum(c_reasoning), sum(c_cache_read),
        sum(c_cache_write), total(c_supplied_usd) + total(c_computed_usd)
      FROM spans WHERE resolved_session_id = @sessionId AND c_llm = 1 AND model IS NOT NULL GROUP BY model`);
    this.addModel = db.prepare(`INSERT INTO session_models (session_id, model, calls, input_tokens, output_tokens,
        reasoning_tokens, cache_read_tokens, cache_write_tokens, cost_usd)
      VALUES (@sessionId, @model, @calls, @inputTokens, @outputTokens, @reasoningTokens, @cacheReadTokens,
        @cacheWriteTokens, @costUsd)
      ON CONFLICT (session_id, model) DO UPDATE SET calls = calls + excluded.calls,
        input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
        reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
        cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
        cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, cost_usd = cost_usd + excluded.cost_usd`);
    this.deleteEmptyModel = db.prepare(
      'DELETE FROM session_models WHERE session_id = @sessionId AND model = @model AND calls <= 0',
    );
    const reads = [this.aggregate, this.selectSession, this.firstAgent, this.firstUser, this.rootErrors, this.usageRows];
    for (const statement of reads) statement.safeIntegers(true);
  }

  /**
   * Rebuilds the session from its spans. Must run inside the write transaction.
   * Returns whether the session is listed by default: false while every span is internal; true when it is gone.
   */
  recompute(sessionId: string): boolean {
    const p = { sessionId };
    const agg = this.aggregate.get(p) as AggregateRow;
    this.deleteModels.run(p);
    if (agg.span_count === 0n || agg.first_start_ns === null || agg.max_start_ns === null) {
      this.deleteSession.run(p);
      return true;
    }
    this.insertModels.run(p);
    const facts: Facts = {
      spanCount: Number(agg.span_count),
      llmCallCount: Number(agg.llm_call_count),
      toolCallCount: Number(agg.tool_call_count),
      errorCount: Number(agg.error_count),
      openCount: Number(agg.open_count),
      interruptedCount: Number(agg.interrupted_count),
      inputTokens: Number(agg.input_tokens),
      outputTokens: Number(agg.output_tokens),
      reasoningTokens: Number(agg.reasoning_tokens),
      cacheReadTokens: Number(agg.cache_read_tokens),
      cacheWriteTokens: Number(agg.cache_write_tokens),
      totalTokens: Number(agg.total_tokens),
      suppliedCostUsd: agg.supplied_cost_usd,
      computedCostUsd: agg.computed_cost_usd,
      unpricedCallCount: Number(agg.unpriced_call_count),
      aggregateUsageCount: Number(agg.aggregate_usage_count),
      internalCount: Number(agg.internal_count),
    };
    return this.finish(sessionId, {
      facts,
      firstStartNs: agg.first_start_ns,
      lastActivityNs:
        agg.max_end_ns !== null && agg.max_end_ns > agg.max_start_ns ? agg.max_end_ns : agg.max_start_ns,
      maxEndNs: agg.max_end_ns,
      traceIds: (agg.trace_ids ?? '').split(',').filter((id) => id !== ''),
    });
  }

  /** Adds one batch's delta to the stored rollup. Must run inside the write transaction. Returns as `recompute`. */
  apply(sessionId: string, delta: SessionDelta): boolean {
    const row = this.selectSession.get({ sessionId }) as StoredSessionRow | undefined;
    const facts = row ? factsOfSessionRow(row) : zeroFacts();
    for (const key of FACT_KEYS) facts[key] += delta.facts[key];
    const times = [row?.first_start_ns, delta.minStartNs].filter((t): t is bigint => t !== undefined && t !== null);
    const activity = [row?.last_activity_ns, delta.maxActivityNs].filter((t): t is bigint => t !== undefined && t !== null);
    if (facts.spanCount <= 0 || times.length === 0 || activity.length === 0) return this.recompute(sessionId);
    for (const [model, m] of delta.models) {
      if (Object.values(m).every((v) => v === 0)) continue;
      this.addModel.run({ sessionId, model, ...m });
      if (m.calls < 0) this.deleteEmptyModel.run({ sessionId, model });
    }
    let maxEndNs = row?.max_end_ns ?? null;
    if (delta.maxEndNs !== null && (maxEndNs === null || delta.maxEndNs > maxEndNs)) maxEndNs = delta.maxEndNs;
    const traceIds = new Set<string>(row ? (JSON.parse(row.trace_ids) as string[]) : []);
    for (const traceId of delta.traceIds) traceIds.add(traceId);
    return this.finish(sessionId, {
      facts,
      firstStartNs: times.reduce((a, b) => (b < a ? b : a)),
      lastActivityNs: activity.reduce((a, b) => (b > a ? b : a)),
      maxEndNs,
      traceIds,
      names: row && !delta.refreshNames ? { agentName: row.agent_name, userId: row.user_id } : undefined,
    });
  }

  private finish(sessionId: string, state: SessionState): boolean {
    const p = { sessionId };
    const f = state.facts;
    const rootErrorCount = f.errorCount > 0 ? Number((this.rootErrors.get(p) as { n: bigint }).n) : 0;
    const mismatch =
      f.aggregateUsageCount > 0 &&
      usageMismatch(
        (this.usageRows.all(p) as UsageRow[]).map(
          (row): UsageNode => ({
            traceId: row.trace_id,
            spanId: row.span_id,
            parentSpanId: row.parent_span_id,
            stepType: row.step_type as StepType,
            usage: usageOf(row),
          }),
        ),
      );
    const names = state.names ?? {
      agentName: (this.firstAgent.get(p) as { value: string } | undefined)?.value ?? null,
      userId: (this.firstUser.get(p) as { value: string } | undefined)?.value ?? null,
    };
    const lastEnd = f.openCount > 0 ? null : state.maxEndNs;
    this.upsertSession.run({
      session_id: sessionId,
      status: sessionStatus({ openCount: f.openCount, interruptedCount: f.interruptedCount, rootErrorCount }),
      first_start_ns: state.firstStartNs,
      last_end_ns: lastEnd,
      max_end_ns: state.maxEndNs,
      last_activity_ns: state.lastActivityNs,
      duration_ns: (lastEnd ?? state.lastActivityNs) - state.firstStartNs,
      span_count: f.spanCount,
      llm_call_count: f.llmCallCount,
      tool_call_count: f.toolCallCount,
      error_count: f.errorCount,
      open_count: f.openCount,
      interrupted_count: f.interruptedCount,
      input_tokens: f.inputTokens,
      output_tokens: f.outputTokens,
      reasoning_tokens: f.reasoningTokens,
      cache_read_tokens: f.cacheReadTokens,
      cache_write_tokens: f.cacheWriteTokens,
      total_tokens: f.totalTokens,
      cost_usd: f.suppliedCostUsd + f.computedCostUsd,
      supplied_cost_usd: f.suppliedCostUsd,
      computed_cost_usd: f.computedCostUsd,
      unpriced_call_count: f.unpricedCallCount,
      agent_name: names.agentName,
      user_id: names.userId,
      aggregate_usage_count: f.aggregateUsageCount,
      usage_mismatch: mismatch ? 1 : 0,
      trace_ids: JSON.stringify([...state.traceIds].sort()),
      internal_count: f.internalCount,
    });
    return f.internalCount < f.spanCount;
  }
}
