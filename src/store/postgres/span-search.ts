/** Full-text search over span names and content: PostgreSQL text search on `spans.fts`, the words the writer folded (search-words.ts). */

import type pg from 'pg';
import type { SearchHit, SearchQuery } from '../../model/query.js';
import { InvalidQueryError } from '../errors.js';
import { checkKeys, pageLimit } from '../common/cursor.js';
import { searchHitOf } from '../common/search-hits.js';
import type { SearchHitRow } from '../common/search-hits.js';
import { inTransaction } from './connection.js';
import { booleanParam, stringParam } from '../common/query-params.js';
import { translateSearchText } from './search-query.js';
import { snippetOf } from './search-snippet.js';

/**
 * Characters either side of the first match sent for the snippet (search-snippet.ts):
 * SNIPPET_WORDS words fit in this.
 */
const SNIPPET_REACH = 240;

/**
 * Server errors that are the query's fault, not the server's: a word too
 * long for a lexeme or a regular expression (54000, 2201B), a character
 * PostgreSQL text cannot hold (22021, 22P05).
 */
const QUERY_FAULTS = new Set(['54000', '2201B', '22021', '22P05']);

/**
 * Spans read newest first by id before the full-text index is asked (below):
 * a common word fills the page there, ~2 µs a span; a rarer one is read
 * from the index.
 */
const RECENT_WINDOW = 5000n;

/**
 * The ids of a page of matches, newest first by insertion order (`spans.id`),
 * as the SQLite store. The planner alone would walk the primary key
 * backwards whenever it guesses a word common, and a word it does not know
 * (most searched words: ids, names, messages) it guesses so: 1M spans read
 * for no match, seconds. So the newest RECENT_WINDOW spans ($4 is the id
 * below them) are read that way, bounded; only when they do not fill the
 * page is the rest asked of the GIN index, materialized, so no order tempts
 * the planner back to the key (and with sequential scans off: a word
 * common but not lately is no reason to read the table). A session's
 * spans are few: its rows, checked.
 */
function matchingIdsSql(inSession: boolean, includeInternal: boolean): string {
  const where = `s.fts @@ to_tsquery('simple', $1)${includeInternal ? '' : ' AND NOT s.internal'}`;
  if (inSession) {
    return `found AS MATERIALIZED (SELECT s.id FROM spans s WHERE s.resolved_session_id = $4 AND ${where}),
      ids AS (SELECT id FROM found ORDER BY id DESC LIMIT $2)`;
  }
  return `recent AS MATERIALIZED (SELECT s.id FROM spans s WHERE s.id > $4 AND ${where} ORDER BY s.id DESC LIMIT $2),
    older AS MATERIALIZED (SELECT s.id FROM spans s WHERE s.id <= $4 AND ${where} AND (SELECT count(*) FROM recent) < $2),
    ids AS (SELECT id FROM (SELECT id FROM recent UNION ALL SELECT id FROM older) u ORDER BY id DESC LIMIT $2)`;
}

/**
 * The page with the text of its snippets, read for the rows returned only:
 * the part of the column around the first word found (SNIPPET_REACH). The
 * snippet's column is the first (name, input, output, reasoning) that
 * matches the query alone, else the first holding a phrase of it.
 */
function searchSql(inSession: boolean, includeInternal: boolean): string {
  const column = (weight: string, query: string) => `ts_filter(f.fts, '{${weight}}') @@ to_tsquery('simple', ${query})`;
  const pick = (query: string) =>
    `WHEN ${column('a', query)} THEN t.name WHEN ${column('b', query)} THEN t.input_text
     WHEN ${column('c', query)} THEN t.output_text WHEN ${column('d', query)} THEN t.reasoning_text`;
  // OFFSET 0 keeps each step a subquery evaluated once a row: pulled up, its expression would be copied
  // into every use. f.fts and d.doc are copies (ts_filter of every weight, || ''): a stored value is read
  // from TOAST and decompressed at each use, 8 for the vector, 3 for the text.
  return `WITH ${matchingIdsSql(inSession, includeInternal)}
    SELECT t.resolved_session_id AS session_id, t.trace_id, t.span_id, t.name, t.step_type, t.start_ns,
      substr(d.doc, w.at, ${2 * SNIPPET_REACH}) AS part, w.at > 1 AS cut_before,
      w.at + ${2 * SNIPPET_REACH} <= length(d.doc) AS cut_after
    FROM ids JOIN spans t ON t.id = ids.id
    CROSS JOIN LATERAL (SELECT ts_filter(t.fts, '{a,b,c,d}') AS fts OFFSET 0) f
    CROSS JOIN LATERAL (SELECT coalesce(CASE ${pick('$1')} ${pick('$3')} END, t.name) || '' AS doc OFFSET 0) d
    CROSS JOIN LATERAL (SELECT greatest(regexp_instr(d.doc, $5) - ${SNIPPET_REACH}, 1) AS at OFFSET 0) w
    ORDER BY t.id DESC`;
}

/** A search row as searchSql selects it: the snippet's text, not yet made. */
interface SnippetRow extends Omit<SearchHitRow, 'snippet'> {
  part: string;
  cut_before: boolean;
  cut_after: boolean;
}

export class PgSpanSearch {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * `text` is an FTS5 query, as the SQLite store takes (search-query.ts).
   * Newest first by the order spans were first stored, as the SQLite store.
   * An agent's internal (plumbing) spans only with `includeInternal`.
   */
  async search(query: SearchQuery): Promise<SearchHit[]> {
    checkKeys(query, ['text', 'sessionId', 'limit', 'includeInternal']);
    const text = stringParam(query.text, 'text');
    if (text.trim() === '') throw new InvalidQueryError('search text is empty', 'text');
    const limit = pageLimit(query.limit);
    const includeInternal = booleanParam(query.includeInternal ?? false, 'includeInternal');
    const sessionId = query.sessionId === undefined ? undefined : stringParam(query.sessionId, 'sessionId');
    const tsqueries = translateSearchText(text);
    if (tsqueries === null) return [];
    const values: unknown[] = [tsqueries.match, limit, tsqueries.anyPhrase];
    const rows = await inTransaction(this.pool, async (client) => {
      await client.query('SET LOCAL enable_seqscan = off');
      // $4: the session, or the id below the recent window; $5: where in a column the snippet is.
      let scope: string | bigint;
      if (sessionId !== undefined) {
        scope = sessionId;
      } else {
        const top = await client.query<{ id: bigint | null }>('SELECT max(id) AS id FROM spans');
        if (top.rows[0].id === null) return [];
        scope = top.rows[0].id - RECENT_WINDOW;
      }
      // Not a named statement: planned with the words and the window it is given.
      const sql = searchSql(sessionId !== undefined, includeInternal);
      try {
        return (await client.query<SnippetRow>(sql, [...values, scope, tsqueries.firstWords])).rows;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== undefined && QUERY_FAULTS.has(code)) {
          throw new InvalidQueryError(`search query refused: ${(error as Error).message}`, 'text');
        }
        throw error;
      }
    });
    return rows.map((row) => {
      const source = { text: row.part, cutBefore: row.cut_before, cutAfter: row.cut_after };
      return searchHitOf({ ...row, snippet: snippetOf(source, tsqueries.phrases) });
    });
  }
}
