/** Full-text search over span names and content (FTS5). */

import type Database from 'better-sqlite3';
import type { SearchHit, SearchQuery } from '../../model/query.js';
import { InvalidQueryError } from '../errors.js';
import { checkKeys, pageLimit } from '../common/cursor.js';
import { searchHitOf } from '../common/search-hits.js';
import type { SearchHitRow } from '../common/search-hits.js';
import { SNIPPET_ELLIPSIS, SNIPPET_MATCH_END, SNIPPET_MATCH_START } from '../common/store-defaults.js';
import { stringParam } from '../common/query-params.js';

const SNIPPET_TOKENS = 16;

/** The two statements of one `includeInternal` choice. */
interface SearchStatements {
  all: Database.Statement;
  inSession: Database.Statement;
}

export class SpanSearch {
  /** Indexed by `includeInternal`: 0 leaves an agent's internal (plumbing) spans out, the default; 1 searches them too. */
  private readonly statements: readonly [SearchStatements, SearchStatements];

  constructor(db: Database.Database) {
    const snippet = `snippet(spans_fts, -1, '${SNIPPET_MATCH_START}', '${SNIPPET_MATCH_END}', '${SNIPPET_ELLIPSIS}', ${SNIPPET_TOKENS})`;
    const columns = 's.resolved_session_id AS session_id, s.trace_id, s.span_id, s.name, s.step_type, s.start_ns';
    const prepare = (includeInternal: boolean): SearchStatements => {
      const steps = includeInternal ? '' : ' AND s.internal = 0';
      return {
        // FTS5 walks its doclists in rowid order and stops at the LIMIT: a common
        // word costs the page, not every match (sorting matches by start time
        // read all of them: seconds at 1M spans). The full-text rows first (CROSS
        // JOIN keeps that order), each span row read by its id to leave plumbing out
        // before the LIMIT counts it; snippets for the rows returned only.
        all: db
          .prepare(`SELECT ${columns}, ${snippet} AS snippet
            FROM spans_fts CROSS JOIN spans s ON s.id = spans_fts.rowid
            WHERE spans_fts MATCH @text${steps} ORDER BY spans_fts.rowid DESC LIMIT @limit`)
          .safeIntegers(true),
        // A session holds few spans: its rows first (CROSS JOIN keeps that order), each checked against the index.
        inSession: db
          .prepare(`SELECT ${columns}, ${snippet} AS snippet
            FROM spans s CROSS JOIN spans_fts ON spans_fts.rowid = s.id
            WHERE s.resolved_session_id = @sessionId AND spans_fts MATCH @text${steps}
            ORDER BY s.id DESC LIMIT @limit`)
          .safeIntegers(true),
      };
    };
    this.statements = [prepare(false), prepare(true)];
  }

  /**
   * `text` is an FTS5 query (terms, "phrases", prefix*, AND/OR/NOT, column
   * filters on name/input_text/output_text/reasoning_text). Newest first,
   * by the order spans were first stored (the full-text rowid), which follows
   * start time closely for live traffic but not for a late or backfilled
   * span: exact start order would need every match read and sorted. An
   * agent's internal (plumbing) spans only with `includeInternal`.
   */
  search(query: SearchQuery): SearchHit[] {
    checkKeys(query, ['text', 'sessionId', 'limit', 'includeInternal']);
    const text = stringParam(query.text, 'text');
    if (text.trim() === '') throw new InvalidQueryError('search text is empty', 'text');
    const limit = pageLimit(query.limit);
    const includeInternal = query.includeInternal ?? false;
    if (typeof includeInternal !== 'boolean') throw new InvalidQueryError('includeInternal must be a boolean', 'includeInternal');
    const { all, inSession } = this.statements[includeInternal ? 1 : 0];
    let rows: SearchHitRow[];
    try {
      rows = (
        query.sessionId === undefined
          ? all.all({ text, limit })
          : inSession.all({ text, limit, sessionId: stringParam(query.sessionId, 'sessionId') })
      ) as SearchHitRow[];
    } catch (error) {
      // SQLITE_ERROR here is the query's fault (syntax, unknown column); busy or I/O errors are not.
      if ((error as { code?: string }).code === 'SQLITE_ERROR') {
        throw new InvalidQueryError(`malformed search query: ${(error as Error).message}`, 'text');
      }
      throw error;
    }
    return rows.map(searchHitOf);
  }
}
