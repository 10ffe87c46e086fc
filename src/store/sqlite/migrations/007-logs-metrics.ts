import type { Migration } from './migration.js';

/**
 * Log records and metric points (issue 16). Some agents send more log
 * records than spans (Claude Code sends no spans by default), so the rows are
 * lean:
 *
 * - `signal_strings` interns the short texts that repeat on every row (session
 *   ids, event names, severity texts): a row holds an integer instead.
 * - Resource and scope bodies are interned in `resources` (migration 001), as
 *   spans' are: every record of one SDK batch points at the same two rows.
 * - `log_records`: times as exact INTEGER nanoseconds. `at_ns` is the time the
 *   record is ordered by (its time, or its observed time when the time is 0);
 *   `time_ns` is NULL when it equals `at_ns` (almost always: no bytes) and 0
 *   when the sender gave no time. Trace and span ids are BLOBs (16 and 8
 *   bytes, not 32 and 16 of hex). The body is codec JSON
 *   (model/attributes-codec.ts: bigints, bytes and non-finite doubles kept);
 *   a NULL body is an absent one. Attributes are split: their keys, in order,
 *   as a JSON array interned in `signal_strings` (`attribute_keys_ref`: the
 *   events of one agent repeat a few key sets), and their values as a codec
 *   JSON array in `attributes` (NULL when there are none), which saves the
 *   key text on every row (~150 B of a Claude Code event's ~1 KB).
 *   `inherited` is 1 when the session came from the record's trace, not its
 *   own key: those records follow the trace (a record that arrived before its
 *   trace's spans takes the trace's session when they are written; a late
 *   session key moving the trace moves them too).
 * - `metric_streams`: one row per distinct metric header (name, description,
 *   unit, type, temporality, monotonic, metadata); points reference it.
 * - `metric_points`: `value` is ANY so an integer point stays an exact INTEGER
 *   and a double a REAL; `count` INTEGER; buckets or quantiles as codec JSON
 *   in `detail`. SQLite stores a NaN REAL as NULL, so `value`, `sum`, `min`
 *   and `max` (ANY) hold a NaN as the text 'NaN' (points flagged "no recorded
 *   value" often carry one).
 *
 * Ids are AUTOINCREMENT: never reused once a record is deleted, so ids stay
 * increasing in commit order and a `log` change row (or a client holding an
 * id) never names a newer record than the one it meant.
 *
 * Three indexes per table, for the reads: by session in time order, by
 * trace/span (a step's events) or by metric, and by time alone (unfiltered
 * pages and retention by age).
 *
 * `changes.log_id`: a `log` change-feed row names its record; the event is
 * built from the record's row at read time, like step rows (migration 003).
 */
export const migration007: Migration = {
  version: 7,
  name: 'logs-metrics',
  sql: `
CREATE TABLE signal_strings (
  id INTEGER PRIMARY KEY,
  text TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE log_records (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_ref INTEGER,
  at_ns INTEGER NOT NULL,
  time_ns INTEGER,
  observed_ns INTEGER NOT NULL,
  severity INTEGER NOT NULL,
  severity_text_ref INTEGER,
  event_name_ref INTEGER,
  trace_id BLOB,
  span_id BLOB,
  flags INTEGER NOT NULL,
  dropped_attributes INTEGER NOT NULL,
  resource_id INTEGER NOT NULL,
  scope_id INTEGER NOT NULL,
  body TEXT,
  attribute_keys_ref INTEGER,
  attributes TEXT,
  inherited INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX log_records_session_at ON log_records (session_ref, at_ns) WHERE session_ref IS NOT NULL;
CREATE INDEX log_records_trace ON log_records (trace_id, span_id) WHERE trace_id IS NOT NULL;
CREATE INDEX log_records_at ON log_records (at_ns);

CREATE TABLE metric_streams (
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  body TEXT NOT NULL
) STRICT;
CREATE INDEX metric_streams_name ON metric_streams (name);

CREATE TABLE metric_points (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id INTEGER NOT NULL,
  session_ref INTEGER,
  start_ns INTEGER NOT NULL,
  time_ns INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  value ANY,
  count INTEGER,
  sum ANY,
  min ANY,
  max ANY,
  detail TEXT,
  resource_id INTEGER NOT NULL,
  scope_id INTEGER NOT NULL,
  attributes TEXT NOT NULL
) STRICT;
CREATE INDEX metric_points_stream_time ON metric_points (stream_id, time_ns);
CREATE INDEX metric_points_session_time ON metric_points (session_ref, time_ns) WHERE session_ref IS NOT NULL;
CREATE INDEX metric_points_time ON metric_points (time_ns);

ALTER TABLE changes ADD COLUMN log_id INTEGER;
`,
};
