import type { Migration } from './migration.js';

/**
 * The first schema.
 *
 * - `spans`: one row per (trace_id, span_id). Normalized columns serve the
 *   queries; `attributes` and `raw` (codec JSON) keep the rest losslessly;
 *   resource and scope are deduplicated into `resources`. The `c_*` columns
 *   are the span's rollup contribution (`spanContribution` in model/rollup.ts)
 *   so session rollups are a plain SUM and the rules live in one place.
 *   Times are INTEGER nanoseconds, read back exactly (safe integers, or
 *   decimal text where rows are read as arrays).
 *   Two indexes cover their query, so it never reads the wide rows (about
 *   1.5 KB with attributes): `spans_session_start` holds every column of a
 *   timeline step in start order, and `spans_llm_start` (model calls only)
 *   every column `stats` reads, in start order.
 * - `traces`: the session a trace's spans inherit, and whether it came from a
 *   session key (explicit) or is the trace's own implicit session.
 * - `sessions`, `session_models`: rollups, updated in the transaction that
 *   writes the spans (`max_end_ns` and `aggregate_usage_count` are there so
 *   deltas can be applied without rescanning the session).
 * - `writers`: live store instances, so a restart can tell a dead writer's
 *   open steps (interrupted) from a live process's (still running).
 * - `spans_fts`: FTS5 over name and content (external content: the text is
 *   kept once, in `spans`). Deletes are synced by a trigger, so no delete can
 *   leave stale matches. Inserts and text changes are synced by the writer
 *   (`SpanWriter`), not by triggers: FTS5 flushes its pending terms to disk at
 *   every statement savepoint, and a trigger runs in one per row, which made
 *   every span write its own index segment (writes ~2× slower). The
 *   writer compares the text first: a rewrite with the same text (a duplicate
 *   delivery, a late open record) would otherwise tokenize it twice for
 *   nothing.
 */
export const migration001: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE resources (
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL
) STRICT;

CREATE TABLE spans (
  id INTEGER PRIMARY KEY,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  parent_span_id TEXT,
  session_id TEXT,
  resolved_session_id TEXT NOT NULL,
  name TEXT NOT NULL,
  step_type TEXT NOT NULL,
  operation_name TEXT,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER,
  status_code INTEGER NOT NULL,
  status_message TEXT NOT NULL,
  is_error INTEGER NOT NULL,
  provider TEXT,
  request_model TEXT,
  response_model TEXT,
  model TEXT,
  agent_name TEXT,
  agent_id TEXT,
  user_id TEXT,
  tool_name TEXT,
  tool_call_id TEXT,
  usage_input INTEGER,
  usage_output INTEGER,
  usage_reasoning INTEGER,
  usage_cache_read INTEGER,
  usage_cache_write INTEGER,
  usage_total INTEGER,
  cost_usd REAL,
  cost_source TEXT,
  unpriced INTEGER NOT NULL,
  input_text TEXT,
  input_length INTEGER,
  input_truncated INTEGER,
  output_text TEXT,
  output_length INTEGER,
  output_truncated INTEGER,
  reasoning_text TEXT,
  reasoning_length INTEGER,
  reasoning_truncated INTEGER,
  counts TEXT,
  c_llm INTEGER NOT NULL,
  c_tool INTEGER NOT NULL,
  c_input INTEGER NOT NULL,
  c_output INTEGER NOT NULL,
  c_reasoning INTEGER NOT NULL,
  c_cache_read INTEGER NOT NULL,
  c_cache_write INTEGER NOT NULL,
  c_total INTEGER NOT NULL,
  c_supplied_usd REAL NOT NULL,
  c_computed_usd REAL NOT NULL,
  c_unpriced INTEGER NOT NULL,
  c_aggregate_usage INTEGER NOT NULL,
  interrupted INTEGER NOT NULL DEFAULT 0,
  writer_id TEXT,
  resource_id INTEGER NOT NULL,
  scope_id INTEGER NOT NULL,
  attributes TEXT NOT NULL,
  raw TEXT NOT NULL,
  UNIQUE (trace_id, span_id)
) STRICT;

CREATE INDEX spans_session_start ON spans (resolved_session_id, start_ns, id, trace_id, span_id, parent_span_id, name,
  step_type, end_ns, is_error, interrupted, model, tool_name, usage_input, usage_output, usage_reasoning,
  usage_cache_read, usage_cache_write, cost_usd);
CREATE INDEX spans_llm_start ON spans (start_ns, model, provider, agent_name, resolved_session_id, end_ns, is_error,
  c_input, c_output, c_reasoning, c_cache_read, c_cache_write, c_supplied_usd, c_computed_usd) WHERE c_llm = 1;
CREATE INDEX spans_start ON spans (start_ns);
CREATE INDEX spans_session_errors ON spans (resolved_session_id) WHERE is_error = 1;
CREATE INDEX spans_open_writer ON spans (writer_id) WHERE end_ns IS NULL;

CREATE TABLE traces (
  trace_id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  explicit INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX traces_session ON traces (session_id);

CREATE TABLE sessions (
  session_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  first_start_ns INTEGER NOT NULL,
  last_end_ns INTEGER,
  max_end_ns INTEGER,
  last_activity_ns INTEGER NOT NULL,
  duration_ns INTEGER NOT NULL,
  span_count INTEGER NOT NULL,
  llm_call_count INTEGER NOT NULL,
  tool_call_count INTEGER NOT NULL,
  error_count INTEGER NOT NULL,
  open_count INTEGER NOT NULL,
  interrupted_count INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  total_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  supplied_cost_usd REAL NOT NULL,
  computed_cost_usd REAL NOT NULL,
  unpriced_call_count INTEGER NOT NULL,
  agent_name TEXT,
  user_id TEXT,
  aggregate_usage_count INTEGER NOT NULL,
  usage_mismatch INTEGER NOT NULL,
  trace_ids TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_activity ON sessions (last_activity_ns, session_id);
CREATE INDEX sessions_start ON sessions (first_start_ns, session_id);

CREATE TABLE session_models (
  session_id TEXT NOT NULL,
  model TEXT NOT NULL,
  calls INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  PRIMARY KEY (session_id, model)
) STRICT, WITHOUT ROWID;
CREATE INDEX session_models_model ON session_models (model);

CREATE TABLE writers (
  writer_id TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  hostname TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL
) STRICT;

CREATE VIRTUAL TABLE spans_fts USING fts5(
  name, input_text, output_text, reasoning_text,
  content='spans', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);

CREATE TRIGGER spans_fts_delete AFTER DELETE ON spans BEGIN
  INSERT INTO spans_fts (spans_fts, rowid, name, input_text, output_text, reasoning_text)
  VALUES ('delete', old.id, old.name, old.input_text, old.output_text, old.reasoning_text);
END;
`,
};
