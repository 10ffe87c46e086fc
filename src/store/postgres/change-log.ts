/**
 * The live change feed in PostgreSQL, shared by every collector writing the
 * database: what the live stream and `skein tail` read (the SQLite store's
 * change-log.ts, for many writers over the network).
 *
 * Guarantee: event ids (`seq`) are dense and strictly increasing in commit
 * order, across all writers, so "every event after N" read at any moment is
 * a prefix of every later read: a reader resuming after the last id it saw
 * (Last-Event-ID) gets no gap and no duplicate. How: a write transaction
 * appends its events as its last statement, which takes the next id range
 * from the one-row `change_feed` counter (`UPDATE .. SET latest_seq =
 * latest_seq + n`). The row lock holds the next appender until this one has
 * committed, and PostgreSQL makes a transaction visible before it releases
 * its locks: a snapshot that sees ids up to N sees every id below N. A
 * rolled-back transaction hands its range back. The cost: appends (only the
 * last statement and the COMMIT of each write) run one at a time across the
 * whole database. Appending transactions must be READ COMMITTED (the
 * default): under REPEATABLE READ the counter's update would fail whenever
 * another appender committed first.
 *
 * One `changes` row per transaction holds its events as JSON (steps by trace
 * and span id, sessions' snapshots, interruptions, budget crossings, log
 * record ids), over the ids `first_seq..last_seq`; steps and logs are built
 * when read, from the span or record as stored then (a step or record gone
 * since is left out, as in SQLite). Events of a transaction are in SQLite's
 * order: each session's steps (sessions in the order their first step
 * happened, steps in the order they happened), interruptions, session
 * updates, budget crossings. Log records a span write moves to their
 * trace's session come first (SQLite's span writer adopts them before it
 * flushes); other log records come in transactions of their own.
 *
 * Retention is applied by the appending statement, under the same lock:
 * whole rows older than `maxAgeMillis` or beyond the last `maxEvents` ids
 * are deleted, and `trimmedThroughSeq` says where the feed now starts.
 *
 * Readers are woken within milliseconds of a commit by any writer through
 * LISTEN/NOTIFY (the append notifies `skein_changes`; PostgreSQL delivers
 * it at commit), with a poll of the latest id as the fallback (a lost
 * connection, a pooler that drops notifications).
 */

import pg from 'pg';
import type { BudgetEventRecord } from '../../model/budgets.js';
import { liveBudgetOf, liveStepOf } from '../../model/live-event.js';
import type { ChangeEvent, LiveBudget, LiveSession } from '../../model/live-event.js';
import { logRecordJson } from '../../model/log-view.js';
import type { StoredLogRecord } from '../../model/log-types.js';
import type { SpanRecord, StoredSpan } from '../../model/types.js';
import type { ChangeFeedState, ReadChangesOptions } from '../change-feed.js';
import { SessionNotFoundError } from '../errors.js';
import { DEFAULT_CHANGE_FEED_MAX_AGE_MILLIS, DEFAULT_CHANGE_FEED_MAX_EVENTS } from '../common/store-defaults.js';
import type { ChangeFeedRetention } from '../common/store-defaults.js';
import { placeTitle, sessionSnapshotOf } from '../common/session-snapshot.js';
import type { SessionSnapshot } from '../common/session-snapshot.js';
import { orderSteps } from '../common/step-order.js';
import { LOG_READ_COLUMNS, rowToLogRecord } from './log-row.js';
import type { LogRow } from './log-row.js';
import { prepared } from './query-params.js';
import { rollupSummaryOf } from './session-queries.js';
import type { PgSessionQueries, SessionRollupColumns } from './session-queries.js';
import { SPAN_ROW_COLUMNS, storedSpanOfRow } from './span-row.js';
import { SERVER_NOW_MS } from './writer-registry.js';
import type { SpanRow } from './span-row.js';

/** The channel appends notify (payload: the transaction's last id). */
export const CHANGE_CHANNEL = 'skein_changes';
/** How often the latest id is polled while anyone listens, besides LISTEN. */
export const DEFAULT_CHANGE_POLL_MILLIS = 1000;

export interface PgChangeFeedOptions extends ChangeFeedRetention {
  /** The fallback poll of `onCommit`, in milliseconds. Default 1000. */
  pollIntervalMillis?: number;
}

/** A span the write transaction stored: `existing` is its row before (undefined when new). */
export interface WrittenSpan {
  record: SpanRecord;
  sessionId: string;
  existing: { end_ns: bigint | null } | undefined;
}

/** What one write transaction appends (each part optional). */
export interface FeedChanges {
  /** Log records a span write moved to their trace's session: their `log` events come first, as in SQLite. */
  adoptedLogs?: ReadonlyArray<{ sessionId: string; logId: number | bigint }>;
  /** Spans written, in batch order: a step start when new, a step end when it ends one the store had open. */
  spans?: readonly WrittenSpan[];
  /** Open steps marked interrupted (a dead writer's). */
  interruptions?: ReadonlyArray<{ sessionId: string; steps: Array<{ traceId: string; spanId: string }> }>;
  /** Sessions whose rollup changed: a `session.updated` each with its state now, unless gone or internal only. */
  sessions?: Iterable<string>;
  budgets?: readonly BudgetEventRecord[];
  /** Log records stored with a session. */
  logs?: ReadonlyArray<{ sessionId: string; logId: number | bigint }>;
}

const STARTED = 0;
const ENDED = 1;
/** A step first seen already ended, with nothing of its session between: its start and its end. */
const COMPLETED = 2;
type StepKind = typeof STARTED | typeof ENDED | typeof COMPLETED;

/** `changes.body`: one transaction's events, in feed order, part by part. */
interface StoredBody {
  /** Each session's step events: [kind, traceId, spanId] (a `COMPLETED` entry is two events). */
  steps?: Array<{ session: string; entries: Array<[StepKind, string, string]> }>;
  interrupted?: Array<{ session: string; steps: Array<{ traceId: string; spanId: string }> }>;
  sessions?: SessionSnapshot[];
  budgets?: Array<{ session: string; budget: LiveBudget }>;
  logs?: Array<[session: string, logId: number]>;
  /** `FeedChanges.adoptedLogs`: read before the steps. */
  adopted?: Array<[session: string, logId: number]>;
}

interface ChangeRow {
  first_seq: bigint;
  last_seq: bigint;
  at_ms: bigint;
  body: string;
}

/** An event of a read, before its span, record or title is looked up. */
type Slot =
  | { kind: 'event'; event: ChangeEvent }
  | { kind: 'step'; seq: number; at: number; sessionId: string; view: 'started' | 'ended'; traceId: string; spanId: string }
  | { kind: 'log'; seq: number; at: number; sessionId: string; logId: number };

/** The touched sessions a stream shows: those left with a span that is not an agent's plumbing. */
const SELECT_SNAPSHOTS_SQL = `SELECT session_id, status, first_start_ns, last_end_ns, last_activity_ns, span_count,
    llm_call_count, tool_call_count, error_count, open_count, interrupted_count, input_tokens, output_tokens,
    reasoning_tokens, cache_read_tokens, cache_write_tokens, cost_usd, supplied_cost_usd, computed_cost_usd,
    unpriced_call_count, models, agent_name, user_id, usage_mismatch
  FROM sessions WHERE session_id = ANY($1::text[]) AND internal_count < span_count`;

/**
 * Takes the next `$1` ids (the counter's row lock serializes appenders until
 * commit), trims, inserts the row and notifies, in one statement. The trim
 * point is a row boundary at or below the newest row this statement's
 * snapshot sees: rows committed since have higher ids, so nothing at or
 * below it is left behind. `$4` max events, `$5` the max age (ms). Times
 * are the database server's clock, so replicas with skewed clocks agree on
 * an event's time and on what is too old. The event's time is read in the
 * INSERT, which runs on the UPDATE's row: after the counter's row lock is
 * granted, so a higher seq never has an earlier time (read before the lock,
 * an appender that waited would stamp the time it began to wait). The trim
 * reads the clock on its own, possibly earlier: it then keeps a little more.
 */
const APPEND_SQL = `WITH feed AS (
    UPDATE change_feed SET latest_seq = latest_seq + $1,
      trimmed_through_seq = GREATEST(trimmed_through_seq, coalesce((
        SELECT max(c.last_seq) FROM changes c WHERE c.last_seq <= GREATEST(
          change_feed.latest_seq + $1 - $4::int8,
          coalesce((SELECT f.first_seq - 1 FROM changes f
              WHERE f.at_ms >= ${SERVER_NOW_MS} - $5::int8 ORDER BY f.last_seq LIMIT 1),
            change_feed.latest_seq + $1))), 0))
    WHERE id = 0
    RETURNING latest_seq, trimmed_through_seq),
  trimmed AS (DELETE FROM changes WHERE last_seq <= (SELECT trimmed_through_seq FROM feed)),
  appended AS (INSERT INTO changes (last_seq, first_seq, at_ms, sessions, body)
    SELECT latest_seq, latest_seq - $1 + 1, ${SERVER_NOW_MS}, $2::text[], $3::text FROM feed)
  SELECT pg_notify('${CHANGE_CHANNEL}', latest_seq::text) FROM feed`;

const SELECT_AFTER_SQL = `SELECT first_seq, last_seq, at_ms, body FROM changes
  WHERE last_seq > $1 ORDER BY last_seq LIMIT $2`;
const SELECT_SESSION_AFTER_SQL = `SELECT first_seq, last_seq, at_ms, body FROM changes
  WHERE sessions @> ARRAY[$3::text] AND last_seq > $1 ORDER BY last_seq LIMIT $2`;
const SELECT_STATE_SQL = 'SELECT latest_seq, trimmed_through_seq FROM change_feed WHERE id = 0';
const SELECT_SPANS_SQL = `SELECT ${SPAN_ROW_COLUMNS} FROM spans
  WHERE (trace_id, span_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`;
const SELECT_LOGS_SQL = `SELECT ${LOG_READ_COLUMNS} FROM log_records l WHERE l.id = ANY($1::int8[])`;

const spanKey = (traceId: string, spanId: string): string => `${traceId}/${spanId}`;

/** The live view of a session row (`sessionSnapshotOf`). */
function snapshotOf(row: SessionRollupColumns): SessionSnapshot {
  return sessionSnapshotOf(rollupSummaryOf(row));
}

/** Each session's step entries, from the spans written, in the order things happened (SQLite's flush). */
function stepEntries(spans: readonly WrittenSpan[]): NonNullable<StoredBody['steps']> {
  type Pending = { kind: 'span.started' | 'span.ended'; atUnixNano: bigint; traceId: string; spanId: string;
    parentSpanId: string | null; record: SpanRecord; sessionId: string };
  const pending: Pending[] = [];
  for (const { record, sessionId, existing } of spans) {
    // An agent's plumbing is kept but is no step: the stream does not announce it.
    if (record.internal === true) continue;
    const step = { traceId: record.traceId, spanId: record.spanId, parentSpanId: record.parentSpanId, record, sessionId };
    if (!existing) pending.push({ ...step, kind: 'span.started', atUnixNano: record.startTimeUnixNano });
    if (record.endTimeUnixNano !== null && (!existing || existing.end_ns === null)) {
      pending.push({ ...step, kind: 'span.ended', atUnixNano: record.endTimeUnixNano });
    }
  }
  const bySession = new Map<string, Pending[]>();
  for (const step of orderSteps(pending)) {
    const list = bySession.get(step.sessionId);
    if (list) list.push(step);
    else bySession.set(step.sessionId, [step]);
  }
  return [...bySession].map(([session, list]) => {
    const entries: Array<[StepKind, string, string]> = [];
    for (let i = 0; i < list.length; i++) {
      const step = list[i];
      const next = list[i + 1] as Pending | undefined;
      let kind: StepKind = step.kind === 'span.started' ? STARTED : ENDED;
      if (step.kind === 'span.started' && next?.kind === 'span.ended' && next.record === step.record) {
        kind = COMPLETED;
        i++;
      }
      entries.push([kind, step.traceId, step.spanId]);
    }
    return { session, entries };
  });
}

function eventCount(body: StoredBody): number {
  let count = 0;
  for (const { entries } of body.steps ?? []) for (const [kind] of entries) count += kind === COMPLETED ? 2 : 1;
  return count + (body.interrupted?.length ?? 0) + (body.sessions?.length ?? 0) + (body.budgets?.length ?? 0) +
    (body.logs?.length ?? 0) + (body.adopted?.length ?? 0);
}

export class PgChangeLog {
  private readonly maxEvents: number;
  private readonly maxAgeMillis: number;
  private readonly watcher: CommitWatcher;

  constructor(
    private readonly pool: pg.Pool,
    url: string,
    private readonly sessionQueries: PgSessionQueries,
    options: PgChangeFeedOptions = {},
  ) {
    this.maxEvents = Math.max(1, Math.floor(options.maxEvents ?? DEFAULT_CHANGE_FEED_MAX_EVENTS));
    this.maxAgeMillis = Math.max(0, options.maxAgeMillis ?? DEFAULT_CHANGE_FEED_MAX_AGE_MILLIS);
    const poll = Math.max(1, options.pollIntervalMillis ?? DEFAULT_CHANGE_POLL_MILLIS);
    this.watcher = new CommitWatcher(url, poll, () => this.latestChangeSeq());
  }

  /**
   * Appends one write transaction's events, with `client` in that
   * transaction: call it last, just before COMMIT (from here to the commit,
   * every other appender waits). Appends nothing when there is no event.
   */
  async append(client: pg.PoolClient, changes: FeedChanges): Promise<void> {
    const body: StoredBody = {};
    const sessions = new Set<string>();
    if (changes.adoptedLogs && changes.adoptedLogs.length > 0) {
      body.adopted = changes.adoptedLogs.map(({ sessionId, logId }) => [sessionId, Number(logId)]);
      for (const { sessionId } of changes.adoptedLogs) sessions.add(sessionId);
    }
    const steps = stepEntries(changes.spans ?? []);
    if (steps.length > 0) body.steps = steps;
    for (const { session } of steps) sessions.add(session);
    if (changes.interruptions && changes.interruptions.length > 0) {
      body.interrupted = changes.interruptions.map(({ sessionId, steps: list }) => ({ session: sessionId, steps: list }));
      for (const { sessionId } of changes.interruptions) sessions.add(sessionId);
    }
    const touched = [...new Set(changes.sessions ?? [])];
    if (touched.length > 0) {
      const { rows } = await client.query<SessionRollupColumns>(prepared(SELECT_SNAPSHOTS_SQL, [touched]));
      // In the order the sessions were touched (a session emptied by a move to its keyed session is gone).
      const byId = new Map(rows.map((row) => [row.session_id, row]));
      const snapshots = touched.flatMap((id) => {
        const row = byId.get(id);
        return row ? [snapshotOf(row)] : [];
      });
      if (snapshots.length > 0) body.sessions = snapshots;
      for (const { sessionId } of snapshots) sessions.add(sessionId);
    }
    if (changes.budgets && changes.budgets.length > 0) {
      body.budgets = changes.budgets.map((event) => ({ session: event.sessionId, budget: liveBudgetOf(event) }));
      for (const { sessionId } of changes.budgets) sessions.add(sessionId);
    }
    if (changes.logs && changes.logs.length > 0) {
      body.logs = changes.logs.map(({ sessionId, logId }) => [sessionId, Number(logId)]);
      for (const { sessionId } of changes.logs) sessions.add(sessionId);
    }
    const count = eventCount(body);
    if (count === 0) return;
    await client.query(prepared(APPEND_SQL, [
      count, [...sessions], JSON.stringify(body), this.maxEvents, this.maxAgeMillis,
    ]));
  }

  /**
   * Open steps were marked interrupted (their writer is gone) and their
   * sessions rebuilt, in `client`'s transaction: a `session.interrupted` per
   * session, then its update. Like `append`, last before COMMIT.
   */
  async stepsInterrupted(
    client: pg.PoolClient,
    steps: ReadonlyArray<{ sessionId: string; traceId: string; spanId: string }>,
  ): Promise<void> {
    const bySession = new Map<string, Array<{ traceId: string; spanId: string }>>();
    for (const { sessionId, traceId, spanId } of steps) {
      const list = bySession.get(sessionId);
      if (list) list.push({ traceId, spanId });
      else bySession.set(sessionId, [{ traceId, spanId }]);
    }
    const interruptions = [...bySession].map(([sessionId, list]) => ({ sessionId, steps: list }));
    await this.append(client, { interruptions, sessions: bySession.keys() });
  }

  /**
   * At most `limit` events after `afterSeq`, in seq order; fewer only when
   * no more are committed (events whose step or record is gone are read past).
   */
  async readChanges(afterSeq: number, options: ReadChangesOptions): Promise<ChangeEvent[]> {
    const limit = Math.max(1, Math.floor(options.limit));
    const sessionId = options.sessionId;
    const events: ChangeEvent[] = [];
    const titles = new Map<string, string | null>();
    let after = Math.max(0, Math.floor(afterSeq));
    for (;;) {
      const { rows } = await this.pool.query<ChangeRow>(
        sessionId === undefined
          ? prepared(SELECT_AFTER_SQL, [after, limit])
          : prepared(SELECT_SESSION_AFTER_SQL, [after, limit, sessionId]),
      );
      const slots = rows.flatMap((row) => slotsOf(row, afterSeq, sessionId));
      // A row can stand for thousands of events: build only as many as the read still wants.
      for (let at = 0; at < slots.length && events.length < limit; ) {
        const chunk = slots.slice(at, at + limit - events.length);
        at += chunk.length;
        events.push(...(await this.resolve(chunk, titles)));
      }
      if (events.length >= limit || rows.length < limit) break;
      after = Number(rows[rows.length - 1].last_seq);
    }
    return events;
  }

  async latestChangeSeq(): Promise<number> {
    return (await this.changeFeedState()).latestSeq;
  }

  async changeFeedState(): Promise<ChangeFeedState> {
    const { rows } = await this.pool.query<{ latest_seq: bigint; trimmed_through_seq: bigint }>(
      prepared(SELECT_STATE_SQL, []),
    );
    const row = rows[0];
    return { latestSeq: Number(row.latest_seq), trimmedThroughSeq: Number(row.trimmed_through_seq) };
  }

  /** See `AsyncChangeFeedReader.onCommit`: LISTEN while anyone listens, and a poll of the latest id. */
  onCommit(listener: () => void): () => void {
    return this.watcher.subscribe(listener);
  }

  /** Stops listening (before the pool ends). */
  async close(): Promise<void> {
    await this.watcher.close();
  }

  /** The events of `slots`, with their spans, log records and titles looked up (in one query each). */
  private async resolve(slots: readonly Slot[], titles: Map<string, string | null>): Promise<ChangeEvent[]> {
    const traceIds: string[] = [];
    const spanIds: string[] = [];
    const logIds: number[] = [];
    for (const slot of slots) {
      if (slot.kind === 'step') {
        traceIds.push(slot.traceId);
        spanIds.push(slot.spanId);
      } else if (slot.kind === 'log') {
        logIds.push(slot.logId);
      } else if (slot.event.kind === 'session.updated') {
        await this.fillTitle(slot.event.session, titles);
      }
    }
    const spans = new Map<string, StoredSpan>();
    if (traceIds.length > 0) {
      const { rows } = await this.pool.query<SpanRow>(prepared(SELECT_SPANS_SQL, [traceIds, spanIds]));
      for (const row of rows) spans.set(spanKey(row.trace_id, row.span_id), storedSpanOfRow(row));
    }
    const logs = new Map<number, StoredLogRecord>();
    if (logIds.length > 0) {
      const { rows } = await this.pool.query<LogRow>(prepared(SELECT_LOGS_SQL, [logIds]));
      for (const row of rows) logs.set(Number(row.id), rowToLogRecord(row));
    }
    const events: ChangeEvent[] = [];
    for (const slot of slots) {
      if (slot.kind === 'event') {
        events.push(slot.event);
        continue;
      }
      const base = { seq: slot.seq, atUnixMillis: slot.at, sessionId: slot.sessionId };
      if (slot.kind === 'step') {
        const span = spans.get(spanKey(slot.traceId, slot.spanId));
        if (!span) continue;
        const step = liveStepOf(span, slot.sessionId, slot.view);
        events.push({ ...base, kind: slot.view === 'started' ? 'span.started' : 'span.ended', step });
        continue;
      }
      const record = logs.get(slot.logId);
      // A record deleted since, or moved to another session with its trace (a late session key), is left out.
      if (record && record.sessionId === slot.sessionId) events.push({ ...base, kind: 'log', log: logRecordJson(record) });
    }
    return events;
  }

  /**
   * A snapshot without a title (its session had no agent name) takes the
   * session's title now: derived from its first spans, which a later commit
   * only changes by adding earlier ones. null once the session is gone.
   */
  private async fillTitle(session: LiveSession, titles: Map<string, string | null>): Promise<void> {
    if (session.title !== undefined) return;
    let title = titles.get(session.sessionId);
    if (title === undefined) {
      try {
        title = (await this.sessionQueries.getSession(session.sessionId)).title ?? null;
      } catch (error) {
        if (!(error instanceof SessionNotFoundError)) throw error;
        title = null;
      }
      titles.set(session.sessionId, title);
    }
    placeTitle(session, title);
  }
}

/** The events of a row with ids after `afterSeq` (of one session, when given), in seq order. */
function slotsOf(row: ChangeRow, afterSeq: number, sessionId: string | undefined): Slot[] {
  const body = JSON.parse(row.body) as StoredBody;
  const at = Number(row.at_ms);
  const slots: Slot[] = [];
  let seq = Number(row.first_seq) - 1;
  const wanted = (session: string): boolean => seq > afterSeq && (sessionId === undefined || session === sessionId);
  for (const [session, logId] of body.adopted ?? []) {
    seq++;
    if (wanted(session)) slots.push({ kind: 'log', seq, at, sessionId: session, logId });
  }
  for (const { session, entries } of body.steps ?? []) {
    for (const [kind, traceId, spanId] of entries) {
      const step = { kind: 'step', at, sessionId: session, traceId, spanId } as const;
      if (kind !== ENDED) {
        seq++;
        if (wanted(session)) slots.push({ ...step, seq, view: 'started' });
      }
      if (kind !== STARTED) {
        seq++;
        if (wanted(session)) slots.push({ ...step, seq, view: 'ended' });
      }
    }
  }
  for (const { session, steps } of body.interrupted ?? []) {
    seq++;
    if (wanted(session)) {
      slots.push({ kind: 'event', event: { seq, atUnixMillis: at, sessionId: session, kind: 'session.interrupted', steps } });
    }
  }
  for (const snapshot of body.sessions ?? []) {
    seq++;
    if (wanted(snapshot.sessionId)) {
      const event = { seq, atUnixMillis: at, sessionId: snapshot.sessionId, kind: 'session.updated', session: snapshot };
      slots.push({ kind: 'event', event: event as ChangeEvent });
    }
  }
  for (const { session, budget } of body.budgets ?? []) {
    seq++;
    if (wanted(session)) slots.push({ kind: 'event', event: { seq, atUnixMillis: at, sessionId: session, kind: 'budget', budget } });
  }
  for (const [session, logId] of body.logs ?? []) {
    seq++;
    if (wanted(session)) slots.push({ kind: 'log', seq, at, sessionId: session, logId });
  }
  return slots;
}

/**
 * Wakes listeners after commits: a LISTEN connection of its own while
 * anyone listens (reconnected after a failure), and a poll of the latest id
 * that wakes them when it moved (what covers a lost connection). Wakes are
 * coalesced: one per turn of the event loop.
 */
class CommitWatcher {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private lastSeq: number | null = null;
  private wakePending = false;
  private running = false;

  constructor(
    private readonly url: string,
    private readonly pollIntervalMillis: number,
    private readonly latest: () => Promise<number>,
  ) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.running) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) void this.stop();
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.stop();
  }

  private start(): void {
    this.running = true;
    this.lastSeq = null;
    void this.poll();
    this.pollTimer = setInterval(() => void this.poll(), this.pollIntervalMillis);
    this.pollTimer.unref();
    void this.listen();
  }

  private async stop(): Promise<void> {
    this.running = false;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.pollTimer = null;
    this.reconnectTimer = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'skein listen' });
    this.client = client;
    const lost = (): void => {
      if (this.client !== client) return;
      this.client = null;
      void client.end().catch(() => undefined);
      // Commits during the outage are found by the poll; listening resumes later.
      if (this.running) {
        this.reconnectTimer = setTimeout(() => void this.listen(), this.pollIntervalMillis);
        this.reconnectTimer.unref();
      }
    };
    client.on('notification', () => this.wake());
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch {
      lost();
    }
  }

  private async poll(): Promise<void> {
    let seq: number;
    try {
      seq = await this.latest();
    } catch {
      // The database is unreachable: readers learn it when they read.
      return;
    }
    const previous = this.lastSeq;
    this.lastSeq = seq;
    if (previous !== null && seq !== previous) this.wake();
  }

  private wake(): void {
    if (this.wakePending || !this.running) return;
    this.wakePending = true;
    setImmediate(() => {
      this.wakePending = false;
      for (const listener of [...this.listeners]) listener();
    });
  }
}
