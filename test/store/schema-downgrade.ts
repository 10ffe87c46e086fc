/**
 * Turns a database written by this code into what an older Skein wrote, by
 * undoing migrations newest first, so upgrade tests start from a real older
 * file with data in it.
 */
import type Database from 'better-sqlite3';

const UNDO: Record<number, string> = {
  12: `DROP TRIGGER spans_shared_values_delete; DROP TABLE span_value_texts; DROP TABLE span_values;`,
  11: `DROP INDEX spans_session_start;
      CREATE INDEX spans_session_start ON spans (resolved_session_id, start_ns, id, trace_id, span_id, parent_span_id,
        name, step_type, end_ns, is_error, interrupted, model, tool_name, usage_input, usage_output, usage_reasoning,
        usage_cache_read, usage_cache_write, cost_usd, internal);
      DROP TABLE spans_fts;
      CREATE VIRTUAL TABLE spans_fts USING fts5(name, input_text, output_text, reasoning_text,
        content='spans', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
      INSERT INTO spans_fts (spans_fts) VALUES ('rebuild');`,
  10: 'ALTER TABLE spans DROP COLUMN attribute_keys;',
  9: `DELETE FROM changes WHERE kind = 'steps'; ALTER TABLE changes DROP COLUMN first_seq;
      ALTER TABLE changes DROP COLUMN steps;`,
  8: `DROP INDEX spans_session_start; ALTER TABLE spans DROP COLUMN internal;
      ALTER TABLE sessions DROP COLUMN internal_count;
      CREATE INDEX spans_session_start ON spans (resolved_session_id, start_ns, id, trace_id, span_id, parent_span_id,
        name, step_type, end_ns, is_error, interrupted, model, tool_name, usage_input, usage_output, usage_reasoning,
        usage_cache_read, usage_cache_write, cost_usd);`,
  7: `DROP TABLE log_records; DROP TABLE metric_points; DROP TABLE metric_streams; DROP TABLE signal_strings;
      DELETE FROM sqlite_sequence WHERE name IN ('log_records', 'metric_points');
      ALTER TABLE changes DROP COLUMN log_id;`,
  6: 'ALTER TABLE outbox DROP COLUMN signal; ALTER TABLE outbox_dead DROP COLUMN signal;',
  5: 'ALTER TABLE sessions DROP COLUMN models;',
};

export function downgradeTo(db: Database.Database, version: number): void {
  const from = Number(db.pragma('user_version', { simple: true }));
  for (let v = from; v > version; v--) {
    const sql = UNDO[v];
    if (sql === undefined) throw new Error(`no undo for schema version ${v}`);
    db.exec(sql);
  }
  db.pragma(`user_version = ${version}`);
}
