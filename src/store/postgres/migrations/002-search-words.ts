/**
 * Full-text words as the SQLite store splits and folds them (search-words.ts).
 * Migration 001 made `spans.fts` a generated column of the text as
 * PostgreSQL's parser splits it; from here the writer gives the folded
 * text (span-writer.ts). Every stored row's vector is rebuilt by one UPDATE
 * through the same fold in SQL, with the column's index dropped meanwhile
 * (made again after, in one pass, rather than updated row by row).
 */

import { SEARCH_WORDS_FUNCTION } from '../search-words.js';
import type { PgMigration } from './index.js';

const words = (column: string, weight: string) =>
  `setweight(to_tsvector('simple', pg_temp.skein_search_words(${column})), '${weight}')`;

/** The `fts` value of a row: the writer's expression (span-writer.ts), its texts folded in SQL. */
export const migration002: PgMigration = {
  version: 2,
  name: 'search-words',
  sql: `${SEARCH_WORDS_FUNCTION}
ALTER TABLE spans DROP COLUMN fts;
ALTER TABLE spans ADD COLUMN fts tsvector;
UPDATE spans SET fts =
  ${words('name', 'A')} ||
  ${words("coalesce(input_text, '')", 'B')} ||
  ${words("coalesce(output_text, '')", 'C')} ||
  ${words("coalesce(reasoning_text, '')", 'D')};
CREATE INDEX spans_fts ON spans USING gin (fts);
DROP FUNCTION pg_temp.skein_search_words(text);
`,
};
