/**
 * The write path: one transaction per batch that upserts the spans, resolves
 * their sessions and brings the touched sessions' rollups up to date, so a
 * reader never sees spans without their rollup. The semantics are SQLite's
 * (store/sqlite/span-writer.ts); the statements are per batch, not per span.
 *
 * Session resolution: a span's own key wins; a span without one inherits its
 * trace's session; a trace with none is its own session (id = trace id).
 * Children usually end, and so arrive, before the root that carries the key:
 * when a key first arrives for a trace that had the implicit session, the
 * trace's inheriting spans move to the keyed session and both rollups are
 * rebuilt. Otherwise each touched session gets the batch's delta.
 *
 * Concurrency: several collectors may write one database. Each batch locks
 * its traces, then the sessions it touches (advisory-locks.ts) before it
 * reads or writes them, so two batches sharing a trace or a session run one
 * after the other, and every read of a trace's spans and session is current.
 */

import type pg from 'pg';
import { encodeStorable } from '../../model/attributes-codec.js';
import { hasBudgets } from '../../model/budgets.js';
import type { BudgetConfig, BudgetEventRecord } from '../../model/budgets.js';
import { spanContribution } from '../../model/rollup.js';
import type { SpanContribution } from '../../model/rollup.js';
import type { SpanRecord } from '../../model/types.js';
import { BatchDeltas } from '../common/session-delta.js';
import type { Facts } from '../common/session-delta.js';
import { IGNORED, SUPERSEDED, WRITTEN, effectiveRecords, spanKey } from '../common/record-fates.js';
import type { Fate } from '../common/record-fates.js';
import { lockSessions, lockTraces } from './advisory-locks.js';
import type { PgBudgetLedger } from './budget-ledger.js';
import type { FeedChanges, PgChangeLog } from './change-log.js';
import type { ResourceAndScope } from './commit-transaction.js';
import { inTransaction } from './connection.js';
import { prepared } from './query-params.js';
import { searchText } from './search-words.js';
import { PgSessionRollup } from './session-rollup.js';
import type { PgSignals } from './signal-store.js';
import { encodeCounts, encodeRawColumn, pgText, resourceBodyOf } from './span-row.js';
import type { ResourceBody } from './span-row.js';

/** The columns of a stored span the write path judges it by. */
interface ExistingRow {
  trace_id: string;
  span_id: string;
  session_id: string | null;
  resolved_session_id: string;
  start_ns: bigint;
  end_ns: bigint | null;
  interrupted: boolean;
  is_error: boolean;
  model: string | null;
  c_llm: number;
  c_tool: number;
  c_input: bigint;
  c_output: bigint;
  c_reasoning: bigint;
  c_cache_read: bigint;
  c_cache_write: bigint;
  c_total: bigint;
  c_supplied_usd: number;
  c_computed_usd: number;
  c_unpriced: number;
  c_aggregate_usage: number;
  internal: boolean;
  named: boolean;
}

const SELECT_EXISTING_SQL = `SELECT trace_id, span_id, session_id, resolved_session_id, start_ns, end_ns, interrupted,
    is_error, model, c_llm, c_tool, c_input, c_output, c_reasoning, c_cache_read, c_cache_write, c_total,
    c_supplied_usd, c_computed_usd, c_unpriced, c_aggregate_usage, internal,
    (agent_name IS NOT NULL OR user_id IS NOT NULL) AS named
  FROM spans WHERE (trace_id, span_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`;

/** A stored span's contribution, as facts (SQLite's `factsOfRow`). */
function factsOfRow(row: ExistingRow): Facts {
  return {
    spanCount: 1,
    llmCallCount: row.c_llm,
    toolCallCount: row.c_tool,
    errorCount: row.internal || !row.is_error ? 0 : 1,
    openCount: row.end_ns === null && !row.interrupted ? 1 : 0,
    interruptedCount: row.interrupted ? 1 : 0,
    inputTokens: Number(row.c_input),
    outputTokens: Number(row.c_output),
    reasoningTokens: Number(row.c_reasoning),
    cacheReadTokens: Number(row.c_cache_read),
    cacheWriteTokens: Number(row.c_cache_write),
    totalTokens: Number(row.c_total),
    suppliedCostUsd: row.c_supplied_usd,
    computedCostUsd: row.c_computed_usd,
    unpricedCallCount: row.c_unpriced,
    aggregateUsageCount: row.c_aggregate_usage,
    internalCount: row.internal ? 1 : 0,
  };
}

/** A trace's session as the batch leaves it. */
interface TraceState {
  sessionId: string;
  explicit: boolean;
  /** Inserted or changed by the batch: written back. */
  changed: boolean;
}

/** A record the batch writes, with the session it resolved to (a late key on its root may still move it). */
interface PendingSpan {
  /** Its place in the batch. */
  index: number;
  record: SpanRecord;
  sessionId: string;
  existing: ExistingRow | undefined;
}

/** The JSON columns of a record, encoded before the transaction: its locks are held for less time. */
interface EncodedSpan {
  attributes: string;
  raw: string;
}

/** The `spans` columns the upsert writes, with their types for `unnest`. */
const SPAN_COLUMNS: readonly (readonly [string, string])[] = [
  ['trace_id', 'text'], ['span_id', 'text'], ['parent_span_id', 'text'], ['session_id', 'text'],
  ['resolved_session_id', 'text'], ['name', 'text'], ['step_type', 'text'], ['operation_name', 'text'],
  ['start_ns', 'int8'], ['end_ns', 'int8'], ['status_code', 'int2'], ['status_message', 'text'], ['is_error', 'bool'],
  ['provider', 'text'], ['request_model', 'text'], ['response_model', 'text'], ['model', 'text'],
  ['agent_name', 'text'], ['agent_id', 'text'], ['user_id', 'text'], ['tool_name', 'text'], ['tool_call_id', 'text'],
  ['usage_input', 'int8'], ['usage_output', 'int8'], ['usage_reasoning', 'int8'], ['usage_cache_read', 'int8'],
  ['usage_cache_write', 'int8'], ['usage_total', 'int8'], ['cost_usd', 'float8'], ['cost_source', 'text'],
  ['unpriced', 'bool'], ['input_text', 'text'], ['input_length', 'int4'], ['input_truncated', 'bool'],
  ['output_text', 'text'], ['output_length', 'int4'], ['output_truncated', 'bool'], ['reasoning_text', 'text'],
  ['reasoning_length', 'int4'], ['reasoning_truncated', 'bool'], ['counts', 'text'], ['truncated_lengths', 'text'],
  ['c_llm', 'int2'], ['c_tool', 'int2'], ['c_input', 'int8'], ['c_output', 'int8'], ['c_reasoning', 'int8'],
  ['c_cache_read', 'int8'], ['c_cache_write', 'int8'], ['c_total', 'int8'], ['c_supplied_usd', 'float8'],
  ['c_computed_usd', 'float8'], ['c_unpriced', 'int2'], ['c_aggregate_usage', 'int2'], ['internal', 'bool'],
  ['interrupted', 'bool'], ['writer_id', 'text'], ['resource_id', 'int8'], ['scope_id', 'int8'], ['attributes', 'text'], ['raw', 'text'],
];

/**
 * The batch's spans in one statement. A stored span is replaced unless it
 * ended and the new record is open (the writer already left those out; the
 * condition keeps the rule in the statement too). An open step carries the
 * writer's id (writer-registry.ts: marked interrupted if the writer dies);
 * an ended one none, and is no longer interrupted.
 */
/**
 * The full-text vector of a row, from the folded texts of its searched
 * columns (search-words.ts: the server's parser splits them at their spaces
 * only), each column its weight (search-query.ts).
 */
const FTS_SQL = `setweight(to_tsvector('simple', u.fts_name), 'A') ||
    setweight(to_tsvector('simple', coalesce(u.fts_input, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(u.fts_output, '')), 'C') ||
    setweight(to_tsvector('simple', coalesce(u.fts_reasoning, '')), 'D')`;
const FTS_PARAMS = ['fts_name', 'fts_input', 'fts_output', 'fts_reasoning'] as const;

const UPSERT_SPANS_SQL = `INSERT INTO spans (${SPAN_COLUMNS.map(([c]) => c).join(', ')}, fts)
  SELECT ${SPAN_COLUMNS.map(([c]) => `u.${c}`).join(', ')}, ${FTS_SQL}
  FROM unnest(${[...SPAN_COLUMNS.map(([, type]) => type), ...FTS_PARAMS.map(() => 'text')].map((type, i) => `$${i + 1}::${type}[]`).join(', ')})
    AS u(${[...SPAN_COLUMNS.map(([c]) => c), ...FTS_PARAMS].join(', ')})
  ON CONFLICT (trace_id, span_id) DO UPDATE SET
    ${[...SPAN_COLUMNS.slice(2).map(([c]) => c), 'fts'].map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
  WHERE spans.end_ns IS NULL OR EXCLUDED.end_ns IS NOT NULL`;

const WRITE_TRACES_SQL = `INSERT INTO traces (trace_id, session_id, explicit)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bool[])
  ON CONFLICT (trace_id) DO UPDATE SET session_id = EXCLUDED.session_id, explicit = EXCLUDED.explicit`;

/** A trace's spans without a key of their own follow it from its implicit session to the keyed one. */
const MOVE_SPANS_SQL = `UPDATE spans SET resolved_session_id = m.to_id
  FROM unnest($1::text[], $2::text[], $3::text[]) AS m(trace_id, from_id, to_id)
  WHERE spans.trace_id = m.trace_id AND spans.session_id IS NULL AND spans.resolved_session_id = m.from_id`;

/**
 * Resources and scopes, stored once by hash, inserted in hash order (two
 * batches inserting the same new ones wait for each other in one order),
 * before any advisory lock is taken: a batch waiting for another's insert
 * holds no lock that one could need.
 */
const INSERT_RESOURCES_SQL = `INSERT INTO resources (hash, body)
  SELECT hash, body FROM unnest($1::text[], $2::text[]) AS r(hash, body) ORDER BY hash
  ON CONFLICT (hash) DO NOTHING`;

const opt = (value: number | undefined): number | null => value ?? null;
/** A searched column's text as `fts` indexes it (FTS_SQL); null for no text. */
const searchTextOf = (content: { text: string } | null): string | null => (content === null ? null : searchText(pgText(content.text)));
const flag = (value: boolean): number => (value ? 1 : 0);

export class PgSpanWriter {
  private readonly rollup = new PgSessionRollup();

  /**
   * `writerId`: what this store's open steps carry (null: not registered).
   * `budgets`: where crossings are recorded (null: budgets are not evaluated).
   * `changes`: the change feed each write appends its events to (null: none).
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly signals: PgSignals,
    private readonly writerId: string | null = null,
    private readonly budgets: PgBudgetLedger | null = null,
    private readonly changes: PgChangeLog | null = null,
  ) {}

  /**
   * Writes the batch in one transaction. With `budgets`, the touched
   * sessions are evaluated against the limits in that transaction, after
   * their rollups; returns the crossings this write recorded (each is
   * recorded by one write only, across replicas).
   */
  async write(records: readonly SpanRecord[], budgets?: BudgetConfig): Promise<BudgetEventRecord[]> {
    if (records.length === 0) return [];
    const batch = prepareBatch(records);
    return inTransaction(this.pool, async (client) => {
      const { crossings, changes } = await this.writeIn(client, batch, budgets);
      // Last before COMMIT: from the append to the commit, other appenders wait (change-log.ts).
      await this.changes?.append(client, changes);
      return crossings;
    });
  }

  /**
   * `write`'s work in the caller's transaction on `client` (an ingest
   * commit's): everything but the change feed's append, whose events it
   * returns for the caller to append last before COMMIT (`PgChangeLog.append`).
   */
  async writeIn(client: pg.PoolClient, batch: PreparedBatch, budgets?: BudgetConfig, held?: HeldByCommit): Promise<SpanWriteResult> {
    const { records, fates, bodies, encoded } = batch;
    if (records.length === 0) return { crossings: [], changes: {} };
    // Before the trace locks (see INSERT_RESOURCES_SQL). Inside a commit that stored these bodies already
    // (`storeResources`) it waits for nothing: every conflicting row is committed or the transaction's own;
    // when it stored every one of them, their ids are known and no statement is needed.
    const known = held?.resourceIds;
    const resourceIds =
      known !== undefined && bodies.unique.every((body) => known.has(body.hash)) ? known : await this.insertResources(client, bodies.unique);
    const traceIds = [...new Set(records.map((record) => record.traceId))];
    // A commit's traces are locked already (re-taking them would be a round trip for nothing); the others now.
    await lockTraces(client, held === undefined ? traceIds : traceIds.filter((traceId) => !held.traces.has(traceId)));

    const traces = new Map<string, TraceState>();
    const traceRows = await client.query<{ trace_id: string; session_id: string; explicit: boolean }>(
      prepared('SELECT trace_id, session_id, explicit FROM traces WHERE trace_id = ANY($1::text[])', [traceIds]),
    );
    for (const row of traceRows.rows) {
      traces.set(row.trace_id, { sessionId: row.session_id, explicit: row.explicit, changed: false });
    }
    const existing = await this.existingRows(client, records, fates);

    const plan = planBatch(records, fates, traces, existing);
    // Every session the batch reads or writes: where its spans go, where they were, where moved traces were.
    const sessions = new Set<string>();
    for (const span of plan.spans) {
      sessions.add(span.sessionId);
      if (span.existing) sessions.add(span.existing.resolved_session_id);
    }
    for (const move of plan.moves) sessions.add(move.fromSessionId);
    for (const sessionId of plan.batch.needsRecompute) sessions.add(sessionId);
    await lockSessions(client, sessions);

    const changedTraces = [...traces].filter(([, trace]) => trace.changed);
    if (changedTraces.length > 0) {
      await client.query(prepared(WRITE_TRACES_SQL, [
        changedTraces.map(([traceId]) => traceId),
        changedTraces.map(([, trace]) => trace.sessionId),
        changedTraces.map(([, trace]) => trace.explicit),
      ]));
    }
    if (plan.moves.length > 0) {
      await client.query(prepared(MOVE_SPANS_SQL, [
        plan.moves.map((move) => move.traceId),
        plan.moves.map((move) => move.fromSessionId),
        plan.moves.map((move) => move.toSessionId),
      ]));
    }
    if (plan.spans.length > 0) {
      const columns = spanColumns(plan.spans, plan.contributions, encoded, this.writerId, (record) => ({
        resourceId: resourceIds.get(bodies.resourceOf(record).hash) as bigint,
        scopeId: resourceIds.get(bodies.scopeOf(record).hash) as bigint,
      }));
      await client.query(prepared(UPSERT_SPANS_SQL, columns));
    }
    await this.rollup.update(client, plan.batch);
    // The traces' log records without a key of their own follow their session; each moved gets a `log` event.
    const adopted = await this.signals.adoptTraces(client, plan.traceSessions);
    // The written sessions are locked: their usage is what this transaction commits.
    const crossings =
      this.budgets !== null && budgets !== undefined && hasBudgets(budgets)
        ? await this.budgets.evaluate(client, budgets, plan.spans, Date.now())
        : [];
    // The change feed's `budget` events are these `crossings`, after the batch's session updates (as in SQLite).
    const changes: FeedChanges = {
      adoptedLogs: adopted,
      spans: plan.spans,
      sessions: [...plan.batch.needsRecompute, ...plan.batch.deltas.keys()],
      budgets: crossings,
    };
    return { crossings, changes };
  }

  /**
   * Inserts the resource and scope bodies of these spans or log records not
   * stored yet, in `client`'s transaction: what `writeIn` does first, for a
   * commit that must do it before it takes trace locks of its own
   * (INSERT_RESOURCES_SQL). Log records count for the steps made from them.
   */
  async storeResources(client: pg.PoolClient, items: readonly ResourceAndScope[]): Promise<Map<string, bigint>> {
    const bodies = new Map<string, ResourceBody>();
    const seen = new Set<object>();
    for (const { resource, scope } of items) {
      for (const value of [resource, scope]) {
        if (seen.has(value)) continue;
        seen.add(value);
        const body = resourceBodyOf(value);
        if (!bodies.has(body.hash)) bodies.set(body.hash, body);
      }
    }
    return bodies.size > 0 ? this.insertResources(client, [...bodies.values()]) : new Map();
  }

  /** The stored rows of the spans the batch may write, by `spanKey`. */
  private async existingRows(
    client: pg.PoolClient,
    records: readonly SpanRecord[],
    fates: readonly Fate[],
  ): Promise<Map<string, ExistingRow>> {
    const traceIds: string[] = [];
    const spanIds: string[] = [];
    for (let i = 0; i < records.length; i++) {
      if (fates[i] === IGNORED) continue;
      traceIds.push(records[i].traceId);
      spanIds.push(records[i].spanId);
    }
    const { rows } = await client.query<ExistingRow>(prepared(SELECT_EXISTING_SQL, [traceIds, spanIds]));
    return new Map(rows.map((row) => [spanKey(row.trace_id, row.span_id), row]));
  }

  /** Ids of the batch's resource and scope bodies, inserting the new ones. */
  private async insertResources(client: pg.PoolClient, bodies: readonly ResourceBody[]): Promise<Map<string, bigint>> {
    const hashes = bodies.map((body) => body.hash);
    await client.query(prepared(INSERT_RESOURCES_SQL, [hashes, bodies.map((body) => body.body)]));
    const { rows } = await client.query<{ id: bigint; hash: string }>(
      prepared('SELECT id, hash FROM resources WHERE hash = ANY($1::text[])', [hashes]),
    );
    return new Map(rows.map((row) => [row.hash, row.id]));
  }
}

/** What an ingest commit (pg-commit.ts) holds before it writes spans: its traces' locks, and the ids of the resources it stored. */
export interface HeldByCommit {
  traces: ReadonlySet<string>;
  resourceIds: ReadonlyMap<string, bigint>;
}

/**
 * The batch's resource and scope bodies: SDK batches share one resource and
 * one scope object across spans, so each object is encoded once.
 */
function resourceBodies(records: readonly SpanRecord[]): {
  unique: ResourceBody[];
  resourceOf: (record: SpanRecord) => ResourceBody;
  scopeOf: (record: SpanRecord) => ResourceBody;
} {
  const byObject = new WeakMap<object, ResourceBody>();
  const byHash = new Map<string, ResourceBody>();
  const bodyOf = (value: SpanRecord['raw']['resource'] | SpanRecord['raw']['scope']): ResourceBody => {
    let body = byObject.get(value);
    if (body === undefined) {
      body = resourceBodyOf(value);
      byObject.set(value, body);
      if (!byHash.has(body.hash)) byHash.set(body.hash, body);
    }
    return body;
  };
  for (const record of records) {
    bodyOf(record.raw.resource);
    bodyOf(record.raw.scope);
  }
  return {
    unique: [...byHash.values()],
    resourceOf: (record) => bodyOf(record.raw.resource),
    scopeOf: (record) => bodyOf(record.raw.scope),
  };
}

/** A batch encoded before its transaction: its locks are then held for less time. */
export interface PreparedBatch {
  records: readonly SpanRecord[];
  fates: readonly Fate[];
  bodies: ReturnType<typeof resourceBodies>;
  encoded: readonly (EncodedSpan | null)[];
}

/** What `writeIn` did: the crossings it recorded, and the change feed events to append. */
export interface SpanWriteResult {
  crossings: BudgetEventRecord[];
  changes: FeedChanges;
}

/** Each record's fate, its resource bodies, and the JSON columns of those written. */
export function prepareBatch(records: readonly SpanRecord[]): PreparedBatch {
  const fates = effectiveRecords(records);
  const bodies = resourceBodies(records);
  const encoded = records.map((record, i): EncodedSpan | null =>
    fates[i] === WRITTEN ? { attributes: encodeStorable(record.raw.attributes), raw: encodeRawColumn(record) } : null,
  );
  return { records, fates, bodies, encoded };
}

interface TraceMove {
  traceId: string;
  fromSessionId: string;
  toSessionId: string;
}

interface BatchPlan {
  spans: PendingSpan[];
  contributions: SpanContribution[];
  moves: TraceMove[];
  batch: BatchDeltas;
  /** Traces whose session the batch set (new, or moved to a key): their log records follow. */
  traceSessions: Map<string, string>;
}

/**
 * Resolves each record's session in arrival order, as SQLite's writer does
 * record by record, against the traces and rows read under the trace locks;
 * then the sessions' deltas, from the records' final sessions. Updates
 * `traces` to the state the batch leaves.
 */
function planBatch(
  records: readonly SpanRecord[],
  fates: readonly Fate[],
  traces: Map<string, TraceState>,
  existing: Map<string, ExistingRow>,
): BatchPlan {
  const batch = new BatchDeltas();
  const spans: PendingSpan[] = [];
  const moves: TraceMove[] = [];
  const traceSessions = new Map<string, string>();

  const resolveSession = (record: SpanRecord): string => {
    const traceId = record.traceId;
    const trace = traces.get(traceId);
    // A key is an id in several tables: with U+0000 (which text cannot hold) it is the key with U+FFFD.
    const key = pgText(record.sessionId);
    if (key === null) {
      if (trace) return trace.sessionId;
      traces.set(traceId, { sessionId: traceId, explicit: false, changed: true });
      traceSessions.set(traceId, traceId);
      return traceId;
    }
    if (!trace) {
      traces.set(traceId, { sessionId: key, explicit: true, changed: true });
      traceSessions.set(traceId, key);
      return key;
    }
    if (!trace.explicit) {
      const fromSessionId = trace.sessionId;
      traces.set(traceId, { sessionId: key, explicit: true, changed: true });
      if (fromSessionId !== key) {
        traceSessions.set(traceId, key);
        moves.push({ traceId, fromSessionId, toSessionId: key });
        // The trace's inheriting spans, stored or written earlier in this batch, go with it.
        for (const row of existing.values()) {
          if (row.trace_id === traceId && row.session_id === null && row.resolved_session_id === fromSessionId) {
            row.resolved_session_id = key;
          }
        }
        for (const span of spans) {
          if (span.record.traceId === traceId && span.record.sessionId === null && span.sessionId === fromSessionId) {
            span.sessionId = key;
          }
        }
        batch.recompute(fromSessionId);
        batch.recompute(key);
      }
    }
    // A trace already keyed to another session keeps it for its inheriting spans; this span keeps its own key.
    return key;
  };

  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const fate = fates[i];
    if (fate === IGNORED) continue;
    const stored = existing.get(spanKey(record.traceId, record.spanId));
    // An open record (onStart, or a late duplicate) never undoes an end already stored.
    if (stored && stored.end_ns !== null && record.endTimeUnixNano === null) continue;
    const sessionId = resolveSession(record);
    // A later record of the batch replaces this one: its session key still counts, in arrival order.
    if (fate === SUPERSEDED) continue;
    spans.push({ index: i, record, sessionId, existing: stored });
  }

  const contributions: SpanContribution[] = [];
  for (const { record, sessionId, existing: stored } of spans) {
    const contribution = spanContribution(record);
    contributions.push(contribution);
    let named = record.agentName !== null || record.userId !== null;
    if (stored) {
      named ||= stored.named;
      if (stored.resolved_session_id !== sessionId) {
        batch.recompute(stored.resolved_session_id);
        batch.recompute(sessionId);
      } else if (
        stored.start_ns !== record.startTimeUnixNano ||
        (stored.end_ns !== null && stored.end_ns !== record.endTimeUnixNano)
      ) {
        // First start and last end are minima/maxima: a span moving in time cannot be undone by a delta.
        batch.recompute(sessionId);
      } else {
        batch.add(sessionId, factsOfRow(stored), -1, stored.model);
      }
    }
    batch.addContribution(sessionId, contribution, record.internal === true);
    batch.observe(sessionId, record.traceId, record.startTimeUnixNano, record.endTimeUnixNano, named);
  }
  return { spans, contributions, moves, batch, traceSessions };
}

/** The upsert's parameters: one array per column of `SPAN_COLUMNS`, then per FTS_PARAMS, one element per span. */
function spanColumns(
  spans: readonly PendingSpan[],
  contributions: readonly SpanContribution[],
  encoded: readonly (EncodedSpan | null)[],
  writerId: string | null,
  idsOf: (record: SpanRecord) => { resourceId: bigint; scopeId: bigint },
): unknown[][] {
  const columns: unknown[][] = [...SPAN_COLUMNS, ...FTS_PARAMS].map(() => new Array<unknown>(spans.length));
  for (let row = 0; row < spans.length; row++) {
    const { index, record, sessionId } = spans[row];
    const json = encoded[index] as EncodedSpan;
    const c = contributions[row];
    const { input, output, reasoning, usage } = record;
    const { resourceId, scopeId } = idsOf(record);
    const values: unknown[] = [
      record.traceId, record.spanId, pgText(record.parentSpanId), pgText(record.sessionId), sessionId,
      pgText(record.name), record.stepType, pgText(record.operationName), record.startTimeUnixNano,
      record.endTimeUnixNano, record.statusCode, pgText(record.statusMessage), record.isError, pgText(record.provider),
      pgText(record.requestModel), pgText(record.responseModel), pgText(record.responseModel ?? record.requestModel),
      pgText(record.agentName), pgText(record.agentId), pgText(record.userId), pgText(record.toolName),
      pgText(record.toolCallId), opt(usage.input), opt(usage.output), opt(usage.reasoning), opt(usage.cacheRead),
      opt(usage.cacheWrite), opt(usage.total), record.cost?.usd ?? null, record.cost?.source ?? null, record.unpriced,
      pgText(input?.text ?? null), input?.originalLength ?? null, input === null ? null : input.truncated,
      pgText(output?.text ?? null), output?.originalLength ?? null, output === null ? null : output.truncated,
      pgText(reasoning?.text ?? null), reasoning?.originalLength ?? null, reasoning === null ? null : reasoning.truncated,
      encodeCounts(record.counts),
      record.truncatedLengths === undefined ? null : JSON.stringify(record.truncatedLengths),
      flag(c.llmCall), flag(c.toolCall), c.tokens.input, c.tokens.output, c.tokens.reasoning, c.tokens.cacheRead,
      c.tokens.cacheWrite, c.totalTokens, c.suppliedCostUsd, c.computedCostUsd, flag(c.unpriced),
      flag(c.reportsAggregateUsage), record.internal === true, false, record.endTimeUnixNano === null ? writerId : null,
      resourceId, scopeId,
      json.attributes, json.raw,
      searchText(pgText(record.name)), searchTextOf(input), searchTextOf(output), searchTextOf(reasoning),
    ];
    for (let i = 0; i < values.length; i++) columns[i][row] = values[i];
  }
  return columns;
}
