import type { Migration } from './migration.js';

/**
 * Cheaper span writes (issue 15), the same reads:
 *
 * - `spans_session_start` becomes (resolved_session_id, start_ns): the
 *   timeline reads its rows by id instead of from a 20-column copy of them in
 *   the index. The copy was ~1.2 KB of WAL and ~160 B on disk per span
 *   written (bench/store-writes.ts, 100-span batches); the timeline stays in
 *   start order from the index (the rowid is its last key: no sort), ~0.1 ms
 *   more for 100 steps at 1M spans (bench/queries.ts).
 * - `spans_fts` is made again with `columnsize=0`: nothing ranks matches
 *   (bm25), so the token counts per row that FTS5 kept in `spans_fts_docsize`
 *   were one more b-tree row per span written for nothing; snippet() counts a
 *   hit's tokens itself. The rows are indexed again from `spans` ('rebuild'):
 *   an existing file keeps every match (1M spans: ~17 s of CPU, once).
 *
 * Not taken: detail='column' or 'none' refuse phrase queries, which
 * plain-text search makes of every word with punctuation ("gpt-4o").
 */
export const migration011: Migration = {
  version: 11,
  name: 'lighter-span-indexes',
  sql: `
DROP INDEX spans_session_start;
CREATE INDEX spans_session_start ON spans (resolved_session_id, start_ns);

DROP TABLE spans_fts;
CREATE VIRTUAL TABLE spans_fts USING fts5(
  name, input_text, output_text, reasoning_text,
  content='spans', content_rowid='id', tokenize='unicode61 remove_diacritics 2', columnsize=0
);
INSERT INTO spans_fts (spans_fts) VALUES ('rebuild');
`,
};
