/**
 * The forwarding outbox on PostgreSQL, shared by every collector replica
 * that writes the database (issue 18). The tables are `outbox-schema.ts`'s.
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { numberOption } from '../../model/option-values.js';
import { OTLP_SIGNALS } from '../../model/signals.js';
import type { OtlpSignal } from '../../model/signals.js';
import { DeadLetterNotFoundError } from '../outbox.js';
import type {
  DeadLetter, DeadLetterRecord, DroppedQueue, EnqueueOptions, OutboxDepth, OutboxEntry, OutboxQueue, OutboxSignalCount,
  ReplayedDeadLetter,
} from '../outbox.js';
import { OUTBOX_QUEUE_LOCK } from './advisory-locks.js';
import { inTransaction } from './connection.js';
import { prepared } from './query-params.js';

const OWNER = 'PgOutbox';
/** A whole number that int8 and JavaScript both hold exactly. */
const SAFE_INTEGER = { integer: true, min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };

/** `pg_advisory_xact_lock(kind, key)` kind of the outbox's queues (reserved in advisory-locks.ts). */
const QUEUE_LOCK = OUTBOX_QUEUE_LOCK;

/** The database's clock in epoch millis: leases are measured on it alone, so replicas' clocks need not agree. */
const DB_NOW = '(extract(epoch FROM clock_timestamp()) * 1000)::int8';

/** A live claim of another replica on an entry of queue (`$1` upstream, `q.signal`), `$2` being this replica. */
const HELD_ELSEWHERE = `h.upstream = $1 AND h.signal = q.signal AND h.claimed_by IS NOT NULL
   AND h.claimed_by <> $2 AND h.claimed_until > clock.now_ms`;

/**
 * The advisory lock key of queue (upstream, signal): every statement that
 * locks a queue must hash the same text. Two queues whose texts share a hash
 * share a lock: claimed one at a time, never wrongly.
 */
function queueKey(upstream: string, signal: string): string {
  return `hashtext(${upstream} || E'\\n' || ${signal})`;
}

/**
 * Try-locks each queue of the upstream for this transaction; returns those it
 * got. A queue another replica is claiming at this instant is skipped, not
 * waited for: that replica will hold it anyway.
 */
const LOCK_QUEUES = `SELECT q.signal FROM unnest($2::text[]) AS q(signal)
  WHERE pg_try_advisory_xact_lock($3::int4, ${queueKey('$1', 'q.signal')})`;

/**
 * Locks the queue of entry `$1` for this transaction (nothing when the entry
 * is gone), so that no claim of that queue runs between the holder's lease
 * check and its change: a claim decided on a snapshot from before a retry
 * would otherwise take the retried entry before it is due.
 */
const LOCK_QUEUE_OF = `SELECT pg_advisory_xact_lock($2::int4, ${queueKey('upstream', 'signal')}) FROM outbox WHERE id = $1`;

/**
 * Claims, for each queue of the upstream (`$3` the signals locked by
 * LOCK_QUEUES) that no other replica holds, the run of due entries at its
 * head, oldest first; at most `$5` in all. Must be a statement of its own
 * after LOCK_QUEUES: its snapshot then includes every claim committed by a
 * replica that held the lock before.
 */
const CLAIM = `WITH clock AS (SELECT ${DB_NOW} AS now_ms),
free AS (
  SELECT q.signal FROM unnest($3::text[]) AS q(signal)
   WHERE NOT EXISTS (SELECT 1 FROM outbox h, clock WHERE ${HELD_ELSEWHERE})
),
heads AS (
  SELECT c.id, bool_and(c.next_attempt_at <= $4::int8) OVER (PARTITION BY f.signal ORDER BY c.id) AS due
    FROM free f
   CROSS JOIN LATERAL (
     SELECT o.id, o.next_attempt_at FROM outbox o WHERE o.upstream = $1 AND o.signal = f.signal ORDER BY o.id LIMIT $5
   ) c
),
chosen AS (SELECT id FROM heads WHERE due ORDER BY id LIMIT $5)
UPDATE outbox o SET claimed_by = $2, claimed_until = clock.now_ms + $6::int8
  FROM chosen, clock
 WHERE o.id = chosen.id
RETURNING o.id, o.upstream, o.signal, o.payload, o.span_count, o.enqueued_at, o.attempts`;

/**
 * Per queue of the upstream, when this replica may claim its head: when the
 * head is due, and not before another replica's lease on the queue ends
 * (that lease measured on the database's clock, moved to the caller's).
 */
const NEXT_ATTEMPT = `WITH clock AS (SELECT ${DB_NOW} AS now_ms),
queues AS (
  SELECT (SELECT o.next_attempt_at FROM outbox o WHERE o.upstream = $1 AND o.signal = q.signal ORDER BY o.id LIMIT 1) AS due_at,
         (SELECT max(h.claimed_until - clock.now_ms) FROM outbox h, clock WHERE ${HELD_ELSEWHERE}) AS held_for
    FROM unnest($3::text[]) AS q(signal)
)
SELECT min(greatest(due_at, $4::int8 + COALESCE(held_for, 0))) AS at FROM queues WHERE due_at IS NOT NULL`;

/**
 * Reschedules an entry this replica holds on a live lease, and ends its
 * claims on the rest of that queue: nothing behind the entry may go first,
 * so whichever replica is free when it is due takes the queue.
 */
const RETRY = `WITH clock AS (SELECT ${DB_NOW} AS now_ms),
retried AS (
  UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = $2::int8, last_error = $3,
                      claimed_by = NULL, claimed_until = NULL
    FROM clock
   WHERE o.id = $1 AND o.claimed_by = $4 AND o.claimed_until > clock.now_ms
  RETURNING o.upstream, o.signal
),
released AS (
  UPDATE outbox o SET claimed_by = NULL, claimed_until = NULL
    FROM retried
   WHERE o.upstream = retried.upstream AND o.signal = retried.signal AND o.claimed_by = $4 AND o.id <> $1
)
SELECT count(*) AS n FROM retried`;

/** Moves an entry this replica holds on a live lease to the dead letters, in one statement. */
const TO_DEAD = `WITH clock AS (SELECT ${DB_NOW} AS now_ms),
moved AS (
  DELETE FROM outbox o USING clock
   WHERE o.id = $1 AND o.claimed_by = $5 AND o.claimed_until > clock.now_ms
  RETURNING o.upstream, o.signal, o.payload, o.span_count, o.enqueued_at, o.attempts
)
INSERT INTO outbox_dead (upstream, signal, payload, span_count, enqueued_at, attempts, failed_at, status, response)
SELECT upstream, signal, payload, span_count, enqueued_at, attempts + 1, $4::int8, $2::int4, $3 FROM moved`;

/**
 * Deletes an entry whoever holds it (the upstream has it); returns whether
 * this replica ($2) still held it on a live lease, read from the row deleted.
 */
const DELIVERED = `DELETE FROM outbox WHERE id = $1
  RETURNING coalesce(claimed_by = $2 AND claimed_until > ${DB_NOW}, false) AS held`;

const INSERT = `INSERT INTO outbox (upstream, signal, payload, span_count, enqueued_at, attempts, next_attempt_at)
SELECT u, $2, $3, $4, $5::int8, 0, $5::int8 FROM unnest($1::text[]) AS u`;

const DEPTH = `SELECT upstream, count(*) AS entries, sum(span_count) AS spans, sum(octet_length(payload)) AS bytes,
       min(enqueued_at) AS oldest
  FROM outbox GROUP BY upstream ORDER BY upstream COLLATE "C"`;

const QUEUES = `SELECT upstream, COALESCE(q.entries, 0) AS entries, COALESCE(q.spans, 0) AS spans, COALESCE(q.bytes, 0) AS bytes,
       q.oldest, COALESCE(d.dead, 0) AS dead, COALESCE(d.dead_spans, 0) AS dead_spans
  FROM (SELECT upstream, count(*) AS entries, sum(span_count) AS spans, sum(octet_length(payload)) AS bytes,
               min(enqueued_at) AS oldest
          FROM outbox GROUP BY upstream) q
  FULL JOIN (SELECT upstream, count(*) AS dead, sum(span_count) AS dead_spans FROM outbox_dead GROUP BY upstream) d
 USING (upstream)
 ORDER BY upstream COLLATE "C"`;

const SIGNAL_COUNTS = `SELECT upstream, signal, COALESCE(q.entries, 0) AS entries, COALESCE(q.items, 0) AS items,
       COALESCE(d.dead, 0) AS dead, COALESCE(d.dead_items, 0) AS dead_items
  FROM (SELECT upstream, signal, count(*) AS entries, sum(span_count) AS items FROM outbox GROUP BY upstream, signal) q
  FULL JOIN (SELECT upstream, signal, count(*) AS dead, sum(span_count) AS dead_items
               FROM outbox_dead GROUP BY upstream, signal) d
 USING (upstream, signal)
 ORDER BY upstream COLLATE "C", signal COLLATE "C"`;

const DEAD_COLUMNS = 'id, upstream, signal, span_count, attempts, failed_at, status, response';

/** Queued as if it had just arrived: due now, no attempts, a new (last) id. */
const REQUEUE = `WITH moved AS (DELETE FROM outbox_dead WHERE id = $1 RETURNING upstream, signal, payload, span_count)
INSERT INTO outbox (upstream, signal, payload, span_count, enqueued_at, attempts, next_attempt_at)
SELECT upstream, signal, payload, span_count, $2::int8, 0, $2::int8 FROM moved
RETURNING id, upstream, signal, span_count, octet_length(payload) AS bytes`;

const DROP_QUEUED = `WITH gone AS (DELETE FROM outbox WHERE upstream = $1 RETURNING span_count, octet_length(payload) AS bytes)
SELECT count(*) AS entries, COALESCE(sum(span_count), 0) AS spans, COALESCE(sum(bytes), 0) AS bytes FROM gone`;

/** What node-postgres gives for int8 (bigint), numeric (string) and int4 (number) columns. */
type PgNumber = bigint | string | number;

interface EntryRow {
  id: bigint;
  upstream: string;
  signal: OtlpSignal;
  payload: Buffer;
  span_count: number;
  enqueued_at: bigint;
  attempts: number;
}

interface DeadRow {
  id: bigint;
  upstream: string;
  signal: OtlpSignal;
  span_count: number;
  attempts: number;
  failed_at: bigint;
  status: number | null;
  response: string;
}

function bytesOf(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function entryOf(row: EntryRow): OutboxEntry {
  return {
    id: Number(row.id),
    upstream: row.upstream,
    signal: row.signal,
    payload: bytesOf(row.payload),
    spanCount: row.span_count,
    enqueuedAtMillis: Number(row.enqueued_at),
    attempts: row.attempts,
  };
}

function deadLetterOf(row: DeadRow): DeadLetter {
  return {
    id: Number(row.id),
    upstream: row.upstream,
    signal: row.signal,
    spanCount: row.span_count,
    attempts: row.attempts,
    failedAtMillis: Number(row.failed_at),
    status: row.status,
    response: row.response,
  };
}

export interface PgOutboxOptions {
  /**
   * Names this replica in its claims; unique per running collector (two
   * outboxes with one id would share their claims). Default: host name,
   * process id and a random UUID.
   */
  replicaId?: string;
}

/**
 * The forwarding outbox in the PostgreSQL database that holds the spans:
 * `enqueueIn` queues a request inside the transaction that stores its data,
 * so both commit or neither does. Every signal of an upstream is queued;
 * counts named `spans` count items (spans, log records or metric points).
 *
 * Several replicas deliver from one outbox. A queue is one (upstream,
 * signal); its entries go in id order. A replica sends only entries that
 * `claimDue` handed it, on a lease (`claimed_by`, `claimed_until`, measured
 * on the database's clock). What holds:
 *
 * - One holder per queue: `claimDue` claims a queue's head (its oldest
 *   entries, as long as they are due) only when no other replica has a live
 *   lease on any entry of that queue, under a per-queue advisory lock, so
 *   two replicas never hold leases in one queue at once. `retryLater` and
 *   `deadLetter` check the lease under the same lock. Other queues of the
 *   upstream are claimed independently (signals are delivered in parallel).
 * - Order: the holder sends its claimed entries in id order, stopping at the
 *   first one that fails; a retried entry blocks its queue until it is due,
 *   delivered or dead-lettered. So an entry committed before another was
 *   enqueued (same queue) is done before that one is sent. Entries enqueued
 *   by concurrent transactions have no order among them: a lower id that
 *   commits late is sent after a higher one already sent.
 * - Exactly once, except across one window: an attempt that ends after its
 *   lease (the replica crashed, hung or lost the database after sending,
 *   before `delivered` committed) may be sent again by the replica that
 *   takes the queue over, and that one may send entries behind it before the
 *   late `delivered` lands. The lease must therefore exceed the attempt's
 *   timeout with a margin, and a replica claims again (renewing its lease)
 *   before each attempt rather than sending from an old claim.
 * - A replica whose lease has expired cannot act on the entry:
 *   `retryLater` and `deadLetter` then change nothing and return false (the
 *   new holder decides). `delivered` removes the entry whoever holds it
 *   (the upstream has it, so sending it again helps nobody), and returns
 *   false when the lease had expired: the entry may have been sent twice.
 *
 * Due times (`nextAttemptAtMillis`, enqueue times) are the callers' clocks,
 * as in SQLite; a replica whose clock is ahead retries a little early.
 * Depth, queued bytes and the `skein outbox` counts are read from the tables
 * on every call (every replica changes them), in time proportional to the
 * queue's length.
 */
export class PgOutbox {
  readonly replicaId: string;

  constructor(
    private readonly pool: pg.Pool,
    options: PgOutboxOptions = {},
  ) {
    this.replicaId = options.replicaId ?? `${hostname()}:${process.pid}:${randomUUID()}`;
  }

  /** Queues the payload for each upstream on the outbox's pool, in a commit of its own. */
  async enqueue(upstreams: readonly string[], payload: Uint8Array, itemCount: number, options: EnqueueOptions = {}): Promise<void> {
    await this.insert(this.pool, upstreams, payload, itemCount, options);
  }

  /**
   * Queues the payload (an encoded OTLP Export request of `options.signal`,
   * traces by default, holding `itemCount` items) for each upstream on
   * `client`, inside the caller's transaction that stores the data: it
   * commits or rolls back with them.
   */
  async enqueueIn(
    client: pg.PoolClient,
    upstreams: readonly string[],
    payload: Uint8Array,
    itemCount: number,
    options: EnqueueOptions = {},
  ): Promise<void> {
    await this.insert(client, upstreams, payload, itemCount, options);
  }

  /**
   * Claims for this replica, for `leaseMillis`, up to `limit` entries of the
   * upstream that are due at `nowMillis`: of each queue (signal) that no
   * other replica holds, the due entries at its head. Oldest first. Entries
   * this replica already holds are handed out again with a renewed lease;
   * the entries it does not get back stay claimed until their lease ends.
   */
  async claimDue(upstream: string, limit: number, leaseMillis: number, nowMillis = Date.now()): Promise<OutboxEntry[]> {
    numberOption(OWNER, 'limit', limit, 1, { min: 1, integer: true });
    numberOption(OWNER, 'leaseMillis', leaseMillis, 1, { min: 1, max: 86_400_000, integer: true });
    const rows = await inTransaction(this.pool, async (client) => {
      const locked = await client.query<{ signal: string }>(prepared(LOCK_QUEUES, [upstream, [...OTLP_SIGNALS], QUEUE_LOCK]));
      if (locked.rows.length === 0) return [];
      const signals = locked.rows.map((r) => r.signal);
      const claimed = await client.query<EntryRow>(
        prepared(CLAIM, [upstream, this.replicaId, signals, Math.floor(nowMillis), limit, leaseMillis]),
      );
      return claimed.rows;
    });
    return rows.map(entryOf).sort((a, b) => a.id - b.id);
  }

  /**
   * When (epoch millis, the caller's clock) this replica may next claim an
   * entry of the upstream: its earliest queue head's due time, or for a queue
   * another replica holds, not before that lease ends. Null when nothing is queued.
   */
  async nextAttemptAt(upstream: string, nowMillis = Date.now()): Promise<number | null> {
    const result = await this.pool.query<{ at: bigint | null }>(
      prepared(NEXT_ATTEMPT, [upstream, this.replicaId, [...OTLP_SIGNALS], Math.floor(nowMillis)]),
    );
    const at = result.rows[0]?.at ?? null;
    return at === null ? null : Number(at);
  }

  /**
   * The upstream acknowledged it: it is never sent again. True when this
   * replica still held its lease; false when it was no longer queued, or its
   * lease had expired (another replica may have taken it over and sent it
   * too): the entry is deleted all the same.
   */
  async delivered(id: number): Promise<boolean> {
    const result = await this.pool.query<{ held: boolean }>(prepared(DELIVERED, [id, this.replicaId]));
    return result.rows[0]?.held === true;
  }

  /**
   * Reschedules an entry this replica holds, ending its claims on that
   * queue. False when it is no longer queued (dropped) or its lease has
   * expired (another replica may hold it now): nothing changed.
   */
  async retryLater(id: number, nextAttemptAtMillis: number, error: string): Promise<boolean> {
    const result = await this.inQueueLock(id, prepared(RETRY, [id, Math.ceil(nextAttemptAtMillis), error.slice(0, 2000), this.replicaId]));
    return (result.rows[0] as { n: bigint }).n > 0n;
  }

  /**
   * A final refusal from the upstream: the entry this replica holds is kept
   * with its answer and no longer retried. False, changing nothing, when it
   * is no longer queued or its lease has expired.
   */
  async deadLetter(id: number, status: number | null, response: string, nowMillis = Date.now()): Promise<boolean> {
    const result = await this.inQueueLock(
      id,
      prepared(TO_DEAD, [id, status, response.slice(0, 10_000), Math.floor(nowMillis), this.replicaId]),
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** Ends every claim of this replica (a graceful stop): other replicas take its queues without waiting for the leases. */
  async releaseClaims(): Promise<number> {
    const result = await this.pool.query(
      prepared('UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1', [this.replicaId]),
    );
    return result.rowCount ?? 0;
  }

  /** Per upstream with anything queued. */
  async depth(): Promise<OutboxDepth[]> {
    const result = await this.pool.query<{ upstream: string; entries: bigint; spans: bigint; bytes: bigint; oldest: bigint }>(
      prepared(DEPTH, []),
    );
    return result.rows.map((r) => ({
      upstream: r.upstream,
      entries: Number(r.entries),
      spans: Number(r.spans),
      bytes: Number(r.bytes),
      oldestEnqueuedAtMillis: Number(r.oldest),
    }));
  }

  /** Bytes queued for one upstream (what the outbox bound is checked against). */
  async queuedBytes(upstream: string): Promise<number> {
    const result = await this.pool.query<{ bytes: bigint }>(
      prepared('SELECT COALESCE(sum(octet_length(payload)), 0)::int8 AS bytes FROM outbox WHERE upstream = $1', [upstream]),
    );
    return Number(result.rows[0].bytes);
  }

  /** Newest first. */
  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    return this.listDeadLetters({ limit });
  }

  async deadLetterCounts(): Promise<Map<string, number>> {
    const result = await this.pool.query<{ upstream: string; n: bigint }>(
      prepared('SELECT upstream, count(*) AS n FROM outbox_dead GROUP BY upstream', []),
    );
    return new Map(result.rows.map((r) => [r.upstream, Number(r.n)]));
  }

  /** Every upstream with anything queued or dead. */
  async queues(): Promise<OutboxQueue[]> {
    const result = await this.pool.query<{
      upstream: string;
      entries: PgNumber;
      spans: PgNumber;
      bytes: PgNumber;
      oldest: bigint | null;
      dead: PgNumber;
      dead_spans: PgNumber;
    }>(prepared(QUEUES, []));
    return result.rows.map((r) => ({
      upstream: r.upstream,
      entries: Number(r.entries),
      spans: Number(r.spans),
      bytes: Number(r.bytes),
      oldestEnqueuedAtMillis: r.oldest === null ? null : Number(r.oldest),
      deadLetters: Number(r.dead),
      deadSpans: Number(r.dead_spans),
    }));
  }

  /** Per upstream and signal, queued and dead. */
  async signalCounts(): Promise<OutboxSignalCount[]> {
    const result = await this.pool.query<{
      upstream: string;
      signal: OtlpSignal;
      entries: PgNumber;
      items: PgNumber;
      dead: PgNumber;
      dead_items: PgNumber;
    }>(prepared(SIGNAL_COUNTS, []));
    return result.rows.map((r) => ({
      upstream: r.upstream,
      signal: r.signal,
      entries: Number(r.entries),
      items: Number(r.items),
      deadLetters: Number(r.dead),
      deadItems: Number(r.dead_items),
    }));
  }

  /** Newest first, optionally for one upstream; at most `limit` (100), all of them when negative (as SQLite's LIMIT). */
  async listDeadLetters(options: { upstream?: string; limit?: number } = {}): Promise<DeadLetter[]> {
    const limit = numberOption(OWNER, 'limit', options.limit, 100, SAFE_INTEGER);
    const result = await this.pool.query<DeadRow>(
      prepared(
        // LIMIT NULL is no limit.
        `SELECT ${DEAD_COLUMNS} FROM outbox_dead WHERE $1::text IS NULL OR upstream = $1 ORDER BY id DESC LIMIT $2`,
        [options.upstream ?? null, limit < 0 ? null : limit],
      ),
    );
    return result.rows.map(deadLetterOf);
  }

  /** One dead letter with its payload, or null when there is none with that id. */
  async findDeadLetter(id: number): Promise<DeadLetterRecord | null> {
    const result = await this.pool.query<DeadRow & { enqueued_at: bigint; bytes: number; payload: Buffer }>(
      prepared(
        `SELECT ${DEAD_COLUMNS}, enqueued_at, octet_length(payload) AS bytes, payload FROM outbox_dead WHERE id = $1`,
        [id],
      ),
    );
    const row = result.rows[0];
    if (!row) return null;
    return { ...deadLetterOf(row), enqueuedAtMillis: Number(row.enqueued_at), bytes: row.bytes, payload: bytesOf(row.payload) };
  }

  /**
   * Moves dead letters back into their upstream's queue, due now with their
   * attempts reset, in the order they failed: the given ids, or every dead
   * letter (of one upstream). One transaction: an id that is not a dead
   * letter (or that a concurrent replay moved first) throws
   * `DeadLetterNotFoundError` and nothing moves; one that is not a whole
   * number throws `OptionValueError`.
   */
  async replayDead(target: readonly number[] | { upstream?: string }, nowMillis = Date.now()): Promise<ReplayedDeadLetter[]> {
    return inTransaction(this.pool, async (client) => {
      let ids: number[];
      if (Array.isArray(target)) {
        ids = [...new Set(target as readonly number[])].sort((a, b) => a - b);
        for (const id of ids) numberOption(OWNER, 'ids', id, id, SAFE_INTEGER);
      } else {
        const { upstream } = target as { upstream?: string };
        const rows = await client.query<{ id: bigint }>(
          prepared('SELECT id FROM outbox_dead WHERE $1::text IS NULL OR upstream = $1 ORDER BY id', [upstream ?? null]),
        );
        ids = rows.rows.map((r) => Number(r.id));
      }
      const moved: ReplayedDeadLetter[] = [];
      const missing: number[] = [];
      for (const deadId of ids) {
        const result = await client.query<{ id: bigint; upstream: string; signal: OtlpSignal; span_count: number; bytes: number }>(
          prepared(REQUEUE, [deadId, Math.floor(nowMillis)]),
        );
        const row = result.rows[0];
        if (!row) {
          missing.push(deadId);
          continue;
        }
        moved.push({ deadId, id: Number(row.id), upstream: row.upstream, signal: row.signal, spanCount: row.span_count, bytes: row.bytes });
      }
      if (missing.length > 0) throw new DeadLetterNotFoundError(missing);
      return moved;
    });
  }

  /**
   * Deletes an upstream's queue and, with `dead`, its dead letters; returns
   * what was deleted. A replica delivering one of those entries meanwhile
   * finds it gone (`retryLater` and `deadLetter` return false).
   */
  async dropQueue(upstream: string, options: { dead?: boolean } = {}): Promise<DroppedQueue> {
    return inTransaction(this.pool, async (client) => {
      // Dead letters first: a `replayDead` committing between the two deletes would otherwise put one back
      // in the queue just emptied. Deleted first, a dead letter is either replayed before (and its entry goes
      // with the queue) or gone when a replay looks for it.
      const dead = options.dead === true
        ? ((await client.query(prepared('DELETE FROM outbox_dead WHERE upstream = $1', [upstream]))).rowCount ?? 0)
        : 0;
      const queued = await client.query<{ entries: bigint; spans: PgNumber; bytes: PgNumber }>(prepared(DROP_QUEUED, [upstream]));
      const { entries, spans, bytes } = queued.rows[0];
      return { upstream, entries: Number(entries), spans: Number(spans), bytes: Number(bytes), deadLetters: dead };
    });
  }

  /**
   * Runs `statement` holding the lock of entry `id`'s queue, in a snapshot
   * taken after the lock (`inTransaction` is READ COMMITTED, whatever the
   * database's default isolation).
   */
  private async inQueueLock(id: number, statement: pg.QueryConfig): Promise<pg.QueryResult> {
    return inTransaction(this.pool, async (client) => {
      await client.query(prepared(LOCK_QUEUE_OF, [id, QUEUE_LOCK]));
      return client.query(statement);
    });
  }

  private async insert(
    db: pg.Pool | pg.PoolClient,
    upstreams: readonly string[],
    payload: Uint8Array,
    itemCount: number,
    options: EnqueueOptions,
  ): Promise<void> {
    if (upstreams.length === 0) return;
    const { signal = 'traces', nowMillis = Date.now() } = options;
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    await db.query(prepared(INSERT, [[...upstreams], signal, bytes, itemCount, Math.floor(nowMillis)]));
  }
}
