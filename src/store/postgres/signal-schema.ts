/**
 * Log records and metric points in PostgreSQL: SQLite's migration 007 with
 * PostgreSQL types, and without its interning. A row holds its texts, its
 * resource and scope bodies and its metric header itself (codec JSON text):
 * no lookup table to insert into, race on, or join; the repeats cost bytes.
 *
 * - Times are int8 nanoseconds; an OTLP uint64 past 2^63 - 1 is kept as the
 *   int8 with the same 64 bits (store/sqlite/uint64-column.ts) and read back
 *   exactly. `at_ns` is what a record is ordered and aged by: its time, else
 *   its observed time, else when it was stored.
 * - Bodies, attributes, resources, scopes, metric headers and histogram
 *   details are codec JSON text (model/attributes-codec.ts: bigints, bytes,
 *   non-finite doubles and key order kept; jsonb would reorder keys). A NULL
 *   body is an absent one; '' severity texts and event names are NULL.
 * - Text columns cannot hold U+0000: a severity text, event name, metric
 *   name or session key with one is stored with U+FFFD in its place (the
 *   spans' `pgText`, so a key maps to the session its spans map it to), and
 *   the texts a read returns exactly in `exact` (JSON: field to text; NULL
 *   when none, nearly always).
 * - `inherited`: the session came from the record's trace, not its own key;
 *   such records follow the trace (`PgSignals.adoptTraces`).
 * - Metric values: an integer point in `value_int`, a double in
 *   `value_double`; float8 keeps NaN, infinities and -0 itself.
 *
 * Ids are bigserial: never reused once a record is deleted.
 */

export const SIGNAL_SCHEMA = `
CREATE TABLE log_records (
  id bigserial PRIMARY KEY,
  session_id text,
  inherited boolean NOT NULL,
  at_ns bigint NOT NULL,
  time_ns bigint NOT NULL,
  observed_ns bigint NOT NULL,
  severity integer NOT NULL,
  severity_text text,
  event_name text,
  trace_id text,
  span_id text,
  flags bigint NOT NULL,
  dropped_attributes bigint NOT NULL,
  body text,
  attributes text NOT NULL,
  resource text NOT NULL,
  scope text NOT NULL,
  exact text
);
CREATE INDEX log_records_session_at ON log_records (session_id, at_ns, id) WHERE session_id IS NOT NULL;
CREATE INDEX log_records_trace ON log_records (trace_id, span_id) WHERE trace_id IS NOT NULL;
CREATE INDEX log_records_at ON log_records (at_ns, id);

CREATE TABLE metric_points (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  header text NOT NULL,
  session_id text,
  start_ns bigint NOT NULL,
  time_ns bigint NOT NULL,
  flags bigint NOT NULL,
  value_int bigint,
  value_double double precision,
  count bigint,
  sum double precision,
  min double precision,
  max double precision,
  detail text,
  attributes text NOT NULL,
  resource text NOT NULL,
  scope text NOT NULL,
  exact text
);
CREATE INDEX metric_points_name_time ON metric_points (name, time_ns, id);
CREATE INDEX metric_points_session_time ON metric_points (session_id, time_ns, id) WHERE session_id IS NOT NULL;
CREATE INDEX metric_points_time ON metric_points (time_ns, id);
`;
