/**
 * The change feed in the `changes` table: what the live stream and `skein
 * tail` read. Writes collect events during a write transaction and append
 * them at its end, in that same transaction, so a reader never sees a change
 * without its event or an event without its change, whichever process wrote
 * it. Reads are keyed by `seq` (see migration 003).
 *
 * A step row references its span; the step is built when the feed is read,
 * from the span as stored then. A `span.started` shows the started view of it
 * (no end, no usage), so it reads the same whether or not the span has ended
 * since; a `span.ended` shows the span's current ended state, which differs
 * from the state at that event only if the span was rewritten after it ended
 * (a duplicate delivery with other values). A step whose span is gone
 * (retention, delete) is left out of the read.
 */

import type Database from 'better-sqlite3';
import type { BudgetEventRecord } from '../../model/budgets.js';
import { liveBudgetOf, liveSessionOf, liveStepOf, startedViewOf } from '../../model/live-event.js';
import type { ChangeEvent } from '../../model/live-event.js';
import type { StoredLogRecord } from '../../model/log-types.js';
import { logRecordJson } from '../../model/log-view.js';
import type { SpanRecord } from '../../model/types.js';
import type { ChangeFeedState, ReadChangesOptions } from '../change-feed.js';
import { SessionNotFoundError } from '../errors.js';
import type { SessionQueries } from './session-queries.js';
import { SPAN_ROW_SELECT, rowToStoredSpan } from './span-row.js';
import type { SpanRow } from './span-row.js';
import { orderSteps } from './step-order.js';

/** How many events the feed keeps, at most (older ones are trimmed as new ones are appended). */
export const DEFAULT_CHANGE_FEED_MAX_EVENTS = 100_000;
/** How long the feed keeps an event, at most. */
export const DEFAULT_CHANGE_FEED_MAX_AGE_MILLIS = 24 * 60 * 60 * 1000;

export interface ChangeFeedRetention {
  maxEvents?: number;
  maxAgeMillis?: number;
}

/** Stored kinds: the event kinds, plus one row standing for a step's start (seq - 1) and end (seq). */
type StoredKind = ChangeEvent['kind'] | 'span.completed';

interface PendingStep {
  kind: 'span.started' | 'span.ended';
  /** When the step started or ended: steps of one batch are appended in the order they happened. */
  atUnixNano: bigint;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  record: SpanRecord;
  sessionId: string;
}

interface ChangeRow {
  seq: number;
  kind: StoredKind;
  session_id: string;
  trace_id: string | null;
  span_id: string | null;
  at_ms: number;
  payload: string | null;
  log_id: number | null;
}

/** Reads one stored log record by id (undefined once it is gone), for `log` events. */
export type LogRecordReader = (id: number) => StoredLogRecord | undefined;

export class ChangeLog {
  private readonly insertChange: Database.Statement;
  private readonly selectAfter: Database.Statement;
  private readonly selectSessionAfter: Database.Statement;
  private readonly selectMaxSeq: Database.Statement;
  private readonly selectTrimmed: Database.Statement;
  private readonly selectFirstFresh: Database.Statement;
  private readonly selectKind: Database.Statement;
  private readonly deleteThrough: Database.Statement;
  private readonly updateTrimmed: Database.Statement;
  private readonly selectDataVersion: Database.Statement;
  private readonly selectSpan: Database.Statement;
  private readonly insertLogChange: Database.Statement;
  private readonly maxEvents: number;
  private readonly maxAgeMillis: number;
  private steps: PendingStep[] = [];
  private interruptions: Array<{ sessionId: string; steps: Array<{ traceId: string; spanId: string }> }> = [];
  private readonly sessions = new Set<string>();
  private budgets: BudgetEventRecord[] = [];

  constructor(
    db: Database.Database,
    private readonly sessionQueries: SessionQueries,
    retention: ChangeFeedRetention = {},
    private readonly readLog: LogRecordReader = () => undefined,
  ) {
    this.maxEvents = Math.max(1, Math.floor(retention.maxEvents ?? DEFAULT_CHANGE_FEED_MAX_EVENTS));
    this.maxAgeMillis = Math.max(0, retention.maxAgeMillis ?? DEFAULT_CHANGE_FEED_MAX_AGE_MILLIS);
    this.insertChange = db.prepare(`INSERT INTO changes (seq, kind, session_id, trace_id, span_id, at_ms, payload)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.insertLogChange = db.prepare(`INSERT INTO changes (seq, kind, session_id, at_ms, log_id) VALUES (?, 'log', ?, ?, ?)`);
    const columns = 'seq, kind, session_id, trace_id, span_id, at_ms, payload, log_id';
    this.selectSpan = db
      .prepare(`SELECT ${SPAN_ROW_SELECT} WHERE s.trace_id = @traceId AND s.span_id = @spanId`)
      .safeIntegers(true);
    this.selectAfter = db.prepare(`SELECT ${columns} FROM changes WHERE seq > @after ORDER BY seq LIMIT @limit`);
    this.selectSessionAfter = db.prepare(
      `SELECT ${columns} FROM changes WHERE session_id = @sessionId AND seq > @after ORDER BY seq LIMIT @limit`,
    );
    this.selectMaxSeq = db.prepare('SELECT max(seq) FROM changes').pluck();
    this.selectTrimmed = db.prepare('SELECT trimmed_through_seq FROM change_feed WHERE id = 0').pluck();
    // Scans from the oldest row and stops at the first fresh one: its cost is the number of rows it trims.
    this.selectFirstFresh = db
      .prepare('SELECT seq FROM changes WHERE at_ms >= @cutoffMillis ORDER BY seq LIMIT 1')
      .pluck();
    this.selectKind = db.prepare('SELECT kind FROM changes WHERE seq = @seq').pluck();
    this.deleteThrough = db.prepare('DELETE FROM changes WHERE seq <= @seq');
    this.updateTrimmed = db.prepare('UPDATE change_feed SET trimmed_through_seq = @seq WHERE id = 0');
    this.selectDataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  /**
   * A record is about to be written. `firstSeen`: the store had no row for the
   * span; `endedNow`: the record ends a span the store had open (or never saw).
   */
  stepWritten(record: SpanRecord, sessionId: string, firstSeen: boolean, endedNow: boolean): void {
    if (firstSeen) this.pushStep('span.started', record, sessionId, record.startTimeUnixNano);
    if (endedNow && record.endTimeUnixNano !== null) {
      this.pushStep('span.ended', record, sessionId, record.endTimeUnixNano);
    }
  }

  /** The session's rollup changed in this transaction: a `session.updated` is appended with its new state. */
  sessionTouched(sessionId: string): void {
    this.sessions.add(sessionId);
  }

  /** Open steps of the session were marked interrupted in this transaction. */
  stepsInterrupted(sessionId: string, steps: Array<{ traceId: string; spanId: string }>): void {
    this.interruptions.push({ sessionId, steps });
  }

  /** A budget crossing was recorded in this transaction: a `budget` event follows the session's update. */
  budgetCrossed(event: BudgetEventRecord): void {
    this.budgets.push(event);
  }

  /** Appends what was collected, then trims the feed. Call at the end of the write transaction. */
  flush(atMillis: number): void {
    const steps = orderSteps(this.steps);
    const interruptions = this.interruptions;
    this.steps = [];
    this.interruptions = [];
    // Inside the write transaction nobody else appends: the next ids are ours.
    let seq = this.state().latestSeq;
    const insert = (kind: StoredKind, sessionId: string, step: PendingStep | null, payload: string | null) => {
      seq += kind === 'span.completed' ? 2 : 1;
      this.insertChange.run(seq, kind, sessionId, step?.traceId ?? null, step?.spanId ?? null, atMillis, payload);
    };
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      const next = steps[i + 1] as PendingStep | undefined;
      if (step.kind === 'span.started' && next?.kind === 'span.ended' && next.record === step.record) {
        // Nothing happened between its start and its end: one row stands for both.
        insert('span.completed', step.sessionId, step, null);
        i++;
      } else {
        insert(step.kind, step.sessionId, step, null);
      }
    }
    for (const { sessionId, steps: interrupted } of interruptions) {
      insert('session.interrupted', sessionId, null, JSON.stringify({ steps: interrupted }));
    }
    for (const sessionId of this.sessions) {
      let session;
      try {
        session = this.sessionQueries.getSession(sessionId);
      } catch (error) {
        // A session emptied by a move to its keyed session is gone: nothing to show.
        if (error instanceof SessionNotFoundError) continue;
        throw error;
      }
      insert('session.updated', sessionId, null, JSON.stringify({ session: liveSessionOf(session) }));
    }
    this.sessions.clear();
    const budgets = this.budgets;
    this.budgets = [];
    for (const event of budgets) insert('budget', event.sessionId, null, JSON.stringify({ budget: liveBudgetOf(event) }));
    this.trim(atMillis);
  }

  /**
   * Log records with a session were inserted in this transaction: one `log`
   * row each, naming the record (the event is built from it when read), then
   * the feed is trimmed. Appended at once, after whatever this transaction
   * appended before.
   */
  logsWritten(entries: ReadonlyArray<{ sessionId: string; logId: number }>, atMillis: number): void {
    if (entries.length === 0) return;
    let seq = this.state().latestSeq;
    for (const { sessionId, logId } of entries) this.insertLogChange.run(++seq, sessionId, atMillis, logId);
    this.trim(atMillis);
  }

  /** Drops what was collected (the transaction failed). */
  discard(): void {
    this.steps = [];
    this.interruptions = [];
    this.sessions.clear();
    this.budgets = [];
  }

  /** At most `limit` events after `afterSeq`, in seq order. */
  readChanges(afterSeq: number, options: ReadChangesOptions): ChangeEvent[] {
    const limit = Math.max(1, Math.floor(options.limit));
    const rows = (
      options.sessionId === undefined
        ? this.selectAfter.all({ after: afterSeq, limit })
        : this.selectSessionAfter.all({ after: afterSeq, limit, sessionId: options.sessionId })
    ) as ChangeRow[];
    const events: ChangeEvent[] = [];
    for (const row of rows) {
      const base = { seq: row.seq, atUnixMillis: row.at_ms, sessionId: row.session_id };
      if (row.payload !== null) {
        events.push({ ...base, kind: row.kind, ...(JSON.parse(row.payload) as object) } as ChangeEvent);
        continue;
      }
      if (row.kind === 'log') {
        const record = row.log_id === null ? undefined : this.readLog(row.log_id);
        // A record deleted since (retention, its session deleted), or moved to another session with its trace
        // (a late session key), is left out here, like a step whose span is gone; its new session has its own event.
        if (record && record.sessionId === row.session_id) events.push({ ...base, kind: 'log', log: logRecordJson(record) });
        continue;
      }
      const spanRow = this.selectSpan.get({ traceId: row.trace_id, spanId: row.span_id }) as SpanRow | undefined;
      if (!spanRow) continue;
      const record = rowToStoredSpan(spanRow);
      if (row.kind === 'span.started') {
        events.push({ ...base, kind: 'span.started', step: liveStepOf(record, row.session_id, 'started') });
        continue;
      }
      const step = liveStepOf(record, row.session_id, 'ended');
      if (row.kind === 'span.completed' && row.seq - 1 > afterSeq) {
        events.push({ ...base, seq: row.seq - 1, kind: 'span.started', step: startedViewOf(step) });
      }
      events.push({ ...base, kind: 'span.ended', step });
    }
    // A completed row yields two events; the next read resumes at the id where this one stopped.
    return events.length > limit ? events.slice(0, limit) : events;
  }

  state(): ChangeFeedState {
    const trimmedThroughSeq = this.selectTrimmed.get() as number;
    const max = this.selectMaxSeq.get() as number | null;
    return { trimmedThroughSeq, latestSeq: Math.max(max ?? 0, trimmedThroughSeq) };
  }

  /** Changes when another connection commits (SQLite's `data_version`); never for this connection's own commits. */
  dataVersion(): number {
    return Number(this.selectDataVersion.get());
  }

  private pushStep(kind: PendingStep['kind'], record: SpanRecord, sessionId: string, atUnixNano: bigint): void {
    this.steps.push({
      kind,
      atUnixNano,
      traceId: record.traceId,
      spanId: record.spanId,
      parentSpanId: record.parentSpanId,
      record,
      sessionId,
    });
  }

  private trim(nowMillis: number): void {
    const { trimmedThroughSeq, latestSeq } = this.state();
    const firstFresh = this.selectFirstFresh.get({ cutoffMillis: nowMillis - this.maxAgeMillis }) as number | undefined;
    let cut = Math.max(latestSeq - this.maxEvents, firstFresh === undefined ? latestSeq : firstFresh - 1);
    // Never between the two events of a completed row: its start stays readable as long as its end.
    if (this.selectKind.get({ seq: cut + 1 }) === 'span.completed') cut--;
    if (cut <= trimmedThroughSeq) return;
    this.deleteThrough.run({ seq: cut });
    this.updateTrimmed.run({ seq: cut });
  }
}
