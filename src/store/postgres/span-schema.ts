/**
 * Spans, traces, sessions and their per-model rollups in PostgreSQL: the
 * SQLite layout (store/sqlite/migrations) with PostgreSQL types. Times are
 * exact int8 nanoseconds; attributes and the raw span are JSON text (jsonb
 * would reorder keys, and a span must read back exactly as it was written).
 */

export const SPAN_SCHEMA = `
-- Resource and scope bodies (codec JSON), stored once by their hash (sha256, base64).
CREATE TABLE resources (
  id bigserial PRIMARY KEY,
  hash text NOT NULL UNIQUE,
  body text NOT NULL
);

CREATE TABLE spans (
  id bigserial PRIMARY KEY,
  trace_id text NOT NULL,
  span_id text NOT NULL,
  parent_span_id text,
  session_id text,
  resolved_session_id text NOT NULL,
  name text NOT NULL,
  step_type text NOT NULL,
  operation_name text,
  start_ns bigint NOT NULL,
  end_ns bigint,
  status_code smallint NOT NULL,
  status_message text NOT NULL,
  is_error boolean NOT NULL,
  provider text,
  request_model text,
  response_model text,
  model text,
  agent_name text,
  agent_id text,
  user_id text,
  tool_name text,
  tool_call_id text,
  usage_input bigint,
  usage_output bigint,
  usage_reasoning bigint,
  usage_cache_read bigint,
  usage_cache_write bigint,
  usage_total bigint,
  cost_usd double precision,
  cost_source text,
  unpriced boolean NOT NULL,
  input_text text,
  input_length integer,
  input_truncated boolean,
  output_text text,
  output_length integer,
  output_truncated boolean,
  reasoning_text text,
  reasoning_length integer,
  reasoning_truncated boolean,
  counts text,
  truncated_lengths text,
  c_llm smallint NOT NULL,
  c_tool smallint NOT NULL,
  c_input bigint NOT NULL,
  c_output bigint NOT NULL,
  c_reasoning bigint NOT NULL,
  c_cache_read bigint NOT NULL,
  c_cache_write bigint NOT NULL,
  c_total bigint NOT NULL,
  c_supplied_usd double precision NOT NULL,
  c_computed_usd double precision NOT NULL,
  c_unpriced smallint NOT NULL,
  c_aggregate_usage smallint NOT NULL,
  internal boolean NOT NULL DEFAULT false,
  interrupted boolean NOT NULL DEFAULT false,
  writer_id text,
  resource_id bigint NOT NULL REFERENCES resources (id),
  scope_id bigint NOT NULL REFERENCES resources (id),
  -- Codec JSON (model/attributes-codec.ts): the span's attributes; the rest of the raw span (span-row.ts).
  attributes text NOT NULL,
  raw text NOT NULL,
  -- Migration 002 makes it a plain column the writer fills: the words as the SQLite store splits and folds them (search-words.ts).
  fts tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', name), 'A') ||
    setweight(to_tsvector('simple', coalesce(input_text, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(output_text, '')), 'C') ||
    setweight(to_tsvector('simple', coalesce(reasoning_text, '')), 'D')
  ) STORED,
  UNIQUE (trace_id, span_id)
);
-- The timeline and titles read a session's spans by (start, id); titles look for the first root, Vercel AI SDK
-- ('ai.*') or prompted turn span through the partial indexes.
CREATE INDEX spans_session_start ON spans (resolved_session_id, start_ns, id);
CREATE INDEX spans_session_roots ON spans (resolved_session_id, start_ns, id) WHERE parent_span_id IS NULL;
CREATE INDEX spans_session_ai ON spans (resolved_session_id, start_ns, id) WHERE name LIKE 'ai.%';
CREATE INDEX spans_session_turns ON spans (resolved_session_id, start_ns, id) WHERE step_type = 'turn' AND input_text <> '';
CREATE INDEX spans_start ON spans (start_ns);
CREATE INDEX spans_open_writer ON spans (writer_id) WHERE end_ns IS NULL;

CREATE TABLE traces (
  trace_id text PRIMARY KEY,
  session_id text NOT NULL,
  explicit boolean NOT NULL
);
CREATE INDEX traces_session ON traces (session_id);

CREATE TABLE sessions (
  session_id text PRIMARY KEY,
  status text NOT NULL,
  first_start_ns bigint NOT NULL,
  last_end_ns bigint,
  max_end_ns bigint,
  last_activity_ns bigint NOT NULL,
  duration_ns bigint NOT NULL,
  span_count bigint NOT NULL,
  llm_call_count bigint NOT NULL,
  tool_call_count bigint NOT NULL,
  error_count bigint NOT NULL,
  open_count bigint NOT NULL,
  interrupted_count bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  reasoning_tokens bigint NOT NULL,
  cache_read_tokens bigint NOT NULL,
  cache_write_tokens bigint NOT NULL,
  total_tokens bigint NOT NULL,
  cost_usd double precision NOT NULL,
  supplied_cost_usd double precision NOT NULL,
  computed_cost_usd double precision NOT NULL,
  unpriced_call_count bigint NOT NULL,
  aggregate_usage_count bigint NOT NULL,
  usage_mismatch boolean NOT NULL,
  internal_count bigint NOT NULL DEFAULT 0,
  agent_name text,
  user_id text,
  trace_ids text[] NOT NULL DEFAULT '{}',
  models text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_activity ON sessions (last_activity_ns, session_id);
CREATE INDEX sessions_start ON sessions (first_start_ns, session_id);
-- The other sorts of the sessions list (cost, tokens, duration): without them each page sorts every session.
CREATE INDEX sessions_cost ON sessions (cost_usd, session_id);
CREATE INDEX sessions_tokens ON sessions (total_tokens, session_id);
CREATE INDEX sessions_duration ON sessions (duration_ns, session_id);

CREATE TABLE session_models (
  session_id text NOT NULL,
  model text NOT NULL,
  calls bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  reasoning_tokens bigint NOT NULL,
  cache_read_tokens bigint NOT NULL,
  cache_write_tokens bigint NOT NULL,
  cost_usd double precision NOT NULL,
  PRIMARY KEY (session_id, model)
);
CREATE INDEX session_models_model ON session_models (model);

-- Live store instances (writer-registry.ts). Times are the database server's clock, which every replica shares;
-- pid_scope tells which writers a pid probe can judge (same boot and PID namespace), '' where unknown.
CREATE TABLE writers (
  writer_id text PRIMARY KEY,
  pid integer NOT NULL,
  hostname text NOT NULL,
  pid_scope text NOT NULL,
  started_at_ms bigint NOT NULL,
  last_seen_ms bigint NOT NULL
);

-- Budget crossings (budget-ledger.ts): one per session, scope, metric and level, whichever replica saw it first.
-- They go with their session (deleted, or emptied by a trace moving to its key).
CREATE TABLE budget_events (
  id bigserial PRIMARY KEY,
  session_id text NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
  scope text NOT NULL,
  key text NOT NULL,
  metric text NOT NULL,
  level text NOT NULL,
  limit_value double precision NOT NULL,
  used_value double precision NOT NULL,
  at_ms bigint NOT NULL,
  trace_id text,
  span_id text,
  UNIQUE (session_id, scope, metric, level)
);
`;
