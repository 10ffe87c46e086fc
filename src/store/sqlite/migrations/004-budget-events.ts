import type { Migration } from './migration.js';

/**
 * Budget crossings (model/budgets.ts), one row per session, scope, metric and
 * level. The unique key is what makes "recorded once per session" hold when
 * several processes write the same session: each evaluates inside its write
 * transaction, and a crossing another writer already committed is not
 * inserted (nor announced) again. `trace_id`/`span_id` name the span whose
 * write made the session cross, when the batch had one.
 */
export const migration004: Migration = {
  version: 4,
  name: 'budget-events',
  sql: `
CREATE TABLE budget_events (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  metric TEXT NOT NULL,
  level TEXT NOT NULL,
  limit_value REAL NOT NULL,
  used_value REAL NOT NULL,
  at_ms INTEGER NOT NULL,
  trace_id TEXT,
  span_id TEXT,
  UNIQUE (session_id, scope, metric, level)
) STRICT;
`,
};
