import type { Migration } from './migration.js';

/**
 * `sessions.models`: the session's model names, most calls first (then by
 * name), as a JSON array, kept by the rollup in the same statement that
 * writes the session row. A page of the sessions list read them from
 * `session_models` with a second query, which cost as much as the page
 * itself (bench/queries.ts); `session_models` stays for the per-model
 * breakdown and the `model` filter.
 */
export const migration005: Migration = {
  version: 5,
  name: 'session-models',
  sql: `
ALTER TABLE sessions ADD COLUMN models TEXT NOT NULL DEFAULT '[]';
UPDATE sessions SET models = (
  SELECT json_group_array(m.model ORDER BY m.calls DESC, m.model) FROM session_models m
  WHERE m.session_id = sessions.session_id
);
`,
};
