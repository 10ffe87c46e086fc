/**
 * Reads of the maintained `sessions` rows: one session, and pages of them
 * in keyset order (stable while new sessions arrive). A session's title is
 * derived in the same statement, from its first spans, as the SQLite store
 * derives it.
 */

import type pg from 'pg';
import { AGENT_TABLES } from '../../model/agents/index.js';
import type { Page, SessionQuery } from '../../model/query.js';
import type { SessionStatus, SessionSummary } from '../../model/types.js';
import { InvalidQueryError, SessionNotFoundError } from '../errors.js';
import { checkKeys, decodeCursor, encodeCursor, pageLimit } from '../common/cursor.js';
import type { CursorKey } from '../common/cursor.js';
import type { SessionRollupColumn } from '../common/session-snapshot.js';
import {
  PROMPT_TITLE_LENGTH, SESSION_QUERY_KEYS, SESSION_SORTS, SESSION_STATUSES, TITLE_SPANS, promptTitleOf,
} from '../common/session-list.js';
import { codecJsonSql, restoreNulEscapes } from './codec-json.js';
import { bigintParam, booleanParam, numberParam, stringParam } from '../common/query-params.js';
import { prepared } from './query-params.js';

interface SessionRow {
  session_id: string;
  status: string;
  first_start_ns: bigint;
  last_end_ns: bigint | null;
  last_activity_ns: bigint;
  duration_ns: bigint;
  span_count: bigint;
  llm_call_count: bigint;
  tool_call_count: bigint;
  error_count: bigint;
  open_count: bigint;
  interrupted_count: bigint;
  input_tokens: bigint;
  output_tokens: bigint;
  reasoning_tokens: bigint;
  cache_read_tokens: bigint;
  cache_write_tokens: bigint;
  total_tokens: bigint;
  cost_usd: number;
  supplied_cost_usd: number;
  computed_cost_usd: number;
  unpriced_call_count: bigint;
  agent_name: string | null;
  user_id: string | null;
  usage_mismatch: boolean;
  trace_ids: string[];
  models: string[];
  internal_count: bigint;
  /** Of a session without an agent name: what its title is picked from (see `TITLE_SQL`). */
  span_title: Array<string | null> | null;
  /** Of a coding agent's session: the start of its first turn's prompt. */
  first_prompt: string | null;
}

const SESSION_COLUMNS = `session_id, status, first_start_ns, last_end_ns, last_activity_ns, duration_ns, span_count,
  llm_call_count, tool_call_count, error_count, open_count, interrupted_count, input_tokens, output_tokens,
  reasoning_tokens, cache_read_tokens, cache_write_tokens, total_tokens, cost_usd, supplied_cost_usd,
  computed_cost_usd, unpriced_call_count, agent_name, user_id, usage_mismatch, trace_ids, models, internal_count`;

/** The agents whose sessions are titled by their first prompt (`isTableAgent`). */
const TABLE_AGENT_NAMES: readonly string[] = AGENT_TABLES.map((table) => table.name);

/**
 * The title columns of a session row `p`, given the table agents' names as
 * `$agents`. Scalar subqueries in CASE run only for the rows that need them.
 *
 * `span_title`, of a session without an agent name: among its first 64
 * spans (in start order), the first Vercel AI SDK span (named
 * ai.*, with a non-empty `ai.telemetry.functionId`), else its first root
 * span, else its first span, as [functionId as JSON, name, service name as
 * JSON] (`spanTitleOf` picks). Each candidate is found by one index probe
 * and kept if fewer than 64 spans start before it (counting
 * stops there): reading the first spans themselves cost a heap fetch each,
 * ~0.6 ms a session. The values stay JSON, not text: the codec may have
 * escaped a NUL, which no PostgreSQL text holds.
 */
const TITLE_SQL = (agents: string): string => `
  CASE WHEN p.agent_name IS NULL THEN (
    SELECT ARRAY[c.function_id::text, c.name, CASE WHEN c.function_id IS NULL AND c.name = '' THEN (
      SELECT (${codecJsonSql('r.body')} -> 'attributes' -> 'service.name')::text FROM resources r WHERE r.id = c.resource_id) END]
    FROM (
      (SELECT a.f AS function_id, x.name, x.resource_id, x.start_ns, x.id, 0 AS pick
        FROM spans x CROSS JOIN LATERAL (SELECT ${codecJsonSql('x.attributes')} -> 'ai.telemetry.functionId' AS f) a
        WHERE x.resolved_session_id = p.session_id AND x.name LIKE 'ai.%'
          AND json_typeof(a.f) = 'string' AND a.f::text <> '""'
        ORDER BY x.start_ns, x.id LIMIT 1)
      UNION ALL
      (SELECT NULL, x.name, x.resource_id, x.start_ns, x.id, 1 FROM spans x
        WHERE x.resolved_session_id = p.session_id AND x.parent_span_id IS NULL ORDER BY x.start_ns, x.id LIMIT 1)
      UNION ALL
      (SELECT NULL, x.name, x.resource_id, x.start_ns, x.id, 2 FROM spans x
        WHERE x.resolved_session_id = p.session_id ORDER BY x.start_ns, x.id LIMIT 1)
    ) c
    WHERE c.pick = 2 OR (SELECT count(*) FROM (SELECT FROM spans y WHERE y.resolved_session_id = p.session_id
      AND (y.start_ns, y.id) < (c.start_ns, c.id) LIMIT ${TITLE_SPANS}) z) < ${TITLE_SPANS}
    ORDER BY c.pick LIMIT 1
  ) END AS span_title,
  CASE WHEN p.agent_name = ANY(${agents}::text[]) THEN (
    SELECT substr(x.input_text, 1, ${PROMPT_TITLE_LENGTH * 4}) FROM spans x
    WHERE x.resolved_session_id = p.session_id AND x.step_type = 'turn' AND x.input_text <> ''
    ORDER BY x.start_ns, x.id LIMIT 1
  ) END AS first_prompt`;

const SELECT_SESSION = `SELECT p.*, ${TITLE_SQL('$2')}
  FROM (SELECT ${SESSION_COLUMNS} FROM sessions WHERE session_id = $1) p`;

const n = Number;

export class PgSessionQueries {
  constructor(private readonly pool: pg.Pool) {}

  async getSession(sessionId: string): Promise<SessionSummary> {
    const result = await this.pool.query<SessionRow>(prepared(SELECT_SESSION, [sessionId, TABLE_AGENT_NAMES]));
    const row = result.rows[0];
    if (row === undefined) throw new SessionNotFoundError(sessionId);
    return summaryOf(row);
  }

  async listSessions(query: SessionQuery = {}): Promise<Page<SessionSummary>> {
    checkKeys(query, SESSION_QUERY_KEYS);
    const sortName = query.sort ?? 'recent';
    const sort = Object.hasOwn(SESSION_SORTS, sortName) ? SESSION_SORTS[sortName] : undefined;
    if (sort === undefined) throw new InvalidQueryError(`unknown sort: ${String(sortName)}`, 'sort');
    const limit = pageLimit(query.limit);
    const where: string[] = [];
    const values: unknown[] = [TABLE_AGENT_NAMES, limit + 1];
    const param = (value: unknown): string => `$${values.push(value)}`;
    if (query.fromUnixNano !== undefined) {
      where.push(`last_activity_ns >= ${param(bigintParam(query.fromUnixNano, 'fromUnixNano'))}`);
    }
    if (query.toUnixNano !== undefined) {
      where.push(`first_start_ns < ${param(bigintParam(query.toUnixNano, 'toUnixNano'))}`);
    }
    if (query.status !== undefined) {
      if (!SESSION_STATUSES.includes(query.status)) throw new InvalidQueryError(`unknown status: ${String(query.status)}`, 'status');
      where.push(`status = ${param(query.status)}`);
    }
    if (query.agentName !== undefined) where.push(`agent_name = ${param(stringParam(query.agentName, 'agentName'))}`);
    if (query.userId !== undefined) where.push(`user_id = ${param(stringParam(query.userId, 'userId'))}`);
    if (query.model !== undefined) {
      where.push(`EXISTS (SELECT 1 FROM session_models m WHERE m.session_id = sessions.session_id
        AND m.model = ${param(stringParam(query.model, 'model'))})`);
    }
    // Compared as doubles: a fractional minimum is no error, and totals are exact below 2^53.
    if (query.minTokens !== undefined) {
      where.push(`total_tokens >= ${param(numberParam(query.minTokens, 'minTokens'))}::float8`);
    }
    if (query.minCostUsd !== undefined) {
      where.push(`cost_usd >= ${param(numberParam(query.minCostUsd, 'minCostUsd'))}::float8`);
    }
    const includeInternal =
      query.includeInternal === undefined ? false : booleanParam(query.includeInternal, 'includeInternal');
    if (!includeInternal) where.push('internal_count < span_count');
    const op = sort.descending ? '<' : '>';
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(stringParam(query.cursor, 'cursor'), `sessions:${sortName}`);
      if (typeof cursor.id !== 'string') throw new InvalidQueryError('malformed cursor', 'cursor');
      // A row comparison: the sort's index (sessions_activity, sessions_start) seeks straight to it.
      // Ids in byte order (COLLATE "C", as SQLite compares them and as the sort's index holds them: migration 003).
      where.push(
        `(${sort.column}, session_id COLLATE "C") ${op} (${param(cursorKeyParam(cursor.key, sort.bigint))}, ${param(cursor.id)})`,
      );
    }
    const direction = sort.descending ? 'DESC' : 'ASC';
    const order = (table: string) =>
      `ORDER BY ${table}${sort.column} ${direction}, ${table}session_id COLLATE "C" ${direction}`;
    // The titles are derived after the limit: for the page's rows (and the one that tells there is more) alone.
    const sql = `SELECT p.*, ${TITLE_SQL('$1')} FROM (
      SELECT ${SESSION_COLUMNS} FROM sessions ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ${order('')} LIMIT $2) p ${order('p.')}`;
    const rows = (await this.pool.query<SessionRow>(prepared(sql, values))).rows;
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    let nextCursor: string | null = null;
    if (more && last !== undefined) {
      const key = last[sort.column as keyof SessionRow] as bigint | number;
      nextCursor = encodeCursor({ kind: `sessions:${sortName}`, key: sort.bigint ? String(key) : Number(key), id: last.session_id });
    }
    return { items: rows.map(summaryOf), nextCursor };
  }
}

const MIN_INT8 = -(2n ** 63n);
const MAX_INT8 = 2n ** 63n - 1n;

function cursorKeyParam(key: CursorKey, bigint: boolean): bigint | number {
  if (bigint) {
    if (typeof key !== 'string' || !/^-?\d{1,20}$/.test(key)) throw new InvalidQueryError('malformed cursor', 'cursor');
    const value = BigInt(key);
    if (value < MIN_INT8 || value > MAX_INT8) throw new InvalidQueryError('malformed cursor', 'cursor');
    return value;
  }
  if (typeof key !== 'number' || !Number.isFinite(key)) throw new InvalidQueryError('malformed cursor', 'cursor');
  return key;
}

/** The title as the SQLite store gives it (`SessionSummary.title`). */
function titleOf(row: SessionRow): string | null {
  if (row.agent_name === null) return spanTitleOf(row.span_title);
  if (!TABLE_AGENT_NAMES.includes(row.agent_name)) return row.agent_name;
  return promptTitleOf(row.first_prompt) ?? row.agent_name;
}

/**
 * The title of a session without an agent name, from `span_title`: the
 * function id, else the span's name, else its non-empty service name.
 */
function spanTitleOf(value: Array<string | null> | null): string | null {
  if (value === null) return null;
  const [functionId, name, service] = value;
  if (functionId !== null) return JSON.parse(restoreNulEscapes(functionId)) as string;
  if (name !== null && name !== '') return name;
  const serviceName = service === null ? null : (JSON.parse(restoreNulEscapes(service)) as unknown);
  return typeof serviceName === 'string' && serviceName !== '' ? serviceName : null;
}

/** The `sessions` columns every summary is made of. */
export type SessionRollupColumns = Pick<SessionRow, SessionRollupColumn>;

/**
 * A `sessions` row as a summary, for the reads and the change feed's snapshots alike: what the row
 * holds, without what needs a lookup (no trace ids, the title the agent name), as SQLite's `rollupSummaryOf`.
 */
export function rollupSummaryOf(row: SessionRollupColumns): SessionSummary {
  return {
    sessionId: row.session_id,
    status: row.status as SessionStatus,
    firstStartUnixNano: row.first_start_ns,
    lastEndUnixNano: row.last_end_ns,
    spanCount: n(row.span_count),
    llmCallCount: n(row.llm_call_count),
    toolCallCount: n(row.tool_call_count),
    errorCount: n(row.error_count),
    openCount: n(row.open_count),
    interruptedCount: n(row.interrupted_count),
    tokens: {
      input: n(row.input_tokens),
      output: n(row.output_tokens),
      reasoning: n(row.reasoning_tokens),
      cacheRead: n(row.cache_read_tokens),
      cacheWrite: n(row.cache_write_tokens),
    },
    costUsd: row.cost_usd,
    suppliedCostUsd: row.supplied_cost_usd,
    computedCostUsd: row.computed_cost_usd,
    unpricedCallCount: n(row.unpriced_call_count),
    models: row.models,
    agentName: row.agent_name,
    userId: row.user_id,
    usageMismatch: row.usage_mismatch,
    traceIds: [],
    title: row.agent_name,
    lastActivityUnixNano: row.last_activity_ns,
  };
}

function summaryOf(row: SessionRow): SessionSummary {
  const summary = rollupSummaryOf(row);
  summary.traceIds = row.trace_ids;
  summary.title = titleOf(row);
  // The default list's filter (internal_count < span_count), said of the one session.
  summary.internal = row.internal_count >= row.span_count;
  summary.stepCount = Math.max(0, n(row.span_count) - n(row.internal_count));
  return summary;
}
