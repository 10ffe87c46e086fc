/** Reads of spans: a session's timeline and tree, and filtered span pages. */

import type Database from 'better-sqlite3';
import type { Page, SpanQuery, TimelineOptions, TimelineStep, TreeNode } from '../../model/query.js';
import type { StepType, StoredSpan, TokenTotals } from '../../model/types.js';
import { STEP_TYPES } from '../../model/types.js';
import { InvalidQueryError, SessionNotFoundError } from '../errors.js';
import { checkKeys, decodeCursor, encodeCursor, pageLimit } from '../common/cursor.js';
import { bigintParam, stringParam } from '../common/query-params.js';
import { stepDepths, timelineTree } from '../common/timeline.js';
import type { StepIdsOf } from '../common/timeline.js';
import { READ_ROW_ID, READ_ROW_START, SPAN_READ_COLUMNS, SpanReader, readExactTimes, storedAttributeJson } from './span-row.js';
import type { SpanReadRow } from './span-row.js';
import { StatementCache } from './statement-cache.js';
import { SHARED_VALUES_SQL } from './span-values.js';

/**
 * A timeline row as an array (better-sqlite3's `raw` mode), in the order of
 * the timeline statement's columns. Arrays without safe integers cost about a
 * quarter of objects with them (100 steps: ~0.25 ms against ~1 ms). Times,
 * the only values past 2^53, come as offsets from the session's first start,
 * which fit a double exactly for sessions shorter than 104 days; the exact
 * statement gives them as decimal text for any longer one.
 */
type TimelineRow = [
  traceId: string,
  spanId: string,
  parentSpanId: string | null,
  name: string,
  stepType: string,
  start: number | string,
  end: number | string | null,
  isError: number,
  interrupted: number,
  model: string | null,
  toolName: string | null,
  input: number | null,
  output: number | null,
  reasoning: number | null,
  cacheRead: number | null,
  cacheWrite: number | null,
  costUsd: number | null,
];

const TIMELINE_IDS: StepIdsOf<TimelineRow> = {
  traceId: (row) => row[0],
  spanId: (row) => row[1],
  parentSpanId: (row) => row[2],
};

const TIMELINE_COLUMNS = `trace_id, span_id, parent_span_id, name, step_type, %START%, %END%, is_error, interrupted,
  model, tool_name, usage_input, usage_output, usage_reasoning, usage_cache_read, usage_cache_write, cost_usd`;
const TIMELINE_SQL = (start: string, end: string, includeInternal: boolean): string =>
  // The session's rows by spans_session_start, already in this order (migration 011).
  `SELECT ${TIMELINE_COLUMNS.replace('%START%', start).replace('%END%', end)}
   FROM spans WHERE resolved_session_id = @sessionId${includeInternal ? '' : ' AND internal = 0'} ORDER BY start_ns, id`;

/**
 * SQL function: one attribute of a row as it arrived (keys joined, texts put
 * back: migration 010; shared values, given by `SHARED_VALUES_SQL`: 012), as
 * a codec JSON object of that key alone.
 */
const STORED_ATTRIBUTE = 'skein_span_attribute';

const SPAN_QUERY_KEYS = [
  'sessionId', 'traceId', 'stepType', 'model', 'provider', 'isError', 'minDurationNanos', 'fromUnixNano',
  'toUnixNano', 'attributes', 'limit', 'cursor',
];

function tokensOf(row: TimelineRow): Partial<TokenTotals> {
  const tokens: Partial<TokenTotals> = {};
  if (row[11] !== null) tokens.input = row[11];
  if (row[12] !== null) tokens.output = row[12];
  if (row[13] !== null) tokens.reasoning = row[13];
  if (row[14] !== null) tokens.cacheRead = row[14];
  if (row[15] !== null) tokens.cacheWrite = row[15];
  return tokens;
}

export class SpanQueries {
  private readonly sessionStart: Database.Statement;
  /** Indexed by `includeInternal`: 0 leaves internal spans out (the default), 1 gives them. */
  private readonly timeline: [Database.Statement, Database.Statement];
  private readonly exactTimeline: [Database.Statement, Database.Statement];
  private readonly statements: StatementCache;
  private readonly reader: SpanReader;
  private readonly spansRead: Database.Transaction<(query: SpanQuery) => Page<StoredSpan>>;

  constructor(private readonly db: Database.Database) {
    this.reader = new SpanReader(db);
    this.sessionStart = db
      .prepare('SELECT first_start_ns FROM sessions WHERE session_id = @sessionId')
      .pluck()
      .safeIntegers(true);
    const timeline = (includeInternal: boolean) =>
      db.prepare(TIMELINE_SQL('start_ns - @base', 'end_ns - @base', includeInternal)).raw(true);
    const exactTimeline = (includeInternal: boolean) =>
      db.prepare(TIMELINE_SQL('CAST(start_ns AS TEXT)', 'CAST(end_ns AS TEXT)', includeInternal)).raw(true);
    this.timeline = [timeline(false), timeline(true)];
    this.exactTimeline = [exactTimeline(false), exactTimeline(true)];
    this.statements = new StatementCache(db);
    db.function(STORED_ATTRIBUTE, { deterministic: true }, (attributes, keys, raw, input, output, reasoning, key, shared) =>
      storedAttributeJson(
        attributes as string,
        keys as string | null,
        raw as string,
        input as string | null,
        output as string | null,
        reasoning as string | null,
        key as string,
        shared as string | null,
      ),
    );
    this.spansRead = db.transaction((query: SpanQuery) => this.readSpans(query));
  }

  /**
   * Steps in start order. `depth` counts ancestors inside the session; a step
   * whose parent is elsewhere (or not yet arrived) is at depth 0. `open` is
   * a step still running: no end and not interrupted. An agent's internal
   * plumbing spans are no steps unless `includeInternal`.
   */
  getTimeline(sessionId: string, options: TimelineOptions = {}): TimelineStep[] {
    const includeInternal = options.includeInternal ?? false;
    if (typeof includeInternal !== 'boolean') {
      throw new InvalidQueryError('includeInternal must be a boolean', 'includeInternal');
    }
    const which = includeInternal ? 1 : 0;
    const base = this.sessionStart.get({ sessionId }) as bigint | undefined;
    if (base === undefined) throw new SessionNotFoundError(sessionId);
    let rows = this.timeline[which].all({ sessionId, base }) as TimelineRow[];
    let exact = false;
    if (rows.some((row) => !Number.isSafeInteger(row[5]) || (row[6] !== null && !Number.isSafeInteger(row[6])))) {
      rows = this.exactTimeline[which].all({ sessionId }) as TimelineRow[];
      exact = true;
    }
    const timeOf = (value: number | string): bigint => (exact ? BigInt(value) : base + BigInt(value));
    const depths = stepDepths(rows, TIMELINE_IDS);
    return rows.map((row, i) => {
      const interrupted = row[8] === 1;
      const start = timeOf(row[5]);
      const end = row[6] === null ? null : timeOf(row[6]);
      return {
        spanId: row[1],
        traceId: row[0],
        parentSpanId: row[2],
        depth: depths[i],
        name: row[3],
        stepType: row[4] as StepType,
        startTimeUnixNano: start,
        endTimeUnixNano: end,
        durationNanos: end === null ? null : end - start,
        isError: row[7] === 1,
        open: end === null && !interrupted,
        interrupted,
        model: row[9],
        toolName: row[10],
        tokens: tokensOf(row),
        costUsd: row[16],
      };
    });
  }

  /** The timeline as a forest; children in start order. */
  getTree(sessionId: string, options: TimelineOptions = {}): TreeNode[] {
    return timelineTree(this.getTimeline(sessionId, options));
  }

  /**
   * Spans matching every given filter, newest start first. The rows and the
   * shared values they name are read in one transaction: a session deleted
   * in between would take its values with it.
   */
  getSpans(query: SpanQuery): Page<StoredSpan> {
    return this.db.inTransaction ? this.readSpans(query) : this.spansRead(query);
  }

  private readSpans(query: SpanQuery): Page<StoredSpan> {
    checkKeys(query, SPAN_QUERY_KEYS);
    const limit = pageLimit(query.limit);
    const where: string[] = [];
    const params: Record<string, string | number | bigint> = { limit: limit + 1 };
    if (query.sessionId !== undefined) {
      params.sessionId = stringParam(query.sessionId, 'sessionId');
      where.push('s.resolved_session_id = @sessionId');
    }
    if (query.traceId !== undefined) {
      params.traceId = stringParam(query.traceId, 'traceId');
      where.push('s.trace_id = @traceId');
    }
    if (query.stepType !== undefined) {
      if (!STEP_TYPES.includes(query.stepType)) {
        throw new InvalidQueryError(`unknown stepType: ${String(query.stepType)}`, 'stepType');
      }
      params.stepType = query.stepType;
      where.push('s.step_type = @stepType');
    }
    if (query.model !== undefined) {
      params.model = stringParam(query.model, 'model');
      where.push('(s.response_model = @model OR s.request_model = @model)');
    }
    if (query.provider !== undefined) {
      params.provider = stringParam(query.provider, 'provider');
      where.push('s.provider = @provider');
    }
    if (query.isError !== undefined) {
      if (typeof query.isError !== 'boolean') throw new InvalidQueryError('isError must be a boolean', 'isError');
      params.isError = query.isError ? 1 : 0;
      where.push('s.is_error = @isError');
    }
    if (query.minDurationNanos !== undefined) {
      params.minDuration = bigintParam(query.minDurationNanos, 'minDurationNanos');
      where.push('s.end_ns IS NOT NULL AND s.end_ns - s.start_ns >= @minDuration');
    }
    if (query.fromUnixNano !== undefined) {
      params.from = bigintParam(query.fromUnixNano, 'fromUnixNano');
      where.push('s.start_ns >= @from');
    }
    if (query.toUnixNano !== undefined) {
      params.to = bigintParam(query.toUnixNano, 'toUnixNano');
      where.push('s.start_ns < @to');
    }
    if (query.attributes !== undefined) {
      if (query.attributes === null || typeof query.attributes !== 'object') {
        throw new InvalidQueryError('attributes must be an object', 'attributes');
      }
      Object.entries(query.attributes).forEach(([name, value], i) => {
        params[`attrKey${i}`] = name;
        where.push(`EXISTS (SELECT 1 FROM json_each(${STORED_ATTRIBUTE}(s.attributes, ak.text, s.raw, s.input_text,
          s.output_text, s.reasoning_text, @attrKey${i}, ${SHARED_VALUES_SQL})) a
          WHERE a.key = @attrKey${i} AND ${attributeMatch(value, i, params)})`);
      });
    }
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(query.cursor, 'spans');
      if (typeof cursor.key !== 'string' || !/^\d+$/.test(cursor.key) || typeof cursor.id !== 'number') {
        throw new InvalidQueryError('malformed cursor', 'cursor');
      }
      params.cursorStart = BigInt(cursor.key);
      params.cursorId = cursor.id;
      where.push('(s.start_ns < @cursorStart OR (s.start_ns = @cursorStart AND s.id < @cursorId))');
    }
    // The filters pick and order ids alone; the rows are read by id and ordered here. Sorting whole rows
    // in SQL (a trace's 100 spans: no index gives its start order) cost ~0.4 ms of a ~0.5 ms statement.
    const keys = query.attributes === undefined ? '' : ' LEFT JOIN signal_strings ak ON ak.id = s.attribute_keys';
    const sql = `SELECT ${SPAN_READ_COLUMNS} FROM spans s WHERE s.id IN (SELECT s.id FROM spans s${keys}
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.start_ns DESC, s.id DESC LIMIT @limit)`;
    const rows = readExactTimes(this.statements.get(sql, false).raw(true).all(params) as unknown[][]).sort(newestFirst);
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1] as SpanReadRow | undefined;
    return {
      items: this.reader.spans(rows),
      nextCursor:
        more && last
          ? encodeCursor({ kind: 'spans', key: last[READ_ROW_START].toString(), id: Number(last[READ_ROW_ID]) })
          : null,
    };
  }
}

/** `ORDER BY start_ns DESC, id DESC`. */
function newestFirst(a: SpanReadRow, b: SpanReadRow): number {
  const aStart = a[READ_ROW_START];
  const bStart = b[READ_ROW_START];
  if (aStart !== bStart) return aStart > bStart ? -1 : 1;
  return b[READ_ROW_ID] - a[READ_ROW_ID];
}

/** SQL that matches one attribute value of the stored JSON by JSON type, so "1" never equals 1. */
function attributeMatch(value: unknown, i: number, params: Record<string, string | number | bigint>): string {
  switch (typeof value) {
    case 'string':
      params[`attrValue${i}`] = value;
      return `a.type = 'text' AND a.value = @attrValue${i}`;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidQueryError('attribute values must be finite numbers', 'attributes');
      params[`attrValue${i}`] = value;
      return `a.type IN ('integer', 'real') AND a.value = @attrValue${i}`;
    case 'boolean':
      return value ? `a.type = 'true'` : `a.type = 'false'`;
    default:
      throw new InvalidQueryError('attribute filters take string, number or boolean values', 'attributes');
  }
}
