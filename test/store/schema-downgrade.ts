/**
 * Turns a database written by this code into what an older Skein wrote, by
 * undoing migrations newest first, so upgrade tests start from a real older
 * file with data in it.
 */
import type Database from 'better-sqlite3';

const UNDO: Record<number, string> = {
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
