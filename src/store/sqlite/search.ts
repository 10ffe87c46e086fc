/** Full-text search over span names and content (FTS5). */

import type Database from 'better-sqlite3';
import type { SearchHit, SearchQuery } from '../../model/query.js';
import type { StepType } from '../../model/types.js';
import { InvalidQueryError } from '../errors.js';
import { checkKeys, pageLimit } from './cursor.js';
import { stringParam } from './session-queries.js';

/**
 * Markers around the matched terms in `SearchHit.snippet`. Doubled brackets
 * because model output is full of single ones (JSON, markdown links).
 */
export const SNIPPET_MATCH_START = '[[';
export const SNIPPET_MATCH_END = ']]';
/** Stands for text cut from either side of a snippet. */
export const SNIPPET_ELLIPSIS = '…';
const SNIPPET_TOKENS = 16;

interface HitRow {
  session_id: string;
  trace_id: string;
  span_id: string;
  name: string;
  step_type: string;
  start_ns: bigint;
  snippet: string;
}

export class SpanSearch {
  private readonly all: Database.Statement;
  private readonly inSession: Database.Statement;

  constructor(db: Database.Database) {
    const sql = (extra: string): string => `SELECT s.resolved_session_id AS session_id, s.trace_id, s.span_id, s.name,
        s.step_type, s.start_ns,
        snippet(spans_fts, -1, '${SNIPPET_MATCH_START}', '${SNIPPET_MATCH_END}', '${SNIPPET_ELLIPSIS}', ${SNIPPET_TOKENS}) AS snippet
      FROM spans_fts JOIN spans s ON s.id = spans_fts.rowid
      WHERE spans_fts MATCH @text ${extra}
      ORDER BY s.start_ns DESC, s.id DESC LIMIT @limit`;
    this.all = db.prepare(sql('')).safeIntegers(true);
    this.inSession = db.prepare(sql('AND s.resolved_session_id = @sessionId')).safeIntegers(true);
  }

  /**
   * `text` is an FTS5 query (terms, "phrases", prefix*, AND/OR/NOT, column
   * filters on name/input_text/output_text/reasoning_text). Newest first.
   */
  search(query: SearchQuery): SearchHit[] {
    checkKeys(query, ['text', 'sessionId', 'limit']);
    const text = stringParam(query.text, 'text');
    if (text.trim() === '') throw new InvalidQueryError('search text is empty', 'text');
    const limit = pageLimit(query.limit);
    let rows: HitRow[];
    try {
      rows = (
        query.sessionId === undefined
          ? this.all.all({ text, limit })
          : this.inSession.all({ text, limit, sessionId: stringParam(query.sessionId, 'sessionId') })
      ) as HitRow[];
    } catch (error) {
      // SQLITE_ERROR here is the query's fault (syntax, unknown column); busy or I/O errors are not.
      if ((error as { code?: string }).code === 'SQLITE_ERROR') {
        throw new InvalidQueryError(`malformed search query: ${(error as Error).message}`, 'text');
      }
      throw error;
    }
    return rows.map((row) => ({
      sessionId: row.session_id,
      traceId: row.trace_id,
      spanId: row.span_id,
      name: row.name,
      stepType: row.step_type as StepType,
      startTimeUnixNano: row.start_ns,
      snippet: row.snippet,
    }));
  }
}
