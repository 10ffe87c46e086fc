/**
 * The sessions list breaks ties by session id in byte order (the SQLite
 * store's BINARY collation), whatever the database's collation. The list's
 * indexes are rebuilt with `session_id COLLATE "C"`, and the list, its
 * cursor and retention compare `session_id COLLATE "C"` (session-queries.ts,
 * session-deleter.ts, retention-preview.ts), so each sort still seeks and
 * reads its index in order.
 *
 * The column keeps the database's collation: its primary key serves the
 * joins and equalities of every other table's session ids (spans, traces,
 * log records, ...), which an index of another collation would not.
 */

import type { PgMigration } from './index.js';

/** The sort columns of the sessions list, each with its index (span-schema.ts). */
const SORTS: ReadonlyArray<[index: string, column: string]> = [
  ['sessions_activity', 'last_activity_ns'],
  ['sessions_start', 'first_start_ns'],
  ['sessions_cost', 'cost_usd'],
  ['sessions_tokens', 'total_tokens'],
  ['sessions_duration', 'duration_ns'],
];

export const migration003: PgMigration = {
  version: 3,
  name: 'key-collation',
  sql: SORTS.map(([index, column]) =>
    `DROP INDEX IF EXISTS ${index};\nCREATE INDEX ${index} ON sessions (${column}, session_id COLLATE "C");`).join('\n'),
};
