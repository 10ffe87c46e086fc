/** Reads of the maintained `sessions` and `session_models` tables. */

import type Database from 'better-sqlite3';
import type { Page, SessionQuery } from '../../model/query.js';
import type { SessionStatus, SessionSummary, TokenTotals } from '../../model/types.js';
import { isTableAgent } from '../../model/agents/index.js';
import { InvalidQueryError, SessionNotFoundError } from '../errors.js';
import { checkKeys, decodeCursor, encodeCursor, pageLimit } from '../common/cursor.js';
import type { CursorKey } from '../common/cursor.js';
import type { SessionRollupColumn } from '../common/session-snapshot.js';
import { bigintParam, numberParam, stringParam } from '../common/query-params.js';
import {
  PROMPT_TITLE_LENGTH, SESSION_QUERY_KEYS, SESSION_SORTS, SESSION_STATUSES, TITLE_SPANS, promptTitleOf,
} from '../common/session-list.js';
import { StatementCache } from './statement-cache.js';

interface SessionRow {
  session_id: string;
  status: string;
  first_start_ns: bigint;
  last_end_ns: bigint | null;
  last_activity_ns: bigint;
  duration_ns: bigint;
  span_count: bigint | number;
  llm_call_count: bigint | number;
  tool_call_count: bigint | number;
  error_count: bigint | number;
  open_count: bigint | number;
  interrupted_count: bigint | number;
  input_tokens: bigint | number;
  output_tokens: bigint | number;
  reasoning_tokens: bigint | number;
  cache_read_tokens: bigint | number;
  cache_write_tokens: bigint | number;
  total_tokens: bigint | number;
  cost_usd: number;
  supplied_cost_usd: number;
  computed_cost_usd: number;
  unpriced_call_count: bigint | number;
  agent_name: string | null;
  user_id: string | null;
  usage_mismatch: bigint | number;
  trace_ids: string;
  /** JSON array, most calls first (migration 005). */
  models: string;
  /** Its internal (plumbing) spans (migration 008). */
  internal_count: bigint | number;
}

/** Columns of a `SessionRow` read in raw mode (see `sessionRowOf`); times as text, the rest as plain numbers. */
const SESSION_COLUMNS = `session_id, status, CAST(first_start_ns AS TEXT), CAST(last_end_ns AS TEXT),
  CAST(last_activity_ns AS TEXT), CAST(duration_ns AS TEXT), span_count, llm_call_count, tool_call_count, error_count,
  open_count, interrupted_count, input_tokens, output_tokens, reasoning_tokens, cache_read_tokens, cache_write_tokens,
  total_tokens, cost_usd, supplied_cost_usd, computed_cost_usd, unpriced_call_count, agent_name, user_id,
  usage_mismatch, trace_ids, models, internal_count`;

type RawSessionRow = [
  string, string, string, string | null, string, string, number, number, number, number, number, number, number,
  number, number, number, number, number, number, number, number, number, string | null, string | null, number, string,
  string, number,
];

/**
 * A page of sessions comes back as arrays without safe integers and is
 * mapped here: better-sqlite3 builds a row object through a slow path per
 * property (a page of 50 cost ~0.8 ms; arrays ~0.25 ms). Counts stay plain
 * numbers (the summary's type); only the times, past 2^53, become bigints.
 */
function sessionRowOf(r: RawSessionRow): SessionRow {
  return {
    session_id: r[0],
    status: r[1],
    first_start_ns: BigInt(r[2]),
    last_end_ns: r[3] === null ? null : BigInt(r[3]),
    last_activity_ns: BigInt(r[4]),
    duration_ns: BigInt(r[5]),
    span_count: r[6],
    llm_call_count: r[7],
    tool_call_count: r[8],
    error_count: r[9],
    open_count: r[10],
    interrupted_count: r[11],
    input_tokens: r[12],
    output_tokens: r[13],
    reasoning_tokens: r[14],
    cache_read_tokens: r[15],
    cache_write_tokens: r[16],
    total_tokens: r[17],
    cost_usd: r[18],
    supplied_cost_usd: r[19],
    computed_cost_usd: r[20],
    unpriced_call_count: r[21],
    agent_name: r[22],
    user_id: r[23],
    usage_mismatch: r[24],
    trace_ids: r[25],
    models: r[26],
    internal_count: r[27],
  };
}

/** One model's share of a session: the per-model breakdown. */
export interface SessionModelUsage {
  model: string;
  calls: number;
  tokens: TokenTotals;
  costUsd: number;
}

interface ModelRow {
  model: string;
  calls: bigint;
  input_tokens: bigint;
  output_tokens: bigint;
  reasoning_tokens: bigint;
  cache_read_tokens: bigint;
  cache_write_tokens: bigint;
  cost_usd: number;
}

const n = Number;

export class SessionQueries {
  private readonly selectSession: Database.Statement;
  private readonly selectModels: Database.Statement;
  private readonly selectTitleSpans: Database.Statement;
  private readonly selectService: Database.Statement;
  private readonly selectFirstPrompt: Database.Statement;
  private readonly selectRedacted: Database.Statement;
  private readonly statements: StatementCache;

  constructor(private readonly db: Database.Database) {
    this.selectSession = db.prepare('SELECT * FROM sessions WHERE session_id = @sessionId').safeIntegers(true);
    this.selectModels = db
      .prepare('SELECT * FROM session_models WHERE session_id = @sessionId ORDER BY calls DESC, model')
      .safeIntegers(true);
    this.statements = new StatementCache(db);
    // The title is read from the session's first spans only (spans_session_start, in start order):
    // the change feed reads every updated session, and a session of 10,000 spans must not cost a scan.
    // Attributes are parsed only for Vercel AI SDK spans (named ai.*).
    this.selectTitleSpans = db.prepare(`SELECT name, parent_span_id IS NULL AS root, resource_id AS resourceId,
        CASE WHEN name GLOB 'ai.*' THEN json_extract(attributes, '$."ai.telemetry.functionId"') END AS functionId
      FROM spans WHERE resolved_session_id = ? ORDER BY start_ns LIMIT ${TITLE_SPANS}`);
    this.selectService = db
      .prepare(`SELECT json_extract(body, '$.attributes."service.name"') FROM resources WHERE id = ?`)
      .pluck();
    // A turn's input is the user's prompt (model/agents: Claude Code, Codex and Gemini CLI turns).
    this.selectFirstPrompt = db
      .prepare(`SELECT substr(input_text, 1, ${PROMPT_TITLE_LENGTH * 4}) FROM spans
        WHERE resolved_session_id = ? AND step_type = 'turn' AND input_text IS NOT NULL AND input_text != ''
        ORDER BY start_ns LIMIT 1`)
      .pluck();
    // counts is NULL unless normalization counted something, so only those spans are parsed.
    this.selectRedacted = db
      .prepare(`SELECT COALESCE(SUM(json_extract(counts, '$.redacted')), 0) FROM spans
        WHERE resolved_session_id = ? AND counts IS NOT NULL`)
      .pluck();
  }

  /** Values redaction replaced in the session's spans (`counts.redacted`, summed). Throws `SessionNotFoundError`. */
  getRedactedCount(sessionId: string): number {
    if (!this.selectSession.get({ sessionId })) throw new SessionNotFoundError(sessionId);
    return Number(this.selectRedacted.get(sessionId));
  }

  /**
   * What to call a session without an agent name, from its first spans: Vercel's
   * `ai.telemetry.functionId`, else its first root span's name (its first span's, when
   * no root is among them), else that span's service name. Null when there is none.
   */
  private titleFor(sessionId: string, agentName: string | null): string | null {
    if (agentName === null) return this.titleOf(sessionId);
    if (!isTableAgent(agentName)) return agentName;
    return this.firstPromptOf(sessionId) ?? agentName;
  }

  /** A coding agent's session by what it was asked first: its first turn's prompt, on one line, cut short. */
  private firstPromptOf(sessionId: string): string | null {
    return promptTitleOf(this.selectFirstPrompt.get(sessionId) as string | undefined);
  }

  private titleOf(sessionId: string): string | null {
    const spans = this.selectTitleSpans.all(sessionId) as Array<{ name: string; root: number; resourceId: number; functionId: unknown }>;
    const vercel = spans.find((s) => typeof s.functionId === 'string' && s.functionId !== '');
    if (vercel) return vercel.functionId as string;
    const first = spans.find((s) => s.root === 1) ?? spans[0];
    if (first === undefined) return null;
    if (first.name !== '') return first.name;
    const service = this.selectService.get(first.resourceId) as unknown;
    return typeof service === 'string' && service !== '' ? service : null;
  }

  private readonly rawStatements = new Map<string, Database.Statement>();

  private rawStatement(sql: string): Database.Statement {
    let statement = this.rawStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql).raw(true);
      this.rawStatements.set(sql, statement);
    }
    return statement;
  }

  getSession(sessionId: string): SessionSummary {
    const row = this.selectSession.get({ sessionId }) as SessionRow | undefined;
    if (!row) throw new SessionNotFoundError(sessionId);
    return this.toSummary(row);
  }

  /** The per-model breakdown (calls, tokens, cost) of a session, most calls first. */
  getSessionModels(sessionId: string): SessionModelUsage[] {
    if (!this.selectSession.get({ sessionId })) throw new SessionNotFoundError(sessionId);
    return (this.selectModels.all({ sessionId }) as ModelRow[]).map((row) => ({
      model: row.model,
      calls: n(row.calls),
      tokens: tokenTotalsOf(row),
      costUsd: row.cost_usd,
    }));
  }

  listSessions(query: SessionQuery = {}): Page<SessionSummary> {
    checkKeys(query, SESSION_QUERY_KEYS);
    const sortName = query.sort ?? 'recent';
    const sort = SESSION_SORTS[sortName];
    if (!sort) throw new InvalidQueryError(`unknown sort: ${String(sortName)}`, 'sort');
    const limit = pageLimit(query.limit);
    const where: string[] = [];
    const params: Record<string, string | number | bigint> = { limit: limit + 1 };
    if (query.fromUnixNano !== undefined) {
      params.from = bigintParam(query.fromUnixNano, 'fromUnixNano');
      where.push('last_activity_ns >= @from');
    }
    if (query.toUnixNano !== undefined) {
      params.to = bigintParam(query.toUnixNano, 'toUnixNano');
      where.push('first_start_ns < @to');
    }
    if (query.status !== undefined) {
      if (!SESSION_STATUSES.includes(query.status)) throw new InvalidQueryError(`unknown status: ${query.status}`, 'status');
      params.status = query.status;
      where.push('status = @status');
    }
    if (query.agentName !== undefined) {
      params.agentName = stringParam(query.agentName, 'agentName');
      where.push('agent_name = @agentName');
    }
    if (query.userId !== undefined) {
      params.userId = stringParam(query.userId, 'userId');
      where.push('user_id = @userId');
    }
    if (query.model !== undefined) {
      params.model = stringParam(query.model, 'model');
      where.push('EXISTS (SELECT 1 FROM session_models m WHERE m.session_id = sessions.session_id AND m.model = @model)');
    }
    if (query.minTokens !== undefined) {
      params.minTokens = numberParam(query.minTokens, 'minTokens');
      where.push('total_tokens >= @minTokens');
    }
    if (query.minCostUsd !== undefined) {
      params.minCostUsd = numberParam(query.minCostUsd, 'minCostUsd');
      where.push('cost_usd >= @minCostUsd');
    }
    if (query.includeInternal !== undefined && typeof query.includeInternal !== 'boolean') {
      throw new InvalidQueryError('includeInternal must be a boolean', 'includeInternal');
    }
    // Read from the row the page reads anyway: no extra lookup (migration 008).
    if (query.includeInternal !== true) where.push('internal_count < span_count');
    const op = sort.descending ? '<' : '>';
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(query.cursor, `sessions:${sortName}`);
      params.cursorKey = cursorKeyParam(cursor.key, sort.bigint);
      params.cursorId = String(cursor.id);
      where.push(`(${sort.column} ${op} @cursorKey OR (${sort.column} = @cursorKey AND session_id ${op} @cursorId))`);
    }
    const direction = sort.descending ? 'DESC' : 'ASC';
    const sql = `SELECT ${SESSION_COLUMNS} FROM sessions ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${sort.column} ${direction}, session_id ${direction} LIMIT @limit`;
    const rows = (this.rawStatement(sql).all(params) as RawSessionRow[]).map(sessionRowOf);
    const more = rows.length > limit;
    const items = rows.slice(0, limit);
    const last = items[items.length - 1] as SessionRow | undefined;
    let nextCursor: string | null = null;
    if (more && last) {
      const key = (last as unknown as Record<string, bigint | number>)[sort.column];
      nextCursor = encodeCursor({
        kind: `sessions:${sortName}`,
        // Integer sort keys travel as decimal text (times are bigints, token totals plain numbers).
        key: sort.bigint ? String(key) : Number(key),
        id: last.session_id,
      });
    }
    return { items: items.map((row) => this.toSummary(row)), nextCursor };
  }

  private toSummary(row: SessionRow): SessionSummary {
    // Filled in, not spread: a page maps 50 of these (a spread copy of each cost ~40% of the list's time).
    const summary = rollupSummaryOf(row);
    summary.traceIds = JSON.parse(row.trace_ids) as string[];
    summary.title = this.titleFor(row.session_id, row.agent_name);
    // The default list's filter (internal_count < span_count), said of the one session.
    summary.internal = n(row.internal_count) >= n(row.span_count);
    summary.stepCount = Math.max(0, n(row.span_count) - n(row.internal_count));
    return summary;
  }
}

type TokenColumns = Pick<SessionRow, 'input_tokens' | 'output_tokens' | 'reasoning_tokens' | 'cache_read_tokens' | 'cache_write_tokens'>;

/** The token columns of a `sessions` or `session_models` row as totals. */
function tokenTotalsOf(row: TokenColumns): TokenTotals {
  return {
    input: n(row.input_tokens),
    output: n(row.output_tokens),
    reasoning: n(row.reasoning_tokens),
    cacheRead: n(row.cache_read_tokens),
    cacheWrite: n(row.cache_write_tokens),
  };
}

/** The `sessions` columns every summary is made of (counts as bigints or plain numbers). */
export type SessionRollupColumns = Pick<SessionRow, SessionRollupColumn>;

/**
 * A `sessions` row as a summary, for the reads and the change feed's snapshots alike: what the row
 * holds, without what needs a lookup (trace ids are the row's JSON or none, the title the agent name).
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
    tokens: tokenTotalsOf(row),
    costUsd: row.cost_usd,
    suppliedCostUsd: row.supplied_cost_usd,
    computedCostUsd: row.computed_cost_usd,
    unpricedCallCount: n(row.unpriced_call_count),
    models: JSON.parse(row.models) as string[],
    agentName: row.agent_name,
    userId: row.user_id,
    usageMismatch: n(row.usage_mismatch) === 1,
    traceIds: [],
    title: row.agent_name,
    lastActivityUnixNano: row.last_activity_ns,
    internal: undefined,
    stepCount: undefined,
  };
}

function cursorKeyParam(key: CursorKey, bigint: boolean): bigint | number {
  if (bigint) {
    if (typeof key !== 'string' || !/^-?\d+$/.test(key)) throw new InvalidQueryError('malformed cursor', 'cursor');
    return BigInt(key);
  }
  if (typeof key !== 'number') throw new InvalidQueryError('malformed cursor', 'cursor');
  return key;
}
