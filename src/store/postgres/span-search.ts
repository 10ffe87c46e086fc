/** Full-text search over span names and content: PostgreSQL text search on the generated `spans.fts` column. */

import type pg from 'pg';
import type { SearchHit, SearchQuery } from '../../model/query.js';
import { InvalidQueryError } from '../errors.js';
import { checkKeys, pageLimit } from '../common/cursor.js';
import { searchHitOf } from '../common/search-hits.js';
import type { SearchHitRow } from '../common/search-hits.js';
import { SNIPPET_ELLIPSIS, SNIPPET_MATCH_END, SNIPPET_MATCH_START } from '../common/store-defaults.js';
import { inTransaction } from './connection.js';
import { booleanParam, stringParam } from '../common/query-params.js';
import { translateSearchText } from './search-query.js';

/** Words of a snippet: about SQLite's 16 tokens. */
const SNIPPET_WORDS = 16;
/**
 * Characters either side of the first match that `ts_headline` is given:
 * it parses all it is given (~5 ms for 20 KB), and 16 words fit in this.
 */
const SNIPPET_REACH = 240;
/** `ts_headline` options: one fragment of the column around the best match, marked as the SQLite store marks it. */
const HEADLINE_OPTIONS = `StartSel="${SNIPPET_MATCH_START}", StopSel="${SNIPPET_MATCH_END}", MaxWords=${SNIPPET_WORDS}, MinWords=${SNIPPET_WORDS / 2}, ShortWord=0, MaxFragments=1`;

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
 * for no match, seconds. So the newest RECENT_WINDOW spans ($9 is the id
 * below them) are read that way, bounded; only when they do not fill the
 * page is the rest asked of the GIN index, materialized, so no order tempts
 * the planner back to the key (and with sequential scans off: a word
 * common but not lately is no reason to read the table). A session's
 * spans are few: its rows, checked.
 */
function matchingIdsSql(inSession: boolean, includeInternal: boolean): string {
  const where = `s.fts @@ to_tsquery('simple', $1)${includeInternal ? '' : ' AND NOT s.internal'}`;
  if (inSession) {
    return `found AS MATERIALIZED (SELECT s.id FROM spans s WHERE s.resolved_session_id = $9 AND ${where}),
      ids AS (SELECT id FROM found ORDER BY id DESC LIMIT $2)`;
  }
  return `recent AS MATERIALIZED (SELECT s.id FROM spans s WHERE s.id > $9 AND ${where} ORDER BY s.id DESC LIMIT $2),
    older AS MATERIALIZED (SELECT s.id FROM spans s WHERE s.id <= $9 AND ${where} AND (SELECT count(*) FROM recent) < $2),
    ids AS (SELECT id FROM (SELECT id FROM recent UNION ALL SELECT id FROM older) u ORDER BY id DESC LIMIT $2)`;
}

/**
 * The page with its snippets, made for the rows returned only, from the
 * part of the column around the first word found (SNIPPET_REACH). The
 * snippet's column is the first (name, input, output, reasoning) that
 * matches the query alone, else the first holding a phrase of it; an
 * ellipsis stands for text cut from either side, as in the SQLite store.
 */
function searchSql(inSession: boolean, includeInternal: boolean): string {
  const column = (weight: string, query: string) => `ts_filter(f.fts, '{${weight}}') @@ to_tsquery('simple', ${query})`;
  const pick = (query: string) =>
    `WHEN ${column('a', query)} THEN t.name WHEN ${column('b', query)} THEN t.input_text
     WHEN ${column('c', query)} THEN t.output_text WHEN ${column('d', query)} THEN t.reasoning_text`;
  // `plain` is the snippet's text without its marks and outer punctuation: the column starts (ends) with it when nothing is cut.
  // OFFSET 0 keeps each step a subquery evaluated once a row: pulled up, its expression would be copied
  // into every use (the headline made six times). f.fts and d.doc are copies (ts_filter of every weight,
  // || ''): a stored value is read from TOAST and decompressed at each use, 8 for the vector, 4 for the text.
  return String.raw`WITH ${matchingIdsSql(inSession, includeInternal)}
    SELECT t.resolved_session_id AS session_id, t.trace_id, t.span_id, t.name, t.step_type, t.start_ns,
      CASE WHEN starts_with(regexp_replace(left(d.doc, length(x.plain) + 64), '^\W+', ''), x.plain) THEN '' ELSE $6 END
        || x.headline
        || CASE WHEN right(regexp_replace(right(d.doc, length(x.plain) + 64), '\W+$', ''), length(x.plain)) = x.plain
          THEN '' ELSE $6 END AS snippet
    FROM ids JOIN spans t ON t.id = ids.id
    CROSS JOIN LATERAL (SELECT ts_filter(t.fts, '{a,b,c,d}') AS fts OFFSET 0) f
    CROSS JOIN LATERAL (SELECT coalesce(CASE ${pick('$1')} ${pick('$3')} END, t.name) || '' AS doc OFFSET 0) d
    CROSS JOIN LATERAL (SELECT greatest(regexp_instr(d.doc, $10, 1, 1, 0, 'i') - ${SNIPPET_REACH}, 1) AS at OFFSET 0) w
    CROSS JOIN LATERAL (SELECT ts_headline('simple', substr(d.doc, w.at, ${2 * SNIPPET_REACH}), to_tsquery('simple', $4), $5)
      AS headline OFFSET 0) hl
    CROSS JOIN LATERAL (SELECT hl.headline,
      regexp_replace(replace(replace(hl.headline, $7, ''), $8, ''), '^\W+|\W+$', '', 'g') AS plain OFFSET 0) x
    ORDER BY t.id DESC`;
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
    const values: unknown[] = [
      tsqueries.match,
      limit,
      tsqueries.anyPhrase,
      tsqueries.anyPhraseText,
      HEADLINE_OPTIONS,
      SNIPPET_ELLIPSIS,
      SNIPPET_MATCH_START,
      SNIPPET_MATCH_END,
    ];
    const rows = await inTransaction(this.pool, async (client) => {
      await client.query('SET LOCAL enable_seqscan = off');
      // $9: the session, or the id below the recent window; $10: where in a column the snippet is.
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
        return (await client.query<SearchHitRow>(sql, [...values, scope, tsqueries.firstWords])).rows;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== undefined && QUERY_FAULTS.has(code)) {
          throw new InvalidQueryError(`search query refused: ${(error as Error).message}`, 'text');
        }
        throw error;
      }
    });
    return rows.map(searchHitOf);
  }
}
