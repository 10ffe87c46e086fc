import type { Migration } from './migration.js';

/**
 * Steps in the change feed cost a few bytes each instead of a row each (issue
 * 15: ~2 rows per span, with their `changes_session` entries, were a good part
 * of the WAL written per span). A `steps` row lists one session's step events
 * of one write transaction, ids `first_seq..seq`, in `steps` (span rowids and
 * checks, see change-steps.ts); ids stay one per event, so a resume between
 * two events of a row reads on from the right one. Rows written before this
 * version (one per step event, `span.completed` for two) are still read; no
 * backfill is needed. `first_seq` also keeps a trim from cutting a row.
 */
export const migration009: Migration = {
  version: 9,
  name: 'compact-change-feed',
  sql: `
ALTER TABLE changes ADD COLUMN first_seq INTEGER;
ALTER TABLE changes ADD COLUMN steps BLOB;
`,
};
