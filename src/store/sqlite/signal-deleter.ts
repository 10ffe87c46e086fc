/**
 * Deleting log records and metric points: a session's (with the session),
 * and every one older than the retention age, whatever its session (records
 * tied to no session have no other way out).
 */

import type Database from 'better-sqlite3';

/** Rows deleted per transaction when purging by age, so a large purge does not hold the write lock for long. */
const DELETE_BATCH_ROWS = 5000;

export interface SignalCounts {
  logRecords: number;
  metricPoints: number;
}

export class SignalDeleter {
  private readonly deleteSessionLogs: Database.Statement;
  private readonly deleteSessionPoints: Database.Statement;
  private readonly deleteOldLogs: Database.Statement;
  private readonly deleteOldPoints: Database.Statement;
  private readonly countSessionLogs: Database.Statement;
  private readonly countSessionPoints: Database.Statement;
  private readonly countOldLogs: Database.Statement;
  private readonly countOldPoints: Database.Statement;

  constructor(private readonly db: Database.Database) {
    const sessionRef = '(SELECT id FROM signal_strings WHERE text = @sessionId)';
    this.deleteSessionLogs = db.prepare(`DELETE FROM log_records WHERE session_ref = ${sessionRef}`);
    this.deleteSessionPoints = db.prepare(`DELETE FROM metric_points WHERE session_ref = ${sessionRef}`);
    this.deleteOldLogs = db.prepare(`DELETE FROM log_records WHERE id IN
      (SELECT id FROM log_records WHERE at_ns < @cutoff ORDER BY at_ns LIMIT ${DELETE_BATCH_ROWS})`);
    this.deleteOldPoints = db.prepare(`DELETE FROM metric_points WHERE id IN
      (SELECT id FROM metric_points WHERE time_ns < @cutoff ORDER BY time_ns LIMIT ${DELETE_BATCH_ROWS})`);
    // Previews: a session's rows not already counted as old.
    this.countSessionLogs = db
      .prepare(`SELECT COUNT(*) FROM log_records WHERE session_ref = ${sessionRef} AND at_ns >= @cutoff`)
      .pluck();
    this.countSessionPoints = db
      .prepare(`SELECT COUNT(*) FROM metric_points WHERE session_ref = ${sessionRef} AND time_ns >= @cutoff`)
      .pluck();
    this.countOldLogs = db.prepare('SELECT COUNT(*) FROM log_records WHERE at_ns < @cutoff').pluck();
    this.countOldPoints = db.prepare('SELECT COUNT(*) FROM metric_points WHERE time_ns < @cutoff').pluck();
  }

  /** Inside the caller's transaction: the session's records and points. */
  deleteSession(sessionId: string): SignalCounts {
    return {
      logRecords: this.deleteSessionLogs.run({ sessionId }).changes,
      metricPoints: this.deleteSessionPoints.run({ sessionId }).changes,
    };
  }

  /** Records and points older than `cutoff` (nanoseconds), in transactions of a few thousand rows. */
  deleteOlderThan(cutoff: bigint): SignalCounts {
    const counts: SignalCounts = { logRecords: 0, metricPoints: 0 };
    const batch = this.db.transaction((statement: Database.Statement) => statement.run({ cutoff }).changes);
    let n: number;
    do {
      n = batch.immediate(this.deleteOldLogs);
      counts.logRecords += n;
    } while (n === DELETE_BATCH_ROWS);
    do {
      n = batch.immediate(this.deleteOldPoints);
      counts.metricPoints += n;
    } while (n === DELETE_BATCH_ROWS);
    return counts;
  }

  /** What `deleteSession` for each of `sessionIds` and `deleteOlderThan(cutoff)` would delete together. */
  preview(sessionIds: readonly string[], cutoff: bigint): SignalCounts {
    const counts: SignalCounts = {
      logRecords: Number(this.countOldLogs.get({ cutoff })),
      metricPoints: Number(this.countOldPoints.get({ cutoff })),
    };
    for (const sessionId of sessionIds) {
      counts.logRecords += Number(this.countSessionLogs.get({ sessionId, cutoff }));
      counts.metricPoints += Number(this.countSessionPoints.get({ sessionId, cutoff }));
    }
    return counts;
  }
}
