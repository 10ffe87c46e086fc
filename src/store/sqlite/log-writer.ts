/**
 * Writes log records into `log_records`, joining the caller's transaction.
 * Each record is resolved to a session: its own key, else the session of its
 * trace when the store knows the trace, else none. Records usually arrive
 * before their span (a span is exported when it ends, its events while it
 * runs): when the span writer sets a trace's session it calls `adoptTrace`,
 * and the trace's records without a key of their own follow it. A record
 * that gets a session appends a `log` event to the change feed.
 */

import type Database from 'better-sqlite3';
import type { RawLogRecord } from '../../model/log-types.js';
import type { ChangeLog } from './change-log.js';
import { LOG_INSERT_SQL, attributeKeysText, idBlob, logRowValues } from './log-row.js';
import type { SignalInterner } from './signal-interner.js';
import { logSessionKey } from '../../model/signal-sessions.js';

export class LogWriter {
  private readonly insert: Database.Statement;
  private readonly selectTraceSession: Database.Statement;
  private readonly adopt: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly interner: SignalInterner,
    private readonly changes: ChangeLog,
  ) {
    this.insert = db.prepare(LOG_INSERT_SQL);
    this.selectTraceSession = db.prepare('SELECT session_id FROM traces WHERE trace_id = ?').pluck();
    this.adopt = db
      .prepare(`UPDATE log_records SET session_ref = @sessionRef, inherited = 1
        WHERE trace_id = @traceId AND (session_ref IS NULL OR (inherited = 1 AND session_ref != @sessionRef))
        RETURNING id`)
      .pluck();
  }

  /**
   * Inside the span write's transaction: the trace's session is now
   * `sessionId`. Its records without a key of their own take it (those that
   * had none get a `log` event); returns how many changed.
   */
  adoptTrace(traceId: string, sessionId: string, atMillis: number): number {
    const blob = idBlob(traceId);
    if (blob === null) return 0;
    this.interner.reset();
    const sessionRef = this.interner.stringId(sessionId);
    const ids = this.adopt.all({ traceId: blob, sessionRef }) as number[];
    this.changes.logsWritten(ids.map((logId) => ({ sessionId, logId: Number(logId) })), atMillis);
    return ids.length;
  }

  /** Inside a transaction: returns the number of rows written. */
  write(records: readonly RawLogRecord[]): number {
    if (records.length === 0) return 0;
    const interner = this.interner;
    interner.reset();
    const traceSessions = new Map<string, string | null>();
    const feed: Array<{ sessionId: string; logId: number }> = [];
    const nowMillis = Date.now();
    const storedAtNanos = BigInt(nowMillis) * 1_000_000n;
    for (const record of records) {
      let sessionId = logSessionKey(record);
      const inherited = sessionId === null;
      if (inherited && record.traceId !== null) {
        const cached = traceSessions.get(record.traceId);
        if (cached !== undefined) sessionId = cached;
        else {
          sessionId = (this.selectTraceSession.get(record.traceId) as string | undefined) ?? null;
          traceSessions.set(record.traceId, sessionId);
        }
      }
      const result = this.insert.run(
        logRowValues(record, {
          sessionRef: interner.stringId(sessionId),
          inherited,
          severityTextRef: interner.stringId(record.severityText),
          eventNameRef: interner.stringId(record.eventName),
          attributeKeysRef: interner.stringId(attributeKeysText(record.attributes)),
          resourceId: interner.resourceId(record.resource),
          scopeId: interner.resourceId(record.scope),
        }, storedAtNanos),
      );
      if (sessionId !== null) feed.push({ sessionId, logId: Number(result.lastInsertRowid) });
    }
    this.changes.logsWritten(feed, nowMillis);
    return records.length;
  }
}
