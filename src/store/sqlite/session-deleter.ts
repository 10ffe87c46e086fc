/** Deleting sessions: one by one, and by age and count. */

import type Database from 'better-sqlite3';
import type { RetentionPolicy, RetentionPreview, RetentionResult } from '../../model/query.js';
import { checkRetentionPolicy } from '../common/retention-policy.js';
import { SessionNotFoundError } from '../errors.js';
import { SignalDeleter } from './signal-deleter.js';

/** Sessions deleted per transaction, so a large purge does not hold the write lock for long. */
const DELETE_BATCH_SESSIONS = 200;

export type { RetentionPreview };

export class SessionDeleter {
  private readonly deleteSpans: Database.Statement;
  private readonly deleteTraces: Database.Statement;
  private readonly deleteModels: Database.Statement;
  private readonly deleteSession: Database.Statement;
  private readonly deleteBudgetEvents: Database.Statement;
  private readonly olderThan: Database.Statement;
  private readonly beyondNewest: Database.Statement;
  private readonly plumbingUntil: Database.Statement;
  private readonly spanSizes: Database.Statement;
  private readonly deleteMany: Database.Transaction<(ids: readonly string[]) => RetentionResult>;
  private readonly signals: SignalDeleter;

  constructor(db: Database.Database) {
    this.signals = new SignalDeleter(db);
    // FTS rows go with the spans (triggers).
    this.deleteSpans = db.prepare('DELETE FROM spans WHERE resolved_session_id = @sessionId');
    this.deleteTraces = db.prepare('DELETE FROM traces WHERE session_id = @sessionId');
    this.deleteModels = db.prepare('DELETE FROM session_models WHERE session_id = @sessionId');
    this.deleteSession = db.prepare('DELETE FROM sessions WHERE session_id = @sessionId');
    this.deleteBudgetEvents = db.prepare('DELETE FROM budget_events WHERE session_id = @sessionId');
    this.olderThan = db.prepare('SELECT session_id FROM sessions WHERE last_activity_ns < @cutoff').pluck();
    // The count is of the sessions the default list shows (its filter, migration 008), newest first.
    this.beyondNewest = db
      .prepare(`SELECT session_id, last_activity_ns FROM sessions WHERE internal_count < span_count
        ORDER BY last_activity_ns DESC, session_id DESC LIMIT -1 OFFSET @keep`)
      .raw(true)
      .safeIntegers(true);
    // Sessions of an agent's plumbing only, done by a time.
    this.plumbingUntil = db
      .prepare('SELECT session_id FROM sessions WHERE internal_count >= span_count AND last_activity_ns <= @until')
      .pluck();
    this.spanSizes = db.prepare(`SELECT COUNT(*) AS spans,
        COALESCE(SUM(LENGTH(CAST(raw AS BLOB)) + LENGTH(CAST(attributes AS BLOB))
          + COALESCE(LENGTH(CAST(input_text AS BLOB)), 0) + COALESCE(LENGTH(CAST(output_text AS BLOB)), 0)
          + COALESCE(LENGTH(CAST(reasoning_text AS BLOB)), 0)), 0) AS bytes
      FROM spans WHERE resolved_session_id = @sessionId`);
    this.deleteMany = db.transaction((ids: readonly string[]) => {
      let sessionsDeleted = 0;
      let spansDeleted = 0;
      let logRecordsDeleted = 0;
      let metricPointsDeleted = 0;
      for (const sessionId of ids) {
        const p = { sessionId };
        const signals = this.signals.deleteSession(sessionId);
        logRecordsDeleted += signals.logRecords;
        metricPointsDeleted += signals.metricPoints;
        spansDeleted += this.deleteSpans.run(p).changes;
        this.deleteTraces.run(p);
        this.deleteModels.run(p);
        this.deleteBudgetEvents.run(p);
        sessionsDeleted += this.deleteSession.run(p).changes;
      }
      return { sessionsDeleted, spansDeleted, logRecordsDeleted, metricPointsDeleted };
    });
  }

  deleteSessionById(sessionId: string): void {
    const result = this.deleteMany.immediate([sessionId]);
    // A session known only from its log records or metric points (an agent that sends no spans) is one too.
    if (result.sessionsDeleted === 0 && result.logRecordsDeleted === 0 && result.metricPointsDeleted === 0) {
      throw new SessionNotFoundError(sessionId);
    }
  }

  previewRetention(policy: RetentionPolicy = {}): RetentionPreview {
    const { ids, cutoff } = this.selectForRetention(policy);
    const signals = this.signals.preview(ids, cutoff);
    const preview: RetentionPreview = {
      sessions: 0,
      spans: 0,
      approxBytes: 0,
      logRecords: signals.logRecords,
      metricPoints: signals.metricPoints,
    };
    for (const sessionId of ids) {
      const size = this.spanSizes.get({ sessionId }) as { spans: number; bytes: number };
      preview.sessions += 1;
      preview.spans += size.spans;
      preview.approxBytes += size.bytes;
    }
    return preview;
  }

  applyRetention(policy: RetentionPolicy = {}): RetentionResult {
    const { ids: all, cutoff } = this.selectForRetention(policy);
    const total: RetentionResult = { sessionsDeleted: 0, spansDeleted: 0, logRecordsDeleted: 0, metricPointsDeleted: 0 };
    for (let i = 0; i < all.length; i += DELETE_BATCH_SESSIONS) {
      const result = this.deleteMany.immediate(all.slice(i, i + DELETE_BATCH_SESSIONS));
      total.sessionsDeleted += result.sessionsDeleted;
      total.spansDeleted += result.spansDeleted;
      total.logRecordsDeleted += result.logRecordsDeleted;
      total.metricPointsDeleted += result.metricPointsDeleted;
    }
    const old = this.signals.deleteOlderThan(cutoff);
    total.logRecordsDeleted += old.logRecords;
    total.metricPointsDeleted += old.metricPoints;
    return total;
  }

  /**
   * The sessions a policy selects, and the age's cutoff in nanoseconds:
   * - idle past the age, any session;
   * - beyond the newest `maxSessions` of the sessions the default list shows;
   *   a session of an agent's plumbing only (Codex CLI's own traces, ~20 a
   *   run beside its one real session) is not counted, and goes with the
   *   sessions dropped: when last active no later than the newest of them.
   *   The plumbing of a kept session (even what started before its first
   *   step) stays; a dropped run's plumbing that outlasted its last step goes
   *   at the next count that drops a later session, or by age.
   */
  private selectForRetention(policy: RetentionPolicy): { ids: string[]; cutoff: bigint } {
    const { maxAgeMillis, maxSessions } = checkRetentionPolicy(policy);
    const cutoff = BigInt(Math.floor(Date.now() - maxAgeMillis)) * 1_000_000n;
    const ids = new Set<string>(this.olderThan.all({ cutoff }) as string[]);
    if (maxSessions !== undefined) {
      const dropped = this.beyondNewest.all({ keep: maxSessions }) as Array<[string, bigint]>;
      for (const [id] of dropped) ids.add(id);
      // Newest first: the first row is the newest dropped.
      if (dropped.length > 0) {
        for (const id of this.plumbingUntil.all({ until: dropped[0][1] }) as string[]) ids.add(id);
      }
    }
    return { ids: [...ids], cutoff };
  }
}
