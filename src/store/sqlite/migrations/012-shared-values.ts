import type { Migration } from './migration.js';

/**
 * Long attribute values stored once (issue 15; span-values.ts): a string
 * attribute of at least 1,024 characters (Gemini CLI's system instructions
 * and tool definitions, repeated on every model call) goes to
 * `span_value_texts` once per database, found again by the SHA-256 of its
 * text in `span_values`; the span row keeps `null` at its place in
 * `attributes` and the ref in `raw` (`lv`: [attribute index, value id]).
 *
 * `span_values.refs` is the number of refs the stored rows hold. The writer
 * counts what it writes and what a rewrite drops (in JS: triggers on insert
 * or update made every span upsert open a statement journal, ~40% more CPU
 * per span); the trigger below counts a deleted row's, and deletes a value
 * no row refers to any more, in the deleting transaction. The texts are a
 * table of their own: updating a count in a row holding a 12 KB text
 * rewrote its overflow pages (12.5 KB of WAL per commit against 4.1).
 *
 * Rows written before keep their values inline (no `lv`) and read back as
 * before: nothing is rewritten here. A file of this version is refused by an
 * older Skein, which would read the shared values as nulls.
 */
export const migration012: Migration = {
  version: 12,
  name: 'shared-values',
  sql: `
CREATE TABLE span_values (
  id INTEGER PRIMARY KEY,
  hash BLOB NOT NULL UNIQUE,
  refs INTEGER NOT NULL
) STRICT;

CREATE TABLE span_value_texts (
  id INTEGER PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TRIGGER spans_shared_values_delete AFTER DELETE ON spans WHEN instr(old.raw, '"lv":') > 0 BEGIN
  UPDATE span_values SET refs = refs - (SELECT count(*) FROM json_each(old.raw, '$.lv') j
      WHERE json_extract(j.value, '$[1]') = span_values.id)
    WHERE id IN (SELECT json_extract(value, '$[1]') FROM json_each(old.raw, '$.lv'));
  DELETE FROM span_value_texts WHERE id IN (SELECT v.id FROM span_values v WHERE v.refs <= 0
    AND v.id IN (SELECT json_extract(value, '$[1]') FROM json_each(old.raw, '$.lv')));
  DELETE FROM span_values WHERE refs <= 0
    AND id IN (SELECT json_extract(value, '$[1]') FROM json_each(old.raw, '$.lv'));
END;
`,
};
