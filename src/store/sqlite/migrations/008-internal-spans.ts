import type { Migration } from './migration.js';

/**
 * An agent's plumbing spans (`SpanRecord.internal`, e.g. Codex CLI's Rust
 * `tracing` spans, issue 17) are kept but are neither steps nor sessions of
 * the default list:
 *
 * - `spans.internal`: 1 for such a span. It is added as the last column of
 *   the covering index `spans_session_start`, so the timeline leaves them out
 *   without reading the wide rows (the index is rebuilt once, here).
 * - `sessions.internal_count`: how many of the session's spans are internal,
 *   kept by the rollup like its other counts (a delta per batch). A session
 *   whose spans are all internal (`internal_count = span_count`) is left out
 *   of the default sessions list; the list reads both columns from the row
 *   it already reads, so the filter costs no extra lookup.
 *
 * Files written before this version hold no internal span: the defaults (0)
 * are right for every existing row.
 */
export const migration008: Migration = {
  version: 8,
  name: 'internal-spans',
  sql: `
ALTER TABLE spans ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN internal_count INTEGER NOT NULL DEFAULT 0;
DROP INDEX spans_session_start;
CREATE INDEX spans_session_start ON spans (resolved_session_id, start_ns, id, trace_id, span_id, parent_span_id, name,
  step_type, end_ns, is_error, interrupted, model, tool_name, usage_input, usage_output, usage_reasoning,
  usage_cache_read, usage_cache_write, cost_usd, internal);
`,
};
