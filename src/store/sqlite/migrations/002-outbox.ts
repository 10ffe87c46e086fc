import type { Migration } from './migration.js';

/**
 * The forwarding outbox (`SqliteOutbox`): OTLP requests queued per upstream
 * in the same file as the spans, so storing and queueing commit together.
 * Refused requests move to `outbox_dead` with the upstream's answer.
 */
export const migration002: Migration = {
  version: 2,
  name: 'outbox',
  sql: `
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  upstream TEXT NOT NULL,
  payload BLOB NOT NULL,
  span_count INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox (upstream, next_attempt_at);

CREATE TABLE outbox_dead (
  id INTEGER PRIMARY KEY,
  upstream TEXT NOT NULL,
  payload BLOB NOT NULL,
  span_count INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  failed_at INTEGER NOT NULL,
  status INTEGER,
  response TEXT NOT NULL
) STRICT;
`,
};
