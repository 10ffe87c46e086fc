import type { Migration } from './migration.js';

/**
 * Fewer bytes per span (issue 15; bench/stored-size.ts shows where they go).
 * Rows written from this version on:
 *
 * - keep their input/output/reasoning text once: the pieces the text columns
 *   hold are cut out of `attributes` and referenced from `raw`
 *   (span-texts.ts);
 * - store their attribute keys once per key set: `spans.attribute_keys` is
 *   the `signal_strings` id of the keys, in order, as a JSON array (as log
 *   records do, migration 007), and `attributes` holds only the values, as a
 *   codec JSON array (span-row.ts). NULL: `attributes` is the whole JSON
 *   object (every row written before, and a span with an attribute SQL reads
 *   by name).
 *
 * Rows written before keep their attributes whole and read back as before:
 * nothing is rewritten here. A file of this version is refused by an older
 * Skein, which would read the new rows' attributes wrongly.
 */
export const migration010: Migration = {
  version: 10,
  name: 'compact-spans',
  sql: `
ALTER TABLE spans ADD COLUMN attribute_keys INTEGER;
`,
};
