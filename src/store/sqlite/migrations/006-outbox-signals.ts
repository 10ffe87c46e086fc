import type { Migration } from './migration.js';

/**
 * The outbox carries every signal (issue 16): each entry and dead letter
 * says which OTLP signal its payload is (`traces`, `logs`, `metrics`), so a
 * forwarder sends it to that signal's path or gRPC service. Entries queued
 * before were all traces. `span_count` keeps its name and now counts the
 * payload's items (spans, log records or metric data points).
 */
export const migration006: Migration = {
  version: 6,
  name: 'outbox-signals',
  sql: `
ALTER TABLE outbox ADD COLUMN signal TEXT NOT NULL DEFAULT 'traces';
ALTER TABLE outbox_dead ADD COLUMN signal TEXT NOT NULL DEFAULT 'traces';
`,
};
