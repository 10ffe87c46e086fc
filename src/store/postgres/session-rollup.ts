/**
 * Keeps the touched sessions' rollup rows and per-model breakdowns current,
 * inside the transaction that wrote their spans (the caller holds their
 * session locks: advisory-locks.ts).
 *
 * The common path adds each session's delta in place (`UPDATE … SET x = x +
 * delta`, one statement for the whole batch), upserts the per-model
 * increments, and then judges the status and usage-mismatch flag from the
 * totals read back. Rare changes a delta cannot express (a trace moving to a
 * late session key, a span changing session or times) rebuild the session
 * from its spans' contribution columns (`c_*`, written from
 * `spanContribution`), so the double-counting rule lives in model/rollup.ts
 * only. Semantics are those of SQLite's session-rollup.ts.
 */

import type pg from 'pg';
import { sessionStatus, usageMismatch } from '../../model/rollup.js';
import type { UsageNode } from '../../model/rollup.js';
import type { SessionStatus, StepType } from '../../model/types.js';
import { FACT_COLUMNS, FACT_KEYS, isZeroModelDelta } from '../common/session-delta.js';
import type { BatchDeltas, Facts, SessionDelta } from '../common/session-delta.js';
import { prepared } from './query-params.js';
import { usageOfColumns } from './span-row.js';
import type { UsageColumns } from './span-row.js';

/** The PostgreSQL type of each fact's column, for the `unnest` casts. */
const FACT_TYPES: Record<(typeof FACT_KEYS)[number], string> = Object.fromEntries(
  FACT_KEYS.map((key) => [key, key === 'suppliedCostUsd' || key === 'computedCostUsd' ? 'float8' : 'int8']),
) as Record<(typeof FACT_KEYS)[number], string>;

const FACT_LIST = FACT_KEYS.map((key) => FACT_COLUMNS[key]);

/** Byte order, as SQLite compares text (and JS sorts hex ids). */
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Adds one delta per session: inserted whole when the session is new. In
 * DO UPDATE every `sessions.x` is the old value, so the derived columns are
 * written from the old values and the delta, as `finish` derives them.
 */
const INCREMENT_SQL = (() => {
  const deltaColumns = ['session_id', 'first_start_ns', 'last_end_ns', 'max_end_ns', 'last_activity_ns', 'duration_ns', 'trace_ids', ...FACT_LIST];
  const casts = ['text', 'int8', 'int8', 'int8', 'int8', 'int8', 'text', ...FACT_KEYS.map((key) => FACT_TYPES[key])];
  const params = casts.map((cast, i) => `$${i + 1}::${cast}[]`).join(', ');
  const maxEnd = 'GREATEST(sessions.max_end_ns, EXCLUDED.max_end_ns)';
  const firstStart = 'LEAST(sessions.first_start_ns, EXCLUDED.first_start_ns)';
  const lastActivity = 'GREATEST(sessions.last_activity_ns, EXCLUDED.last_activity_ns)';
  const lastEnd = `CASE WHEN sessions.open_count + EXCLUDED.open_count > 0 THEN NULL ELSE ${maxEnd} END`;
  return `INSERT INTO sessions (session_id, status, first_start_ns, last_end_ns, max_end_ns, last_activity_ns,
    duration_ns, ${FACT_LIST.join(', ')}, cost_usd, usage_mismatch, trace_ids)
  SELECT u.session_id, 'completed', u.first_start_ns, u.last_end_ns, u.max_end_ns, u.last_activity_ns, u.duration_ns,
    ${FACT_LIST.map((c) => `u.${c}`).join(', ')}, u.supplied_cost_usd + u.computed_cost_usd, false,
    ARRAY(SELECT json_array_elements_text(u.trace_ids::json))
  FROM unnest(${params}) AS u(${deltaColumns.join(', ')})
  ON CONFLICT (session_id) DO UPDATE SET
    ${FACT_LIST.map((c) => `${c} = sessions.${c} + EXCLUDED.${c}`).join(',\n    ')},
    cost_usd = (sessions.supplied_cost_usd + EXCLUDED.supplied_cost_usd)
      + (sessions.computed_cost_usd + EXCLUDED.computed_cost_usd),
    first_start_ns = ${firstStart},
    max_end_ns = ${maxEnd},
    last_activity_ns = ${lastActivity},
    last_end_ns = ${lastEnd},
    duration_ns = coalesce(${lastEnd}, ${lastActivity}) - ${firstStart},
    trace_ids = CASE WHEN EXCLUDED.trace_ids <@ sessions.trace_ids THEN sessions.trace_ids
      ELSE ARRAY(SELECT DISTINCT t COLLATE "C" FROM unnest(sessions.trace_ids || EXCLUDED.trace_ids) AS t ORDER BY 1) END
  RETURNING session_id, status, usage_mismatch, span_count, open_count, interrupted_count, error_count,
    aggregate_usage_count`;
})();

const MODEL_COLUMNS = ['calls', 'input_tokens', 'output_tokens', 'reasoning_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cost_usd'];

const ADD_MODELS_SQL = `INSERT INTO session_models (session_id, model, ${MODEL_COLUMNS.join(', ')})
  SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[],
    $9::float8[])
  ON CONFLICT (session_id, model) DO UPDATE SET
    ${MODEL_COLUMNS.map((c) => `${c} = session_models.${c} + EXCLUDED.${c}`).join(', ')}`;

/** A model no call of the session names any more. */
const DROP_EMPTY_MODELS_SQL = 'DELETE FROM session_models WHERE session_id = ANY($1::text[]) AND calls <= 0';

/** The session's models, most calls first, then by name (SQLite's `sessions.models` order). */
const MODELS_OF = (session: string): string => `coalesce((SELECT array_agg(m.model ORDER BY m.calls DESC, m.model COLLATE "C")
  FROM session_models m WHERE m.session_id = ${session}), '{}')`;

/** The session's first agent name or user id, by start. */
const FIRST_OF = (column: 'agent_name' | 'user_id', session: string): string => `(SELECT x.${column} FROM spans x
  WHERE x.resolved_session_id = ${session} AND x.${column} IS NOT NULL ORDER BY x.start_ns, x.id LIMIT 1)`;

const REFRESH_MODELS_SQL = `UPDATE sessions SET models = ${MODELS_OF('sessions.session_id')}
  WHERE session_id = ANY($1::text[])`;

const REFRESH_NAMES_SQL = `UPDATE sessions SET agent_name = ${FIRST_OF('agent_name', 'sessions.session_id')},
  user_id = ${FIRST_OF('user_id', 'sessions.session_id')}
  WHERE session_id = ANY($1::text[])`;

const SET_STATUS_SQL = `UPDATE sessions SET status = u.status, usage_mismatch = u.mismatch
  FROM unnest($1::text[], $2::text[], $3::bool[]) AS u(session_id, status, mismatch)
  WHERE sessions.session_id = u.session_id`;

/** Error steps whose parent is not in their session: what makes a session failed. */
const ROOT_ERRORS_SQL = `SELECT s.resolved_session_id AS session_id, count(*) AS n FROM spans s
  WHERE s.resolved_session_id = ANY($1::text[]) AND s.is_error AND NOT s.internal
    AND NOT EXISTS (SELECT 1 FROM spans p WHERE p.trace_id = s.trace_id AND p.span_id = s.parent_span_id
                      AND p.resolved_session_id = s.resolved_session_id)
  GROUP BY s.resolved_session_id`;

const USAGE_COLUMNS = `resolved_session_id, trace_id, span_id, parent_span_id, step_type, usage_input, usage_output,
  usage_reasoning, usage_cache_read, usage_cache_write, usage_total`;
const SESSION_USAGE_SQL = `SELECT ${USAGE_COLUMNS} FROM spans WHERE resolved_session_id = ANY($1::text[])`;
const TRACE_USAGE_SQL = `SELECT ${USAGE_COLUMNS} FROM spans
  WHERE (resolved_session_id, trace_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`;

const sumOf = (column: string): string => `coalesce(sum(${column}), 0)::int8`;

/** Each session's totals, rebuilt from its spans (after its `session_models` rows are). */
const AGGREGATE_SQL = `SELECT a.*, ${FIRST_OF('agent_name', 'a.session_id')} AS agent_name,
    ${FIRST_OF('user_id', 'a.session_id')} AS user_id, ${MODELS_OF('a.session_id')} AS models
  FROM (SELECT resolved_session_id AS session_id,
      count(*) AS span_count,
      min(start_ns) AS first_start_ns,
      max(start_ns) AS max_start_ns,
      max(end_ns) AS max_end_ns,
      count(*) FILTER (WHERE end_ns IS NULL AND NOT interrupted) AS open_count,
      count(*) FILTER (WHERE interrupted) AS interrupted_count,
      ${sumOf('c_llm')} AS llm_call_count,
      ${sumOf('c_tool')} AS tool_call_count,
      count(*) FILTER (WHERE is_error AND NOT internal) AS error_count,
      ${sumOf('c_input')} AS input_tokens,
      ${sumOf('c_output')} AS output_tokens,
      ${sumOf('c_reasoning')} AS reasoning_tokens,
      ${sumOf('c_cache_read')} AS cache_read_tokens,
      ${sumOf('c_cache_write')} AS cache_write_tokens,
      ${sumOf('c_total')} AS total_tokens,
      coalesce(sum(c_supplied_usd), 0) AS supplied_cost_usd,
      coalesce(sum(c_computed_usd), 0) AS computed_cost_usd,
      ${sumOf('c_unpriced')} AS unpriced_call_count,
      ${sumOf('c_aggregate_usage')} AS aggregate_usage_count,
      count(*) FILTER (WHERE internal) AS internal_count,
      array_agg(DISTINCT trace_id) AS trace_ids
    FROM spans WHERE resolved_session_id = ANY($1::text[]) GROUP BY resolved_session_id) AS a`;

const REBUILD_MODELS_SQL = `INSERT INTO session_models (session_id, model, ${MODEL_COLUMNS.join(', ')})
  SELECT resolved_session_id, model, count(*), ${['c_input', 'c_output', 'c_reasoning', 'c_cache_read', 'c_cache_write'].map(sumOf).join(', ')},
    coalesce(sum(c_supplied_usd), 0) + coalesce(sum(c_computed_usd), 0)
  FROM spans WHERE resolved_session_id = ANY($1::text[]) AND c_llm = 1 AND model IS NOT NULL
  GROUP BY resolved_session_id, model`;

/** Writes whole rows: every column from the rebuild. */
const WRITE_ROWS_SQL = (() => {
  const columns = ['session_id', 'status', 'first_start_ns', 'last_end_ns', 'max_end_ns', 'last_activity_ns', 'duration_ns',
    ...FACT_LIST, 'cost_usd', 'usage_mismatch', 'agent_name', 'user_id', 'trace_ids', 'models'];
  const casts = ['text', 'text', 'int8', 'int8', 'int8', 'int8', 'int8', ...FACT_KEYS.map((key) => FACT_TYPES[key]),
    'float8', 'bool', 'text', 'text', 'text', 'text'];
  const selected = columns.map((c) => (c === 'trace_ids' || c === 'models' ? `ARRAY(SELECT json_array_elements_text(u.${c}::json))` : `u.${c}`));
  return `INSERT INTO sessions (${columns.join(', ')})
    SELECT ${selected.join(', ')}
    FROM unnest(${casts.map((cast, i) => `$${i + 1}::${cast}[]`).join(', ')}) AS u(${columns.join(', ')})
    ON CONFLICT (session_id) DO UPDATE SET
      ${columns.slice(1).map((c) => `${c} = EXCLUDED.${c}`).join(',\n      ')}`;
})();

interface IncrementedRow {
  session_id: string;
  status: string;
  usage_mismatch: boolean;
  span_count: bigint;
  open_count: bigint;
  interrupted_count: bigint;
  error_count: bigint;
  aggregate_usage_count: bigint;
}

interface AggregateRow {
  session_id: string;
  span_count: bigint;
  first_start_ns: bigint;
  max_start_ns: bigint;
  max_end_ns: bigint | null;
  open_count: bigint;
  interrupted_count: bigint;
  llm_call_count: bigint;
  tool_call_count: bigint;
  error_count: bigint;
  input_tokens: bigint;
  output_tokens: bigint;
  reasoning_tokens: bigint;
  cache_read_tokens: bigint;
  cache_write_tokens: bigint;
  total_tokens: bigint;
  supplied_cost_usd: number;
  computed_cost_usd: number;
  unpriced_call_count: bigint;
  aggregate_usage_count: bigint;
  internal_count: bigint;
  trace_ids: string[];
  agent_name: string | null;
  user_id: string | null;
  models: string[];
}

interface UsageRow extends UsageColumns {
  resolved_session_id: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  step_type: string;
}

/** What a session's status and usage-mismatch flag are judged from. */
interface JudgeInput {
  sessionId: string;
  openCount: number;
  interruptedCount: number;
  errorCount: number;
  aggregateUsageCount: number;
  /** Only the session's spans in these traces can disagree (it agreed before); undefined: judge them all. */
  traces?: readonly string[];
}

interface Judgement {
  status: SessionStatus;
  mismatch: boolean;
}

function usageNodeOf(row: UsageRow): UsageNode {
  return {
    traceId: row.trace_id,
    spanId: row.span_id,
    parentSpanId: row.parent_span_id,
    stepType: row.step_type as StepType,
    usage: usageOfColumns(row),
  };
}

export class PgSessionRollup {
  /** Brings every session the batch touched up to date: deltas where they suffice, rebuilds where not. */
  async update(client: pg.PoolClient, batch: BatchDeltas): Promise<void> {
    const rebuild = new Set(batch.needsRecompute);
    const deltas: [string, SessionDelta][] = [];
    for (const entry of batch.deltas) {
      const [sessionId, delta] = entry;
      if (rebuild.has(sessionId)) continue;
      // A delta without a span added (cannot happen from the writer) has no times to insert a session with.
      if (delta.minStartNs === null || delta.maxActivityNs === null) rebuild.add(sessionId);
      else deltas.push(entry);
    }
    for (const sessionId of await this.apply(client, deltas)) rebuild.add(sessionId);
    await this.recompute(client, [...rebuild]);
  }

  /** Adds the deltas; returns the sessions left with no span, for a rebuild. */
  private async apply(client: pg.PoolClient, deltas: readonly [string, SessionDelta][]): Promise<string[]> {
    if (deltas.length === 0) return [];
    const columns: unknown[][] = Array.from({ length: 7 + FACT_KEYS.length }, () => []);
    for (const [sessionId, delta] of deltas) {
      const f = delta.facts;
      const lastEnd = f.openCount > 0 ? null : delta.maxEndNs;
      const firstStart = delta.minStartNs as bigint;
      const lastActivity = delta.maxActivityNs as bigint;
      const values: unknown[] = [
        sessionId,
        firstStart,
        lastEnd,
        delta.maxEndNs,
        lastActivity,
        (lastEnd ?? lastActivity) - firstStart,
        JSON.stringify([...delta.traceIds].sort(byCodePoint)),
        ...FACT_KEYS.map((key) => f[key]),
      ];
      for (let i = 0; i < values.length; i++) columns[i].push(values[i]);
    }
    const incremented = (await client.query<IncrementedRow>(prepared(INCREMENT_SQL, columns))).rows;

    const modelColumns: unknown[][] = Array.from({ length: 9 }, () => []);
    const modelsChanged: string[] = [];
    /** A session once, however many of its models lost calls. */
    const modelsDropped = new Set<string>();
    const namesChanged: string[] = [];
    for (const [sessionId, delta] of deltas) {
      let changed = false;
      for (const [model, m] of delta.models) {
        if (isZeroModelDelta(m)) continue;
        const values = [sessionId, model, m.calls, m.inputTokens, m.outputTokens, m.reasoningTokens, m.cacheReadTokens,
          m.cacheWriteTokens, m.costUsd];
        for (let i = 0; i < values.length; i++) modelColumns[i].push(values[i]);
        changed = true;
        if (m.calls < 0) modelsDropped.add(sessionId);
      }
      if (changed) modelsChanged.push(sessionId);
      if (delta.refreshNames) namesChanged.push(sessionId);
    }
    if (modelsChanged.length > 0) {
      await client.query(prepared(ADD_MODELS_SQL, modelColumns));
      if (modelsDropped.size > 0) {
        await client.query(prepared(DROP_EMPTY_MODELS_SQL, [[...modelsDropped]]));
      }
      await client.query(prepared(REFRESH_MODELS_SQL, [modelsChanged]));
    }
    if (namesChanged.length > 0) await client.query(prepared(REFRESH_NAMES_SQL, [namesChanged]));

    const empty: string[] = [];
    const inputs: JudgeInput[] = [];
    const byId = new Map(deltas);
    const before = new Map<string, IncrementedRow>();
    for (const row of incremented) {
      if (row.span_count <= 0n) {
        empty.push(row.session_id);
        continue;
      }
      before.set(row.session_id, row);
      const delta = byId.get(row.session_id) as SessionDelta;
      inputs.push({
        sessionId: row.session_id,
        openCount: Number(row.open_count),
        interruptedCount: Number(row.interrupted_count),
        errorCount: Number(row.error_count),
        aggregateUsageCount: Number(row.aggregate_usage_count),
        // Agreeing before the batch, only the traces it wrote to can disagree now.
        traces: row.usage_mismatch ? undefined : [...delta.traceIds],
      });
    }
    const judged = await this.judge(client, inputs);
    const changed: [string, Judgement][] = [];
    for (const [sessionId, judgement] of judged) {
      const row = before.get(sessionId) as IncrementedRow;
      if (row.status !== judgement.status || row.usage_mismatch !== judgement.mismatch) changed.push([sessionId, judgement]);
    }
    await this.setStatus(client, changed);
    return empty;
  }

  private async setStatus(client: pg.PoolClient, judged: readonly [string, Judgement][]): Promise<void> {
    if (judged.length === 0) return;
    const ids = judged.map(([id]) => id);
    await client.query(prepared(SET_STATUS_SQL, [ids, judged.map(([, j]) => j.status), judged.map(([, j]) => j.mismatch)]));
  }

  /** Status and usage-mismatch flag of each session with these totals (its spans written). */
  private async judge(client: pg.PoolClient, inputs: readonly JudgeInput[]): Promise<Map<string, Judgement>> {
    const erring = inputs.filter((input) => input.errorCount > 0).map((input) => input.sessionId);
    const rootErrors = new Map<string, number>();
    if (erring.length > 0) {
      const { rows } = await client.query<{ session_id: string; n: bigint }>(prepared(ROOT_ERRORS_SQL, [erring]));
      for (const row of rows) rootErrors.set(row.session_id, Number(row.n));
    }
    const nodes = new Map<string, UsageNode[]>();
    const whole: string[] = [];
    const pairs: [string[], string[]] = [[], []];
    for (const input of inputs) {
      if (input.aggregateUsageCount <= 0) continue;
      nodes.set(input.sessionId, []);
      if (input.traces === undefined) {
        whole.push(input.sessionId);
      } else {
        for (const traceId of input.traces) {
          pairs[0].push(input.sessionId);
          pairs[1].push(traceId);
        }
      }
    }
    const usageRows: UsageRow[] = [];
    if (whole.length > 0) usageRows.push(...(await client.query<UsageRow>(prepared(SESSION_USAGE_SQL, [whole]))).rows);
    if (pairs[0].length > 0) usageRows.push(...(await client.query<UsageRow>(prepared(TRACE_USAGE_SQL, pairs))).rows);
    for (const row of usageRows) nodes.get(row.resolved_session_id)?.push(usageNodeOf(row));

    const judged = new Map<string, Judgement>();
    for (const input of inputs) {
      const sessionNodes = nodes.get(input.sessionId);
      judged.set(input.sessionId, {
        status: sessionStatus({
          openCount: input.openCount,
          interruptedCount: input.interruptedCount,
          rootErrorCount: rootErrors.get(input.sessionId) ?? 0,
        }),
        mismatch: sessionNodes !== undefined && usageMismatch(sessionNodes),
      });
    }
    return judged;
  }

  /** Rebuilds these sessions from their spans; a session left with none is deleted. */
  async recompute(client: pg.PoolClient, sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    await client.query(prepared('DELETE FROM session_models WHERE session_id = ANY($1::text[])', [sessionIds]));
    await client.query(prepared(REBUILD_MODELS_SQL, [sessionIds]));
    const { rows } = await client.query<AggregateRow>(prepared(AGGREGATE_SQL, [sessionIds]));
    const found = new Set(rows.map((row) => row.session_id));
    const gone = sessionIds.filter((id) => !found.has(id));
    if (gone.length > 0) await client.query(prepared('DELETE FROM sessions WHERE session_id = ANY($1::text[])', [gone]));
    if (rows.length === 0) return;

    const factsOf = (row: AggregateRow): Facts => ({
      spanCount: Number(row.span_count),
      llmCallCount: Number(row.llm_call_count),
      toolCallCount: Number(row.tool_call_count),
      errorCount: Number(row.error_count),
      openCount: Number(row.open_count),
      interruptedCount: Number(row.interrupted_count),
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
      reasoningTokens: Number(row.reasoning_tokens),
      cacheReadTokens: Number(row.cache_read_tokens),
      cacheWriteTokens: Number(row.cache_write_tokens),
      totalTokens: Number(row.total_tokens),
      suppliedCostUsd: row.supplied_cost_usd,
      computedCostUsd: row.computed_cost_usd,
      unpricedCallCount: Number(row.unpriced_call_count),
      aggregateUsageCount: Number(row.aggregate_usage_count),
      internalCount: Number(row.internal_count),
    });
    const facts = new Map(rows.map((row) => [row.session_id, factsOf(row)]));
    const judged = await this.judge(
      client,
      rows.map((row) => {
        const f = facts.get(row.session_id) as Facts;
        return { sessionId: row.session_id, ...f };
      }),
    );
    const columns: unknown[][] = [];
    const push = (values: readonly unknown[]): void => {
      if (columns.length === 0) for (let i = 0; i < values.length; i++) columns.push([]);
      for (let i = 0; i < values.length; i++) columns[i].push(values[i]);
    };
    for (const row of rows) {
      const f = facts.get(row.session_id) as Facts;
      const judgement = judged.get(row.session_id) as Judgement;
      const lastActivity = row.max_end_ns !== null && row.max_end_ns > row.max_start_ns ? row.max_end_ns : row.max_start_ns;
      const lastEnd = f.openCount > 0 ? null : row.max_end_ns;
      push([
        row.session_id,
        judgement.status,
        row.first_start_ns,
        lastEnd,
        row.max_end_ns,
        lastActivity,
        (lastEnd ?? lastActivity) - row.first_start_ns,
        ...FACT_KEYS.map((key) => f[key]),
        f.suppliedCostUsd + f.computedCostUsd,
        judgement.mismatch,
        row.agent_name,
        row.user_id,
        JSON.stringify([...row.trace_ids].sort(byCodePoint)),
        JSON.stringify(row.models),
      ]);
    }
    await client.query(prepared(WRITE_ROWS_SQL, columns));
  }
}
