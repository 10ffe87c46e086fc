/**
 * Keeps a session's rollup row and per-model breakdown current, inside the
 * transaction that changed its spans.
 *
 * The common path applies the batch's additive deltas (`apply`) in place:
 * one `UPDATE … SET x = x + ?` per touched session (then reading back the totals the
 * status is derived from) and one upsert per (session, model), so its cost
 * does not grow with the session's size and no row is read back into JS. Rare changes that deltas cannot express
 * (a trace moving to a late session key, a span changing session or times,
 * crash recovery) rebuild the session from its spans (`recompute`), summing
 * the per-span contribution columns (`c_*`, written from `spanContribution`)
 * so the double-counting rule lives in model/rollup.ts only. Both paths end
 * in `finish`, which derives status, names and the usage-mismatch flag.
 */

import type Database from 'better-sqlite3';
import { sessionStatus, usageMismatch } from '../../model/rollup.js';
import type { UsageNode } from '../../model/rollup.js';
import { FACT_COLUMNS, FACT_KEYS, isZeroModelDelta, zeroFacts } from '../common/session-delta.js';
import type { Facts, SessionDelta } from '../common/session-delta.js';
import { usageNodeOf } from './session-rollup-rows.js';
import type { AggregateRow, IncrementedRow, SessionState, UsageRow } from './session-rollup-rows.js';

/** The session's newest end, first start and newest activity once the batch's are merged in (old values + params). */
const MAX_END = `CASE WHEN @maxEndNs IS NULL THEN max_end_ns
  WHEN max_end_ns IS NULL OR @maxEndNs > max_end_ns THEN @maxEndNs ELSE max_end_ns END`;
const FIRST_START = 'CASE WHEN @minStartNs IS NOT NULL AND @minStartNs < first_start_ns THEN @minStartNs ELSE first_start_ns END';
const LAST_ACTIVITY = `CASE WHEN @maxActivityNs IS NOT NULL AND @maxActivityNs > last_activity_ns THEN @maxActivityNs
  ELSE last_activity_ns END`;
/** Ended only once nothing is open, as `finish` has it. */
const LAST_END = `CASE WHEN open_count + @openCount > 0 THEN NULL ELSE ${MAX_END} END`;

/**
 * Adds a batch's delta to a session row in place. In an UPDATE every column on
 * the right is the old value, so the derived columns are written from the old
 * values plus the delta, exactly as `finish` derives them from the new totals;
 * status and the usage-mismatch flag need reads of the spans, so they are
 * judged afterwards from the row read back and written only on a change.
 */
const INCREMENT_SQL = `UPDATE sessions SET
  ${FACT_KEYS.map((key) => `${FACT_COLUMNS[key]} = ${FACT_COLUMNS[key]} + @${key}`).join(',\n  ')},
  cost_usd = (supplied_cost_usd + @suppliedCostUsd) + (computed_cost_usd + @computedCostUsd),
  first_start_ns = ${FIRST_START},
  max_end_ns = ${MAX_END},
  last_activity_ns = ${LAST_ACTIVITY},
  last_end_ns = ${LAST_END},
  duration_ns = coalesce(${LAST_END}, ${LAST_ACTIVITY}) - (${FIRST_START}),
  trace_ids = CASE
    WHEN NOT EXISTS (SELECT 1 FROM json_each(@traceIds) n WHERE instr(trace_ids, '"' || n.value || '"') = 0) THEN trace_ids
    ELSE (SELECT json_group_array(value ORDER BY value)
      FROM (SELECT value FROM json_each(trace_ids) UNION SELECT value FROM json_each(@traceIds))) END,
  agent_name = CASE WHEN @refreshNames THEN @agentName ELSE agent_name END,
  user_id = CASE WHEN @refreshNames THEN @userId ELSE user_id END,
  models = coalesce(@models, models)
WHERE session_id = @sessionId`;

/**
 * What `apply` judges the session by once its delta is added: read after the UPDATE rather than
 * through its RETURNING clause, which made SQLite open a temporary b-tree for every statement run
 * (about half the UPDATE's time).
 */
/** The session's models, most calls first, then by name, as a JSON array (`sessions.models`, migration 005). */
const MODELS_JSON_SQL = `SELECT json_group_array(m.model ORDER BY m.calls DESC, m.model) FROM session_models m
  WHERE m.session_id = ?`;

/** Model names JSON.stringify writes as SQLite's JSON functions do: printable ASCII without quotes or backslashes. */
const PLAIN_JSON_TEXT = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

const INCREMENTED_SQL = `SELECT status, usage_mismatch, span_count, open_count, interrupted_count, error_count,
  aggregate_usage_count, internal_count
FROM sessions WHERE session_id = ?`;

export class SessionRollup {
  private readonly aggregate: Database.Statement;
  private readonly increment: Database.Statement;
  private readonly incremented: Database.Statement;
  private readonly modelCalls: Database.Statement;
  private readonly modelsJsonOf: Database.Statement;
  private readonly setStatus: Database.Statement;
  private readonly firstAgent: Database.Statement;
  private readonly firstUser: Database.Statement;
  private readonly rootErrors: Database.Statement;
  private readonly usageRows: Database.Statement;
  private readonly traceUsageRows: Database.Statement;
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
    this.increment = db.prepare(INCREMENT_SQL);
    this.incremented = db.prepare(INCREMENTED_SQL);
    // By model name, as SQLite compares them (the primary key's order: no sort).
    this.modelCalls = db.prepare('SELECT model, calls FROM session_models WHERE session_id = ? ORDER BY model').raw();
    this.modelsJsonOf = db.prepare(MODELS_JSON_SQL).pluck();
    this.setStatus = db.prepare(
      'UPDATE sessions SET status = @status, usage_mismatch = @usageMismatch WHERE session_id = @sessionId',
    );
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
    this.traceUsageRows = db.prepare(`SELECT trace_id, span_id, parent_span_id, step_type, usage_input, usage_output,
        usage_reasoning, usage_cache_read, usage_cache_write, usage_total
      FROM spans WHERE trace_id = @traceId AND resolved_session_id = @sessionId`);
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
    const reads = [this.aggregate, this.incremented, this.firstAgent, this.firstUser, this.rootErrors];
    for (const statement of reads) statement.safeIntegers(true);
    // Arrays of plain numbers: a session's usage rows are read whole, and usage is compared as numbers
    // (an integer past 2^53 reads as the nearest double, as Number() of its bigint would make it).
    this.usageRows.raw(true);
    this.traceUsageRows.raw(true);
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
    let modelsChanged = false;
    for (const [model, m] of delta.models) {
      if (isZeroModelDelta(m)) continue;
      this.addModel.run({
        sessionId,
        model,
        calls: m.calls,
        inputTokens: m.inputTokens,
        outputTokens: m.outputTokens,
        reasoningTokens: m.reasoningTokens,
        cacheReadTokens: m.cacheReadTokens,
        cacheWriteTokens: m.cacheWriteTokens,
        costUsd: m.costUsd,
      });
      if (m.calls < 0) this.deleteEmptyModel.run({ sessionId, model });
      modelsChanged = true;
    }
    const p = { sessionId };
    const names = delta.refreshNames ? this.namesOf(p) : { agentName: null, userId: null };
    const f = delta.facts;
    // Every parameter written out: spreading the facts into the object made one in dictionary mode per session.
    const { changes } = this.increment.run({
      sessionId,
      spanCount: f.spanCount,
      llmCallCount: f.llmCallCount,
      toolCallCount: f.toolCallCount,
      errorCount: f.errorCount,
      openCount: f.openCount,
      interruptedCount: f.interruptedCount,
      inputTokens: f.inputTokens,
      outputTokens: f.outputTokens,
      reasoningTokens: f.reasoningTokens,
      cacheReadTokens: f.cacheReadTokens,
      cacheWriteTokens: f.cacheWriteTokens,
      totalTokens: f.totalTokens,
      suppliedCostUsd: f.suppliedCostUsd,
      computedCostUsd: f.computedCostUsd,
      unpricedCallCount: f.unpricedCallCount,
      aggregateUsageCount: f.aggregateUsageCount,
      internalCount: f.internalCount,
      minStartNs: delta.minStartNs,
      maxActivityNs: delta.maxActivityNs,
      maxEndNs: delta.maxEndNs,
      traceIds: JSON.stringify([...delta.traceIds]),
      refreshNames: delta.refreshNames ? 1 : 0,
      agentName: names.agentName,
      userId: names.userId,
      models: modelsChanged ? this.modelsJson(sessionId) : null,
    });
    if (changes === 0) return this.create(sessionId, delta);
    const row = this.incremented.get(sessionId) as IncrementedRow;
    if (row.span_count <= 0n) return this.recompute(sessionId);
    const { status, mismatch } = this.judge(
      sessionId,
      {
        openCount: Number(row.open_count),
        interruptedCount: Number(row.interrupted_count),
        errorCount: Number(row.error_count),
        aggregateUsageCount: Number(row.aggregate_usage_count),
      },
      // Agreeing before the batch, only the traces it wrote to can disagree now.
      row.usage_mismatch === 0n ? delta.traceIds : undefined,
    );
    if (status !== row.status || (mismatch ? 1n : 0n) !== row.usage_mismatch) {
      this.setStatus.run({ sessionId, status, usageMismatch: mismatch ? 1 : 0 });
    }
    return row.internal_count < row.span_count;
  }

  /**
   * `MODELS_JSON_SQL`'s answer, built here: that ordered aggregate made SQLite
   * open a temporary b-tree on every run. The rows come by name, so a stable
   * sort by calls leaves ties in SQLite's order; a name JSON.stringify might
   * write otherwise than SQLite is left to SQLite.
   */
  private modelsJson(sessionId: string): string {
    const rows = this.modelCalls.all(sessionId) as [string, number][];
    const names: string[] = [];
    for (const [model] of rows) {
      if (!PLAIN_JSON_TEXT.test(model)) return this.modelsJsonOf.get(sessionId) as string;
      names.push(model);
    }
    if (rows.length > 1) {
      rows.sort((a, b) => b[1] - a[1]);
      for (let i = 0; i < rows.length; i++) names[i] = rows[i][0];
    }
    return JSON.stringify(names);
  }

  /** A session the store has no row for: the delta is all it has (its models were added by `apply`). */
  private create(sessionId: string, delta: SessionDelta): boolean {
    const facts = zeroFacts();
    for (const key of FACT_KEYS) facts[key] += delta.facts[key];
    if (facts.spanCount <= 0 || delta.minStartNs === null || delta.maxActivityNs === null) {
      return this.recompute(sessionId);
    }
    return this.finish(sessionId, {
      facts,
      firstStartNs: delta.minStartNs,
      lastActivityNs: delta.maxActivityNs,
      maxEndNs: delta.maxEndNs,
      traceIds: delta.traceIds,
    });
  }

  /**
   * Status and usage-mismatch flag of a session with these totals (its spans
   * written). An aggregate span is compared with the calls below it, which are
   * in its trace: with `traces`, only the session's spans in those are judged
   * (the session's other traces are known to agree), not every span it has.
   */
  private judge(
    sessionId: string,
    f: { openCount: number; interruptedCount: number; errorCount: number; aggregateUsageCount: number },
    traces?: Iterable<string>,
  ): { status: ReturnType<typeof sessionStatus>; mismatch: boolean } {
    const p = { sessionId };
    const rootErrorCount = f.errorCount > 0 ? Number((this.rootErrors.get(p) as { n: bigint }).n) : 0;
    const usageNodes = (): UsageNode[] => {
      if (traces === undefined) return (this.usageRows.all(p) as UsageRow[]).map(usageNodeOf);
      const nodes: UsageNode[] = [];
      for (const traceId of traces) {
        for (const row of this.traceUsageRows.all({ sessionId, traceId }) as UsageRow[]) nodes.push(usageNodeOf(row));
      }
      return nodes;
    };
    const mismatch = f.aggregateUsageCount > 0 && usageMismatch(usageNodes());
    return {
      status: sessionStatus({ openCount: f.openCount, interruptedCount: f.interruptedCount, rootErrorCount }),
      mismatch,
    };
  }

  /** The session's first agent name and user id, by start. */
  private namesOf(p: { sessionId: string }): { agentName: string | null; userId: string | null } {
    return {
      agentName: (this.firstAgent.get(p) as { value: string } | undefined)?.value ?? null,
      userId: (this.firstUser.get(p) as { value: string } | undefined)?.value ?? null,
    };
  }

  private finish(sessionId: string, state: SessionState): boolean {
    const f = state.facts;
    const { status, mismatch } = this.judge(sessionId, f);
    const names = state.names ?? this.namesOf({ sessionId });
    const lastEnd = f.openCount > 0 ? null : state.maxEndNs;
    this.upsertSession.run({
      session_id: sessionId,
      status,
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
