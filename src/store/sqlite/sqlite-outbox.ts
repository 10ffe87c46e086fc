import type Database from 'better-sqlite3';

import { DeadLetterNotFoundError } from '../outbox.js';
import type {
  EnqueueOptions, OutboxEntry, OutboxDepth, DeadLetter, OutboxQueue, OutboxSignalCount, DeadLetterRecord, ReplayedDeadLetter,
  DroppedQueue,
} from '../outbox.js';

export { DeadLetterNotFoundError } from '../outbox.js';
export type {
  EnqueueOptions, OutboxEntry, OutboxDepth, DeadLetter, OutboxQueue, OutboxSignalCount, DeadLetterRecord, ReplayedDeadLetter, DroppedQueue,
} from '../outbox.js';

interface Totals {
  entries: number;
  spans: number;
  bytes: number;
}

/**
 * The forwarding outbox, in the same SQLite file as the spans so that a
 * request is stored and queued in one commit (the tables come from the
 * store's migrations). Delivery state changes are single statements: a crash
 * at any point leaves each entry either queued or gone, never half-sent.
 *
 * Every signal shares an upstream's queue (one order, one bound); each
 * entry says which signal its payload is. Counts named `spans` count items:
 * spans, log records or metric data points.
 *
 * Depth (entries, spans, bytes per upstream) is counted once at open and then
 * kept in memory: the receiver checks the bound on every request, and summing
 * a 1 GiB queue takes most of a second.
 */
export class SqliteOutbox {
  private readonly insert;
  private readonly due;
  private readonly nextDue;
  private readonly remove;
  private readonly reschedule;
  private readonly toDead;
  private readonly totalsStmt;
  private readonly oldestStmt;
  private readonly deadStmt;
  private readonly deadCountStmt;
  private readonly queuesStmt;
  private readonly signalsStmt;
  private readonly deadFilteredStmt;
  private readonly deadByIdStmt;
  private readonly deadIdsStmt;
  private readonly requeue;
  private readonly dropQueued;
  private readonly dropDead;
  private readonly dropDeadById;
  private totals = new Map<string, Totals>();

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(
      `INSERT INTO outbox (upstream, signal, payload, span_count, enqueued_at, attempts, next_attempt_at)
       VALUES (@upstream, @signal, @payload, @spanCount, @now, 0, @now)`,
    );
    // Ordered by due time, which the (upstream, next_attempt_at) index serves
    // without a sort (ORDER BY id sorts the whole queue: ~50 ms at 1 GiB).
    // That is arrival order; the forwarder itself retries a failed entry
    // before newer ones, so only after a restart can one jump ahead of it.
    this.due = db.prepare(
      `SELECT id, upstream, signal, payload, span_count AS spanCount, enqueued_at AS enqueuedAtMillis, attempts
         FROM outbox WHERE upstream = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
    );
    this.nextDue = db.prepare(`SELECT MIN(next_attempt_at) AS at FROM outbox WHERE upstream = ?`);
    this.remove = db.prepare(
      `DELETE FROM outbox WHERE id = ? RETURNING upstream, span_count AS spans, LENGTH(payload) AS bytes`,
    );
    this.reschedule = db.prepare(
      `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = @nextAttemptAt, last_error = @error WHERE id = @id`,
    );
    const copyToDead = db.prepare(
      `INSERT INTO outbox_dead (upstream, signal, payload, span_count, enqueued_at, attempts, failed_at, status, response)
       SELECT upstream, signal, payload, span_count, enqueued_at, attempts + 1, ?, ?, ? FROM outbox WHERE id = ?`,
    );
    this.toDead = db.transaction((id: number, status: number | null, response: string, now: number) => {
      copyToDead.run(now, status, response, id);
      this.removeRow(id);
    });
    this.totalsStmt = db.prepare(
      `SELECT upstream, COUNT(*) AS entries, COALESCE(SUM(span_count), 0) AS spans,
              COALESCE(SUM(LENGTH(payload)), 0) AS bytes
         FROM outbox GROUP BY upstream`,
    );
    // MIN(id) is read from the covering index; ids grow with enqueue time.
    this.oldestStmt = db.prepare(
      `SELECT enqueued_at AS at FROM outbox WHERE id = (SELECT MIN(id) FROM outbox WHERE upstream = ?)`,
    );
    this.deadStmt = db.prepare(
      `SELECT id, upstream, signal, span_count AS spanCount, attempts, failed_at AS failedAtMillis, status, response
         FROM outbox_dead ORDER BY id DESC LIMIT ?`,
    );
    this.deadCountStmt = db.prepare(`SELECT upstream, COUNT(*) AS n FROM outbox_dead GROUP BY upstream`);
    this.queuesStmt = db.prepare(
      `SELECT upstream, SUM(entries) AS entries, SUM(spans) AS spans, SUM(bytes) AS bytes,
              MIN(oldest) AS oldestEnqueuedAtMillis, SUM(dead) AS deadLetters, SUM(dead_spans) AS deadSpans
         FROM (SELECT upstream, COUNT(*) AS entries, SUM(span_count) AS spans, SUM(LENGTH(payload)) AS bytes,
                      MIN(enqueued_at) AS oldest, 0 AS dead, 0 AS dead_spans
                 FROM outbox GROUP BY upstream
               UNION ALL
               SELECT upstream, 0, 0, 0, NULL, COUNT(*), SUM(span_count) FROM outbox_dead GROUP BY upstream)
        GROUP BY upstream ORDER BY upstream`,
    );
    this.signalsStmt = db.prepare(
      `SELECT upstream, signal, SUM(entries) AS entries, SUM(items) AS items, SUM(dead) AS deadLetters, SUM(dead_items) AS deadItems
         FROM (SELECT upstream, signal, COUNT(*) AS entries, SUM(span_count) AS items, 0 AS dead, 0 AS dead_items
                 FROM outbox GROUP BY upstream, signal
               UNION ALL
               SELECT upstream, signal, 0, 0, COUNT(*), SUM(span_count) FROM outbox_dead GROUP BY upstream, signal)
        GROUP BY upstream, signal ORDER BY upstream, signal`,
    );
    this.deadFilteredStmt = db.prepare(
      `SELECT id, upstream, signal, span_count AS spanCount, attempts, failed_at AS failedAtMillis, status, response
         FROM outbox_dead WHERE @upstream IS NULL OR upstream = @upstream ORDER BY id DESC LIMIT @limit`,
    );
    this.deadByIdStmt = db.prepare(
      `SELECT id, upstream, signal, span_count AS spanCount, attempts, failed_at AS failedAtMillis, status, response,
              enqueued_at AS enqueuedAtMillis, LENGTH(payload) AS bytes, payload
         FROM outbox_dead WHERE id = ?`,
    );
    this.deadIdsStmt = db.prepare(
      `SELECT id FROM outbox_dead WHERE @upstream IS NULL OR upstream = @upstream ORDER BY id`,
    );
    // Queued as if it had just arrived: due now, no attempts, enqueued now
    // (so ids keep growing with enqueue time, which the oldest-age read relies on).
    this.requeue = db.prepare(
      `INSERT INTO outbox (upstream, signal, payload, span_count, enqueued_at, attempts, next_attempt_at)
       SELECT upstream, signal, payload, span_count, @now, 0, @now FROM outbox_dead WHERE id = @id
       RETURNING id, upstream, signal, span_count AS spanCount, LENGTH(payload) AS bytes`,
    );
    this.dropQueued = db.prepare(
      `DELETE FROM outbox WHERE upstream = ? RETURNING span_count AS spans, LENGTH(payload) AS bytes`,
    );
    this.dropDead = db.prepare(`DELETE FROM outbox_dead WHERE upstream = ?`);
    this.dropDeadById = db.prepare(`DELETE FROM outbox_dead WHERE id = ?`);
    this.recount();
  }

  /**
   * Queues the payload (an encoded OTLP Export request of `options.signal`,
   * traces by default, holding `itemCount` items) for each upstream. Call
   * inside the transaction that stores the data; if that transaction rolls
   * back, call `recount()`.
   */
  enqueue(upstreams: readonly string[], payload: Uint8Array, itemCount: number, options: EnqueueOptions = {}): void {
    const { signal = 'traces', nowMillis = Date.now() } = options;
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    for (const upstream of upstreams) {
      this.insert.run({ upstream, signal, payload: bytes, spanCount: itemCount, now: nowMillis });
      this.adjust(upstream, 1, itemCount, bytes.byteLength);
    }
  }

  /** Another connection to the file (the collector's writer thread) queued this payload for each upstream: counted here too. */
  counted(upstreams: readonly string[], spanCount: number, bytes: number): void {
    for (const upstream of upstreams) this.adjust(upstream, 1, spanCount, bytes);
  }

  /** Re-reads the depth from the tables (at open, and after a rolled-back enqueue). */
  recount(): void {
    const rows = this.totalsStmt.all() as Array<Totals & { upstream: string }>;
    this.totals = new Map(rows.map(({ upstream, ...t }) => [upstream, t]));
  }

  /** Entries due now, earliest due first. */
  dueEntries(upstream: string, limit: number, nowMillis = Date.now()): OutboxEntry[] {
    return (this.due.all(upstream, nowMillis, limit) as Array<OutboxEntry & { payload: Buffer }>).map((row) => ({
      ...row,
      payload: new Uint8Array(row.payload.buffer, row.payload.byteOffset, row.payload.byteLength),
    }));
  }

  /** Milliseconds epoch of the next entry due for this upstream, or null when its queue is empty. */
  nextAttemptAt(upstream: string): number | null {
    const at = (this.nextDue.get(upstream) as { at: number | null }).at;
    // Empty in the table but not in memory: another process (`skein outbox drop`) removed rows.
    if (at === null && (this.totals.get(upstream)?.entries ?? 0) !== 0) this.recount();
    return at;
  }

  /** The upstream acknowledged it: it is never sent again. */
  delivered(id: number): void {
    this.removeRow(id);
  }

  /** Reschedules the entry; false when it is no longer queued (dropped by `skein outbox drop`). */
  retryLater(id: number, nextAttemptAtMillis: number, error: string): boolean {
    return this.reschedule.run({ id, nextAttemptAt: Math.ceil(nextAttemptAtMillis), error: error.slice(0, 2000) }).changes > 0;
  }

  /** A final refusal from the upstream: kept with its answer, no longer retried. */
  deadLetter(id: number, status: number | null, response: string, nowMillis = Date.now()): void {
    this.toDead(id, status, response.slice(0, 10_000), nowMillis);
  }

  /** Per upstream with anything queued. */
  depth(): OutboxDepth[] {
    const out: OutboxDepth[] = [];
    for (const [upstream, t] of this.totals) {
      if (t.entries === 0) continue;
      out.push({ upstream, ...t, oldestEnqueuedAtMillis: this.oldestEnqueuedAt(upstream) });
    }
    return out;
  }

  /** Bytes queued for one upstream (what the outbox bound is checked against). */
  queuedBytes(upstream: string): number {
    return this.totals.get(upstream)?.bytes ?? 0;
  }

  deadLetters(limit = 100): DeadLetter[] {
    return this.deadStmt.all(limit) as DeadLetter[];
  }

  deadLetterCounts(): Map<string, number> {
    const rows = this.deadCountStmt.all() as Array<{ upstream: string; n: number }>;
    return new Map(rows.map((r) => [r.upstream, r.n]));
  }

  /**
   * Every upstream with anything queued or dead, counted from the tables (not
   * the in-memory totals, which only this connection's changes keep current).
   */
  queues(): OutboxQueue[] {
    return this.queuesStmt.all() as OutboxQueue[];
  }

  /** Per upstream and signal, queued and dead, counted from the tables. */
  signalCounts(): OutboxSignalCount[] {
    return this.signalsStmt.all() as OutboxSignalCount[];
  }

  /** Newest first, optionally for one upstream. */
  listDeadLetters(options: { upstream?: string; limit?: number } = {}): DeadLetter[] {
    return this.deadFilteredStmt.all({ upstream: options.upstream ?? null, limit: options.limit ?? 100 }) as DeadLetter[];
  }

  /** One dead letter with its payload, or null when there is none with that id. */
  findDeadLetter(id: number): DeadLetterRecord | null {
    const row = this.deadByIdStmt.get(id) as (Omit<DeadLetterRecord, 'payload'> & { payload: Buffer }) | undefined;
    if (!row) return null;
    return { ...row, payload: new Uint8Array(row.payload.buffer, row.payload.byteOffset, row.payload.byteLength) };
  }

  /**
   * Moves dead letters back into their upstream's queue, due now with their
   * attempts reset, in the order they failed: the given ids, or every dead
   * letter (of one upstream). One transaction: an id that is not a dead
   * letter throws `DeadLetterNotFoundError` and nothing moves.
   */
  replayDead(target: readonly number[] | { upstream?: string }, nowMillis = Date.now()): ReplayedDeadLetter[] {
    const replay = this.db.transaction((): ReplayedDeadLetter[] => {
      let ids: number[];
      if (Array.isArray(target)) {
        ids = [...new Set(target as readonly number[])].sort((a, b) => a - b);
      } else {
        const { upstream } = target as { upstream?: string };
        ids = (this.deadIdsStmt.all({ upstream: upstream ?? null }) as Array<{ id: number }>).map((r) => r.id);
      }
      const moved: ReplayedDeadLetter[] = [];
      const missing: number[] = [];
      for (const deadId of ids) {
        const row = this.requeue.get({ id: deadId, now: nowMillis }) as Omit<ReplayedDeadLetter, 'deadId'> | undefined;
        if (!row) {
          missing.push(deadId);
          continue;
        }
        this.dropDeadById.run(deadId);
        moved.push({ deadId, ...row });
      }
      if (missing.length > 0) throw new DeadLetterNotFoundError(missing);
      return moved;
    });
    const moved = replay.immediate();
    for (const m of moved) this.adjust(m.upstream, 1, m.spanCount, m.bytes);
    return moved;
  }

  /** Deletes an upstream's queue and, with `dead`, its dead letters; returns what was deleted. */
  dropQueue(upstream: string, options: { dead?: boolean } = {}): DroppedQueue {
    const drop = this.db.transaction((): DroppedQueue => {
      const rows = this.dropQueued.all(upstream) as Array<{ spans: number; bytes: number }>;
      const deadLetters = options.dead === true ? this.dropDead.run(upstream).changes : 0;
      return {
        upstream,
        entries: rows.length,
        spans: rows.reduce((n, r) => n + r.spans, 0),
        bytes: rows.reduce((n, r) => n + r.bytes, 0),
        deadLetters,
      };
    });
    const dropped = drop.immediate();
    this.totals.delete(upstream);
    return dropped;
  }

  private oldestEnqueuedAt(upstream: string): number | null {
    return (this.oldestStmt.get(upstream) as { at: number } | undefined)?.at ?? null;
  }

  private removeRow(id: number): void {
    const row = this.remove.get(id) as { upstream: string; spans: number; bytes: number } | undefined;
    if (!row) return;
    this.adjust(row.upstream, -1, -row.spans, -row.bytes);
    // Below zero: the row was queued by another process (`skein outbox replay`) and never counted here.
    if ((this.totals.get(row.upstream)?.entries ?? 0) < 0) this.recount();
  }

  private adjust(upstream: string, entries: number, spans: number, bytes: number): void {
    const t = this.totals.get(upstream) ?? { entries: 0, spans: 0, bytes: 0 };
    t.entries += entries;
    t.spans += spans;
    t.bytes += bytes;
    this.totals.set(upstream, t);
  }
}
