/** Reads of spans: a session's timeline and tree, and filtered span pages. */

import type pg from 'pg';
import type { Page, SpanQuery, TimelineOptions, TimelineStep, TreeNode } from '../../model/query.js';
import type { StepType, TokenTotals } from '../../model/types.js';
import { STEP_TYPES } from '../../model/types.js';
import type { StoredSpan } from '../../model/types.js';
import { InvalidQueryError, SessionNotFoundError } from '../errors.js';
import { checkKeys, decodeCursor, encodeCursor, pageLimit } from '../common/cursor.js';
import { bigintParam, booleanParam, stringParam } from '../common/query-params.js';
import { stepDepths, timelineTree } from '../common/timeline.js';
import type { StepIdsOf } from '../common/timeline.js';
import type { Queryable } from './connection.js';
import { codecJsonOf, codecJsonSql, codecKeyParam } from './codec-json.js';
import { prepared } from './query-params.js';
import { SPAN_ROW_COLUMNS, storedSpanOfRow } from './span-row.js';
import type { SpanRow } from './span-row.js';

interface TimelineRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  step_type: string;
  start_ns: bigint;
  end_ns: bigint | null;
  is_error: boolean;
  interrupted: boolean;
  model: string | null;
  tool_name: string | null;
  usage_input: bigint | null;
  usage_output: bigint | null;
  usage_reasoning: bigint | null;
  usage_cache_read: bigint | null;
  usage_cache_write: bigint | null;
  cost_usd: number | null;
}

const TIMELINE_IDS: StepIdsOf<TimelineRow> = {
  traceId: (row) => row.trace_id,
  spanId: (row) => row.span_id,
  parentSpanId: (row) => row.parent_span_id,
};

/** The session's steps by `spans_session_start`, already in this order. */
const TIMELINE_SQL = (includeInternal: boolean): string => `SELECT trace_id, span_id, parent_span_id, name, step_type,
  start_ns, end_ns, is_error, interrupted, model, tool_name, usage_input, usage_output, usage_reasoning,
  usage_cache_read, usage_cache_write, cost_usd
  FROM spans WHERE resolved_session_id = $1${includeInternal ? '' : ' AND NOT internal'} ORDER BY start_ns, id`;
const TIMELINES = [TIMELINE_SQL(false), TIMELINE_SQL(true)] as const;

const SESSION_EXISTS = 'SELECT 1 FROM sessions WHERE session_id = $1';

const SPAN_QUERY_KEYS = [
  'sessionId', 'traceId', 'stepType', 'model', 'provider', 'isError', 'minDurationNanos', 'fromUnixNano',
  'toUnixNano', 'attributes', 'limit', 'cursor',
];

function tokensOf(row: TimelineRow): Partial<TokenTotals> {
  const tokens: Partial<TokenTotals> = {};
  if (row.usage_input !== null) tokens.input = Number(row.usage_input);
  if (row.usage_output !== null) tokens.output = Number(row.usage_output);
  if (row.usage_reasoning !== null) tokens.reasoning = Number(row.usage_reasoning);
  if (row.usage_cache_read !== null) tokens.cacheRead = Number(row.usage_cache_read);
  if (row.usage_cache_write !== null) tokens.cacheWrite = Number(row.usage_cache_write);
  return tokens;
}

export class PgSpanQueries {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Steps in start order. `depth` counts ancestors inside the session; a step
   * whose parent is elsewhere (or not yet arrived) is at depth 0. `open` is
   * a step still running: no end and not interrupted. An agent's internal
   * plumbing spans are no steps unless `includeInternal`.
   */
  async getTimeline(sessionId: string, options: TimelineOptions = {}): Promise<TimelineStep[]> {
    const includeInternal =
      options.includeInternal === undefined ? false : booleanParam(options.includeInternal, 'includeInternal');
    const sql = TIMELINES[includeInternal ? 1 : 0];
    const rows = (await this.pool.query<TimelineRow>(prepared(sql, [sessionId]))).rows;
    // No step: the session may still exist (all its spans internal), or not at all.
    if (rows.length === 0 && (await this.pool.query(prepared(SESSION_EXISTS, [sessionId]))).rowCount === 0) {
      throw new SessionNotFoundError(sessionId);
    }
    const depthOf = stepDepths(rows, TIMELINE_IDS);
    return rows.map((row, i) => {
      const end = row.end_ns;
      const interrupted = row.interrupted;
      return {
        spanId: row.span_id,
        traceId: row.trace_id,
        parentSpanId: row.parent_span_id,
        depth: depthOf[i],
        name: row.name,
        stepType: row.step_type as StepType,
        startTimeUnixNano: row.start_ns,
        endTimeUnixNano: end,
        durationNanos: end === null ? null : end - row.start_ns,
        isError: row.is_error,
        open: end === null && !interrupted,
        interrupted,
        model: row.model,
        toolName: row.tool_name,
        tokens: tokensOf(row),
        costUsd: row.cost_usd,
      };
    });
  }

  /** The timeline as a forest; children in start order. */
  async getTree(sessionId: string, options: TimelineOptions = {}): Promise<TreeNode[]> {
    return timelineTree(await this.getTimeline(sessionId, options));
  }

  /**
   * Spans matching every given filter, newest start first, in one statement
   * (one snapshot). On the pool, or in the transaction of `db` when a client.
   */
  async getSpans(query: SpanQuery, db: Queryable = this.pool): Promise<Page<StoredSpan>> {
    checkKeys(query, SPAN_QUERY_KEYS);
    const limit = pageLimit(query.limit);
    const where: string[] = [];
    const values: unknown[] = [limit + 1];
    const param = (value: unknown): string => `$${values.push(value)}`;
    if (query.sessionId !== undefined) {
      where.push(`resolved_session_id = ${param(stringParam(query.sessionId, 'sessionId'))}`);
    }
    if (query.traceId !== undefined) where.push(`trace_id = ${param(stringParam(query.traceId, 'traceId'))}`);
    if (query.stepType !== undefined) {
      if (!STEP_TYPES.includes(query.stepType)) {
        throw new InvalidQueryError(`unknown stepType: ${String(query.stepType)}`, 'stepType');
      }
      where.push(`step_type = ${param(query.stepType)}`);
    }
    if (query.model !== undefined) {
      const model = param(stringParam(query.model, 'model'));
      where.push(`(response_model = ${model} OR request_model = ${model})`);
    }
    if (query.provider !== undefined) where.push(`provider = ${param(stringParam(query.provider, 'provider'))}`);
    if (query.isError !== undefined) where.push(`is_error = ${param(booleanParam(query.isError, 'isError'))}`);
    if (query.minDurationNanos !== undefined) {
      const minDuration = param(bigintParam(query.minDurationNanos, 'minDurationNanos'));
      where.push(`end_ns IS NOT NULL AND end_ns - start_ns >= ${minDuration}`);
    }
    if (query.fromUnixNano !== undefined) where.push(`start_ns >= ${param(bigintParam(query.fromUnixNano, 'fromUnixNano'))}`);
    if (query.toUnixNano !== undefined) where.push(`start_ns < ${param(bigintParam(query.toUnixNano, 'toUnixNano'))}`);
    if (query.attributes !== undefined) {
      if (query.attributes === null || typeof query.attributes !== 'object' || Array.isArray(query.attributes)) {
        throw new InvalidQueryError('attributes must be an object', 'attributes');
      }
      for (const [key, value] of Object.entries(query.attributes)) {
        where.push(`(${attributeOf(key)} -> ${param(codecKeyParam(key, 'attributes'))})::text = ${param(attributeValueJson(value))}`);
      }
    }
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(stringParam(query.cursor, 'cursor'), 'spans');
      if (typeof cursor.key !== 'string' || !/^\d{1,19}$/.test(cursor.key) || !Number.isSafeInteger(cursor.id)) {
        throw new InvalidQueryError('malformed cursor', 'cursor');
      }
      where.push(`(start_ns, id) < (${param(bigintParam(BigInt(cursor.key), 'cursor'))}, ${param(cursor.id)})`);
    }
    const sql = `SELECT ${SPAN_ROW_COLUMNS} FROM spans ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY start_ns DESC, id DESC LIMIT $1`;
    const rows = (await db.query<SpanRow>(prepared(sql, values))).rows;
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return {
      items: rows.map(storedSpanOfRow),
      nextCursor: more && last ? encodeCursor({ kind: 'spans', key: last.start_ns.toString(), id: Number(last.id) }) : null,
    };
  }
}

/**
 * The span's attributes as `json`, for a filter on `key`. The codec wraps an
 * object whose only key starts with `$` as `{"$o": {...}}`: such a key is
 * looked up inside the wrapper (every other key is never in one).
 */
function attributeOf(key: string): string {
  const attributes = codecJsonSql('attributes');
  if (!key.startsWith('$')) return attributes;
  return `(CASE WHEN attributes LIKE '{"$o":{%' AND (SELECT count(*) FROM json_object_keys(${attributes})) = 1
    THEN ${attributes} -> '$o' ELSE ${attributes} END)`;
}

/**
 * A filter value as the codec writes it (`codecJsonOf`): compared with the
 * stored JSON text of the attribute, it matches by type and value alike (the
 * number 7 is not the string "7"; a non-finite or -0 double, tagged by the
 * codec, is no plain JSON number and never matches).
 */
function attributeValueJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return codecJsonOf(value);
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidQueryError('attribute values must be finite numbers', 'attributes');
      return codecJsonOf(value);
    default:
      throw new InvalidQueryError('attribute filters take string, number or boolean values', 'attributes');
  }
}
