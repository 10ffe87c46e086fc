/**
 * The change feed in the `changes` table: what the live stream and `skein
 * tail` read. Writes collect events during a write transaction and append
 * them at its end, in that same transaction, so a reader never sees a change
 * without its event or an event without its change, whichever process wrote
 * it. Reads are keyed by `seq` (see migration 003).
 *
 * Steps cost a few bytes each, not a row each (migration 009): one `steps`
 * row per session per transaction lists that session's step events, by span
 * rowid (change-steps.ts), over the seq range `first_seq..seq`; a step is
 * built when the feed is read, from the span as stored then. A `span.started` shows the started view of it
 * (no end, no usage), so it reads the same whether or not the span has ended
 * since; a `span.ended` shows the span's current ended state, which differs
 * from the state at that event only if the span was rewritten after it ended
 * (a duplicate delivery with other values). A step whose span is gone
 * (retention, delete) is left out of the read. Within one transaction a
 * session's steps are numbered together (sessions in the order their first
 * step happened), so a row's events have consecutive ids.
 *
 * A `session.updated` row keeps a snapshot of the session's rollup at that
 * commit, read from its `sessions` row; its title, when the session has no
 * agent name, is looked up when the feed is read (it costs a scan of the
 * session's first spans, and changes only when earlier spans arrive).
 */

import type Database from 'better-sqlite3';
import type { BudgetEventRecord } from '../../model/budgets.js';
import { liveBudgetOf, liveStepOf, startedViewOf } from '../../model/live-event.js';
import type { ChangeEvent, LiveSession } from '../../model/live-event.js';
import type { StoredLogRecord } from '../../model/log-types.js';
import { logRecordJson } from '../../model/log-view.js';
import type { SpanRecord } from '../../model/types.js';
import type { ChangeFeedState, ReadChangesOptions } from '../change-feed.js';
import { SessionNotFoundError } from '../errors.js';
import { placeTitle, sessionSnapshotOf } from '../common/session-snapshot.js';
import type { SessionSnapshot } from '../common/session-snapshot.js';
import { orderSteps } from '../common/step-order.js';
import { DEFAULT_CHANGE_FEED_MAX_AGE_MILLIS, DEFAULT_CHANGE_FEED_MAX_EVENTS } from '../common/store-defaults.js';
import type { ChangeFeedRetention } from '../common/store-defaults.js';
import { COMPLETED, ENDED, STARTED, decodeSteps, encodeSteps, eventsOf, stepCheck } from './change-steps.js';
import type { StepEntry } from './change-steps.js';
import { rollupSummaryOf } from './session-queries.js';
import type { SessionQueries, SessionRollupColumns } from './session-queries.js';
import { SPAN_ROW_SELECT, rowToStoredSpan } from './span-row.js';
import type { SpanRow } from './span-row.js';

/**
 * Stored kinds: the event kinds (step kinds only in files written before
 * migration 009), `span.completed` (before 009: one row standing for a step's
 * start at seq - 1 and end at seq), and `steps` (a session's step events of one
 * transaction, `first_seq..seq`).
 */
type StoredKind = ChangeEvent['kind'] | 'span.completed' | 'steps';

interface PendingStep {
  kind: 'span.started' | 'span.ended';
  /** When the step started or ended: steps of one batch are appended in the order they happened. */
  atUnixNano: bigint;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  record: SpanRecord;
  sessionId: string;
  /** The span's rowid, when the writer knows it (else looked up at flush). */
  rowid: number | bigint | undefined;
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
  first_seq: number | null;
  steps: Buffer | null;
}

/** The live view of a session row (`sessionSnapshotOf`). */
function snapshotOf(row: SessionRollupColumns): SessionSnapshot {
  return sessionSnapshotOf(rollupSummaryOf(row));
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
  private readonly deleteThrough: Database.Statement;
  private readonly updateTrimmed: Database.Statement;
  private readonly selectDataVersion: Database.Statement;
  private readonly selectSpan: Database.Statement;
  private readonly insertLogChange: Database.Statement;
  private readonly insertSteps: Database.Statement;
  private readonly selectSpanById: Database.Statement;
  private readonly selectRowid: Database.Statement;
  private readonly selectSnapshot: Database.Statement;
  private readonly selectFirstKept: Database.Statement;
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
    this.insertSteps = db.prepare(`INSERT INTO changes (seq, kind, session_id, at_ms, first_seq, steps)
      VALUES (?, 'steps', ?, ?, ?, ?)`);
    const columns = 'seq, kind, session_id, trace_id, span_id, at_ms, payload, log_id, first_seq, steps';
    this.selectSpanById = db.prepare(`SELECT ${SPAN_ROW_SELECT} WHERE s.id = ?`).safeIntegers(true);
    this.selectRowid = db.prepare('SELECT id FROM spans WHERE trace_id = @traceId AND span_id = @spanId').pluck();
    this.selectSnapshot = db
      .prepare(`SELECT session_id, status, first_start_ns, last_end_ns, last_activity_ns, span_count, llm_call_count,
          tool_call_count, error_count, open_count, interrupted_count, input_tokens, output_tokens, reasoning_tokens,
          cache_read_tokens, cache_write_tokens, cost_usd, supplied_cost_usd, computed_cost_usd, unpriced_call_count,
          models, agent_name, user_id, usage_mismatch
        FROM sessions WHERE session_id = ?`)
      .safeIntegers(true);
    // The first id of the row holding the event just after a cut: a row's events are trimmed together.
    this.selectFirstKept = db
      .prepare(`SELECT coalesce(first_seq, CASE kind WHEN 'span.completed' THEN seq - 1 ELSE seq END)
        FROM changes WHERE seq > @seq ORDER BY seq LIMIT 1`)
      .pluck();
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
    this.deleteThrough = db.prepare('DELETE FROM changes WHERE seq <= @seq');
    this.updateTrimmed = db.prepare('UPDATE change_feed SET trimmed_through_seq = @seq WHERE id = 0');
    this.selectDataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  /**
   * A record is written (`rowid`: its row in `spans`, looked up at flush when
   * not given). `firstSeen`: the store had no row for the span; `endedNow`:
   * the record ends a span the store had open (or never saw).
   */
  stepWritten(
    record: SpanRecord,
    sessionId: string,
    firstSeen: boolean,
    endedNow: boolean,
    rowid?: number | bigint,
  ): void {
    if (firstSeen) this.pushStep('span.started', record, sessionId, record.startTimeUnixNano, rowid);
    if (endedNow && record.endTimeUnixNano !== null) {
      this.pushStep('span.ended', record, sessionId, record.endTimeUnixNano, rowid);
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
    const insert = (kind: StoredKind, sessionId: string, payload: string) => {
      seq += 1;
      this.insertChange.run(seq, kind, sessionId, null, null, atMillis, payload);
    };
    // One row per session: its steps in feed order, sessions in the order their first step happened.
    const bySession = new Map<string, PendingStep[]>();
    for (const step of steps) {
      const list = bySession.get(step.sessionId);
      if (list) list.push(step);
      else bySession.set(step.sessionId, [step]);
    }
    for (const [sessionId, list] of bySession) {
      const entries: StepEntry[] = [];
      let events = 0;
      for (let i = 0; i < list.length; i++) {
        const step = list[i];
        const rowid = step.rowid ?? (this.selectRowid.get({ traceId: step.traceId, spanId: step.spanId }) as number | undefined);
        if (rowid === undefined) continue;
        const next = list[i + 1] as PendingStep | undefined;
        let kind: StepEntry['kind'] = step.kind === 'span.started' ? STARTED : ENDED;
        // Nothing of the session happened between its start and its end: one entry stands for both.
        if (step.kind === 'span.started' && next?.kind === 'span.ended' && next.record === step.record) {
          kind = COMPLETED;
          i++;
        }
        entries.push({ kind, rowid: Number(rowid), check: stepCheck(step.traceId, step.spanId) });
        events += eventsOf(kind);
      }
      if (entries.length === 0) continue;
      this.insertSteps.run(seq + events, sessionId, atMillis, seq + 1, encodeSteps(entries));
      seq += events;
    }
    for (const { sessionId, steps: interrupted } of interruptions) {
      insert('session.interrupted', sessionId, JSON.stringify({ steps: interrupted }));
    }
    for (const sessionId of this.sessions) {
      const row = this.selectSnapshot.get(sessionId) as SessionRollupColumns | undefined;
      // A session emptied by a move to its keyed session is gone: nothing to show.
      if (!row) continue;
      insert('session.updated', sessionId, JSON.stringify({ session: snapshotOf(row) }));
    }
    this.sessions.clear();
    const budgets = this.budgets;
    this.budgets = [];
    for (const event of budgets) insert('budget', event.sessionId, JSON.stringify({ budget: liveBudgetOf(event) }));
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

  /**
   * At most `limit` events after `afterSeq`, in seq order; fewer only when
   * no more are committed (rows whose steps are all gone are read past).
   */
  readChanges(afterSeq: number, options: ReadChangesOptions): ChangeEvent[] {
    const limit = Math.max(1, Math.floor(options.limit));
    const events: ChangeEvent[] = [];
    const titles = new Map<string, string | null>();
    let after = afterSeq;
    for (;;) {
      const rows = (
        options.sessionId === undefined
          ? this.selectAfter.all({ after, limit })
          : this.selectSessionAfter.all({ after, limit, sessionId: options.sessionId })
      ) as ChangeRow[];
      for (const row of rows) this.eventsOf(row, afterSeq, events, titles);
      if (events.length >= limit || rows.length < limit) break;
      after = rows[rows.length - 1].seq;
    }
    // A row can yield several events; the next read resumes at the id where this one stopped.
    return events.length > limit ? events.slice(0, limit) : events;
  }

  private eventsOf(row: ChangeRow, afterSeq: number, events: ChangeEvent[], titles: Map<string, string | null>): void {
    const base = { seq: row.seq, atUnixMillis: row.at_ms, sessionId: row.session_id };
    if (row.kind === 'steps') {
      let seq = row.first_seq ?? row.seq;
      for (const entry of decodeSteps(row.steps ?? new Uint8Array(0))) {
        const first = seq;
        seq += eventsOf(entry.kind);
        if (seq - 1 <= afterSeq) continue;
        const spanRow = this.selectSpanById.get(entry.rowid) as SpanRow | undefined;
        if (!spanRow) continue;
        const record = rowToStoredSpan(spanRow);
        // The rowid of a deleted span, reused by a later one: the step is gone.
        if (stepCheck(record.traceId, record.spanId) !== entry.check) continue;
        if (entry.kind === STARTED) {
          events.push({ ...base, seq: first, kind: 'span.started', step: liveStepOf(record, row.session_id, 'started') });
          continue;
        }
        const step = liveStepOf(record, row.session_id, 'ended');
        if (entry.kind === COMPLETED && first > afterSeq) {
          events.push({ ...base, seq: first, kind: 'span.started', step: startedViewOf(step) });
        }
        events.push({ ...base, seq: seq - 1, kind: 'span.ended', step });
      }
      return;
    }
    if (row.payload !== null) {
      const body = JSON.parse(row.payload) as object;
      if (row.kind === 'session.updated') this.fillTitle((body as { session: LiveSession }).session, titles);
      events.push({ ...base, kind: row.kind, ...body } as ChangeEvent);
      return;
    }
    if (row.kind === 'log') {
      const record = row.log_id === null ? undefined : this.readLog(row.log_id);
      // A record deleted since (retention, its session deleted), or moved to another session with its trace
      // (a late session key), is left out here, like a step whose span is gone; its new session has its own event.
      if (record && record.sessionId === row.session_id) events.push({ ...base, kind: 'log', log: logRecordJson(record) });
      return;
    }
    // Step rows of files written before migration 009: one per event, or per completed step.
    const spanRow = this.selectSpan.get({ traceId: row.trace_id, spanId: row.span_id }) as SpanRow | undefined;
    if (!spanRow) return;
    const record = rowToStoredSpan(spanRow);
    if (row.kind === 'span.started') {
      events.push({ ...base, kind: 'span.started', step: liveStepOf(record, row.session_id, 'started') });
      return;
    }
    const step = liveStepOf(record, row.session_id, 'ended');
    if (row.kind === 'span.completed' && row.seq - 1 > afterSeq) {
      events.push({ ...base, seq: row.seq - 1, kind: 'span.started', step: startedViewOf(step) });
    }
    events.push({ ...base, kind: 'span.ended', step });
  }

  /**
   * A snapshot without a title (its session had no agent name) takes the
   * session's title now: derived from its first spans, which a later commit
   * only changes by adding earlier ones. null once the session is gone.
   */
  private fillTitle(session: LiveSession, titles: Map<string, string | null>): void {
    if (session.title !== undefined) return;
    let title = titles.get(session.sessionId);
    if (title === undefined) {
      try {
        title = this.sessionQueries.getSession(session.sessionId).title ?? null;
      } catch (error) {
        if (!(error instanceof SessionNotFoundError)) throw error;
        title = null;
      }
      titles.set(session.sessionId, title);
    }
    placeTitle(session, title);
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

  private pushStep(
    kind: PendingStep['kind'],
    record: SpanRecord,
    sessionId: string,
    atUnixNano: bigint,
    rowid: number | bigint | undefined,
  ): void {
    this.steps.push({
      rowid,
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
    // Never inside a row (the two events of a completed step, a session's steps of one commit): its
    // first events stay readable as long as its last.
    const firstKept = this.selectFirstKept.get({ seq: cut }) as number | undefined;
    if (firstKept !== undefined && firstKept <= cut) cut = firstKept - 1;
    if (cut <= trimmedThroughSeq) return;
    this.deleteThrough.run({ seq: cut });
    this.updateTrimmed.run({ seq: cut });
  }
}
