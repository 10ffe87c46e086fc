/**
 * Deleting sessions: one by one in one transaction (spans, traces, rollups,
 * and the session's log records and metric points go together or not at
 * all), and by age and count in chunks, one transaction each. A chunk holds
 * as many sessions as its advisory locks (one per session and one per trace
 * they hold) fit a share of the server's lock table (`lockBudgetOf`): one
 * transaction locking thousands of traces would overflow it (53200, out of
 * shared memory, max_locks_per_transaction) and fail the same way on every
 * run.
 *
 * Concurrency: the writer locks a batch's traces, then its sessions
 * (advisory-locks.ts), and reads what it needs under those locks. The
 * deleter takes the same locks in the same order: the traces of the doomed
 * sessions (their `traces` rows and the traces of their spans), then the
 * sessions; then it reads the traces again, and when a writer added one
 * meanwhile it starts over with that one locked too, so no writer goes on
 * from a trace or session row it read before the delete. Under the locks it
 * selects again, and deletes only the sessions that still qualify and that
 * it locked (a session that got new activity meanwhile stays).
 *
 * A session holding more traces than the budget cannot be deleted in one
 * transaction. The session lock alone would not do: a writer reads a
 * trace's row and its spans under the trace lock, before it asks for the
 * session lock, and would go on from those reads after the delete. So such
 * a session loses its traces a budget at a time, each step under the locks
 * of those traces and of the session, deleting the session's spans and
 * `traces` rows of those traces and rebuilding its rollup from the spans
 * left (readers see a consistent, smaller session); the last step deletes
 * what is left as above. A step for retention first selects the session
 * again: one that got new activity meanwhile keeps what it has left.
 */

import type pg from 'pg';
import type { RetentionPolicy, RetentionResult } from '../../model/query.js';
import { SessionNotFoundError, StoreError } from '../errors.js';
import { checkRetentionPolicy } from '../common/retention-policy.js';
import { lockSessions, lockTraces } from './advisory-locks.js';
import { inTransaction } from './connection.js';
import { PgSessionRollup } from './session-rollup.js';
import type { PgSignals } from './signal-store.js';

/** int8's least value: a cutoff older than any time stored. */
const MIN_INT8 = -(2n ** 63n);
/** Attempts at locking a set of sessions that writers keep adding traces to. */
const MAX_LOCK_ATTEMPTS = 5;
/** Most sessions retention deletes per transaction, however few traces they hold. */
export const RETENTION_CHUNK = 100;
/**
 * Most advisory locks a deletion transaction takes: a quarter of the
 * server's lock table (max_locks_per_transaction × connection slots; 64 ×
 * 100 by default, shared with every other transaction), at most this many
 * and at least MIN_LOCKS.
 */
export const MAX_LOCKS = 1000;
const MIN_LOCKS = 16;
const LOCK_TABLE_SQL = `SELECT current_setting('max_locks_per_transaction')::int8
  * (current_setting('max_connections')::int8 + current_setting('max_prepared_transactions')::int8) AS slots`;

/** The traces a set of sessions holds: their own, and those of their spans (a span keeps its own key in another's trace). */
const TRACES_OF_SQL = `SELECT trace_id FROM traces WHERE session_id = ANY($1::text[])
  UNION SELECT DISTINCT trace_id FROM spans WHERE resolved_session_id = ANY($1::text[])`;
/** How many traces (as TRACES_OF_SQL counts them) each of these sessions holds; a session with none is not listed. */
const TRACE_COUNTS_SQL = `SELECT session_id, count(*) AS n FROM (
    SELECT session_id, trace_id FROM traces WHERE session_id = ANY($1::text[])
    UNION SELECT resolved_session_id, trace_id FROM spans WHERE resolved_session_id = ANY($1::text[])) t
  GROUP BY session_id`;
/** Sessions whose traces are counted per statement. */
const COUNT_SLICE = 1000;

/**
 * The newest session beyond the newest `$1` of the sessions the default
 * list shows (its filter and order).
 */
const NEWEST_DROPPED_SQL = `SELECT session_id, last_activity_ns FROM sessions WHERE internal_count < span_count
  ORDER BY last_activity_ns DESC, session_id COLLATE "C" DESC OFFSET $1 LIMIT 1`;
/**
 * The sessions a policy selects ($1 the age's cutoff; $2, $3 the newest
 * dropped, null without one): idle past the age; shown and no newer than the
 * newest dropped in the list's order; of an agent's plumbing only and last
 * active no later than it.
 */
const SELECTED_WHERE = `(last_activity_ns < $1
  OR (internal_count < span_count AND (last_activity_ns, session_id COLLATE "C") <= ($2::bigint, $3::text))
  OR (internal_count >= span_count AND last_activity_ns <= $2::bigint))`;
const SELECTED_SQL = `SELECT session_id FROM sessions WHERE ${SELECTED_WHERE}`;
/** Of these sessions ($4), those a policy still selects. */
const STILL_SELECTED_SQL = `${SELECTED_SQL} AND session_id = ANY($4::text[])`;

/** What a policy selects by: the age's cutoff in nanoseconds, and the newest session dropped by count. */
interface Bounds {
  cutoff: bigint;
  newestDropped: { sessionId: string; lastActivityNs: bigint } | undefined;
}

export class PgSessionDeleter {
  private readonly rollup = new PgSessionRollup();

  constructor(
    private readonly pool: pg.Pool,
    private readonly signals: PgSignals,
  ) {}

  /** The session's spans, traces, rollups, log records and metric points; SessionNotFoundError when it has none of them. */
  async deleteSession(sessionId: string): Promise<void> {
    const budget = await this.lockBudget();
    const result = await this.deleteOne(sessionId, budget, async () => true);
    // A session known only from its log records or metric points (an agent that sends no spans) is one too.
    if (result.sessionsDeleted === 0 && result.logRecordsDeleted === 0 && result.metricPointsDeleted === 0) {
      throw new SessionNotFoundError(sessionId);
    }
  }

  /**
   * Selects the sessions once, then deletes them chunk by chunk, each chunk
   * under its locks and selected again there (a session that got new
   * activity meanwhile stays); then the old log records and metric points.
   * The counts are the sums.
   */
  async applyRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    const { maxAgeMillis, maxSessions } = checkRetentionPolicy(policy);
    const cutoff = cutoffOf(maxAgeMillis);
    const budget = await this.lockBudget();
    const client = await this.pool.connect();
    let selected: string[];
    let first: Bounds;
    const traces = new Map<string, number>();
    try {
      first = await boundsOf(client, cutoff, maxSessions);
      const { rows } = await client.query<{ session_id: string }>(SELECTED_SQL, boundParams(first));
      selected = rows.map((row) => row.session_id);
      for (let start = 0; start < selected.length; start += COUNT_SLICE) {
        const counted = await client.query<{ session_id: string; n: bigint }>(TRACE_COUNTS_SQL, [
          selected.slice(start, start + COUNT_SLICE),
        ]);
        for (const row of counted.rows) traces.set(row.session_id, Number(row.n));
      }
    } finally {
      client.release();
    }
    /** Under the locks, again: the sessions of `ids` a policy still selects (what a writer changed since is seen now). */
    const stillSelected = async (tx: pg.PoolClient, ids: readonly string[]): Promise<string[]> => {
      // The chunks deleted before lower the newest dropped; the first one stands.
      const bounds = newer(first, await boundsOf(tx, cutoff, maxSessions));
      const again = await tx.query<{ session_id: string }>(STILL_SELECTED_SQL, [...boundParams(bounds), ids]);
      return again.rows.map((row) => row.session_id);
    };
    const total: RetentionResult = { sessionsDeleted: 0, spansDeleted: 0, logRecordsDeleted: 0, metricPointsDeleted: 0 };
    for (const chunk of chunksOf(selected, traces, budget)) {
      const result =
        chunk.length === 1 && (traces.get(chunk[0]) ?? 0) + 1 > budget
          ? await this.deleteOne(chunk[0], budget, async (tx) => (await stillSelected(tx, chunk)).length > 0)
          : await this.inLockedTransaction(chunk, async (tx, locked) => this.deleteLocked(tx, await stillSelected(tx, locked)));
      addTo(total, result);
    }
    const old = await inTransaction(this.pool, async (tx) => this.signals.deleteOlderThan(tx, cutoff));
    total.logRecordsDeleted += old.logRecords;
    total.metricPointsDeleted += old.metricPoints;
    return total;
  }

  /** Most advisory locks one deletion transaction takes (MAX_LOCKS). */
  private async lockBudget(): Promise<number> {
    const { rows } = await this.pool.query<{ slots: bigint }>(LOCK_TABLE_SQL);
    return Math.max(MIN_LOCKS, Math.min(MAX_LOCKS, Math.floor(Number(rows[0].slots) / 4)));
  }

  /**
   * Deletes one session, `stillWanted` (under its locks) agreeing: in one
   * transaction when its traces fit `budget`, else a budget of its traces
   * at a time first (this file's comment). The counts are the sums.
   */
  private async deleteOne(
    sessionId: string,
    budget: number,
    stillWanted: (client: pg.PoolClient) => Promise<boolean>,
  ): Promise<RetentionResult> {
    const total: RetentionResult = { sessionsDeleted: 0, spansDeleted: 0, logRecordsDeleted: 0, metricPointsDeleted: 0 };
    // Once a step deleted the session's row, what is left of it goes whatever the policy says of a row no longer there.
    const wanted = async (client: pg.PoolClient): Promise<boolean> => total.sessionsDeleted > 0 || stillWanted(client);
    for (;;) {
      const step = await inTransaction(this.pool, async (client) => {
        // Sorted: a step takes the same traces whoever runs it, and the rest are left for the next.
        const traceIds = [...(await tracesOf(client, [sessionId]))].sort(compareIds);
        if (traceIds.length + 1 <= budget) return null;
        const some = traceIds.slice(0, budget - 1);
        await lockTraces(client, some);
        await lockSessions(client, [sessionId]);
        if (!(await wanted(client))) return 'kept' as const;
        const spans = await client.query('DELETE FROM spans WHERE resolved_session_id = $1 AND trace_id = ANY($2::text[])', [
          sessionId,
          some,
        ]);
        await client.query('DELETE FROM traces WHERE session_id = $1 AND trace_id = ANY($2::text[])', [sessionId, some]);
        // Deletes the session's row when no span of it is left (traces of its spans' own keys may remain): counted here.
        await this.rollup.recompute(client, [sessionId]);
        const left = await client.query('SELECT 1 FROM sessions WHERE session_id = $1', [sessionId]);
        return { spans: spans.rowCount ?? 0, sessions: left.rowCount === 0 ? 1 : 0 };
      });
      if (step === 'kept') return total;
      if (step === null) break;
      total.spansDeleted += step.spans;
      total.sessionsDeleted += step.sessions;
    }
    const last = await this.inLockedTransaction([sessionId], async (client, locked) =>
      this.deleteLocked(client, (await wanted(client)) ? locked : []),
    );
    addTo(total, last);
    return total;
  }

  /**
   * Runs `work` in a transaction holding the locks of `sessionIds` and of
   * every trace they hold, taken in the writer's order; starts over when a
   * trace joined them while it waited (the transaction that found it, which
   * changed nothing, ends).
   */
  private async inLockedTransaction<T>(
    sessionIds: readonly string[],
    work: (client: pg.PoolClient, locked: readonly string[]) => Promise<T>,
  ): Promise<T> {
    let traceIds: Set<string> | undefined;
    for (let attempt = 1; ; attempt++) {
      const outcome = await inTransaction(this.pool, async (client) => {
        const locking: Set<string> = traceIds ?? (await tracesOf(client, sessionIds));
        await lockTraces(client, locking);
        await lockSessions(client, sessionIds);
        const now = await tracesOf(client, sessionIds);
        const joined = [...now].filter((id) => !locking.has(id));
        if (joined.length === 0) return { done: true as const, result: await work(client, sessionIds) };
        if (attempt === MAX_LOCK_ATTEMPTS) {
          throw new StoreError(`sessions kept gaining traces while being deleted (${joined.length} new)`);
        }
        return { done: false as const, locking: new Set([...locking, ...joined]) };
      });
      if (outcome.done) return outcome.result;
      traceIds = outcome.locking;
    }
  }

  /** In a transaction holding the locks of these sessions: deletes them and what they hold; counts. */
  private async deleteLocked(client: pg.PoolClient, sessionIds: readonly string[]): Promise<RetentionResult> {
    if (sessionIds.length === 0) return { sessionsDeleted: 0, spansDeleted: 0, logRecordsDeleted: 0, metricPointsDeleted: 0 };
    const ids = [sessionIds];
    const signals = await this.signals.deleteOfSessions(client, sessionIds);
    // The generated full-text column goes with its row.
    const spans = await client.query('DELETE FROM spans WHERE resolved_session_id = ANY($1::text[])', ids);
    await client.query('DELETE FROM traces WHERE session_id = ANY($1::text[])', ids);
    await client.query('DELETE FROM session_models WHERE session_id = ANY($1::text[])', ids);
    const sessions = await client.query('DELETE FROM sessions WHERE session_id = ANY($1::text[])', ids);
    return {
      sessionsDeleted: sessions.rowCount ?? 0,
      spansDeleted: spans.rowCount ?? 0,
      logRecordsDeleted: signals.logRecords,
      metricPointsDeleted: signals.metricPoints,
    };
  }
}

/**
 * The sessions in order, in chunks whose locks (a session's own and its
 * traces') fit `budget`, of at most RETENTION_CHUNK sessions; a session
 * whose locks alone exceed it is a chunk of its own.
 */
function* chunksOf(sessionIds: readonly string[], traces: ReadonlyMap<string, number>, budget: number): Generator<string[]> {
  let chunk: string[] = [];
  let locks = 0;
  for (const id of sessionIds) {
    const cost = (traces.get(id) ?? 0) + 1;
    if (chunk.length > 0 && (locks + cost > budget || chunk.length >= RETENTION_CHUNK)) {
      yield chunk;
      chunk = [];
      locks = 0;
    }
    chunk.push(id);
    locks += cost;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Byte order of the UTF-8 encodings (code point order): PostgreSQL's
 * `COLLATE "C"` on a UTF-8 database and SQLite's BINARY. JavaScript's `<`
 * compares UTF-16 units, which differs past U+FFFF.
 */
export function compareIds(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

async function tracesOf(client: pg.PoolClient, sessionIds: readonly string[]): Promise<Set<string>> {
  const { rows } = await client.query<{ trace_id: string }>(TRACES_OF_SQL, [sessionIds]);
  return new Set(rows.map((row) => row.trace_id));
}

function addTo(total: RetentionResult, result: RetentionResult): void {
  total.sessionsDeleted += result.sessionsDeleted;
  total.spansDeleted += result.spansDeleted;
  total.logRecordsDeleted += result.logRecordsDeleted;
  total.metricPointsDeleted += result.metricPointsDeleted;
}

/** The age's cutoff in nanoseconds, clamped to int8. */
function cutoffOf(maxAgeMillis: number): bigint {
  const millis = BigInt(Math.floor(Date.now() - maxAgeMillis)) * 1_000_000n;
  return millis < MIN_INT8 ? MIN_INT8 : millis;
}

/**
 * What a policy selects by now:
 * - idle past the age, any session;
 * - beyond the newest `maxSessions` of the sessions the default list shows;
 *   a session of an agent's plumbing only is not counted, and goes with the
 *   sessions dropped: when last active no later than the newest of them
 *   (RetentionPolicy; the SQLite store's rule).
 */
async function boundsOf(client: pg.PoolClient, cutoff: bigint, maxSessions: number | undefined): Promise<Bounds> {
  if (maxSessions === undefined) return { cutoff, newestDropped: undefined };
  const { rows } = await client.query<{ session_id: string; last_activity_ns: bigint }>(NEWEST_DROPPED_SQL, [maxSessions]);
  const row = rows.at(0);
  return { cutoff, newestDropped: row && { sessionId: row.session_id, lastActivityNs: row.last_activity_ns } };
}

/** Of two bounds of one cutoff, the one whose newest dropped is newer in the list's order. */
function newer(a: Bounds, b: Bounds): Bounds {
  const x = a.newestDropped;
  const y = b.newestDropped;
  if (x === undefined) return b;
  if (y === undefined) return a;
  if (x.lastActivityNs !== y.lastActivityNs) return x.lastActivityNs > y.lastActivityNs ? a : b;
  // As NEWEST_DROPPED_SQL orders them (COLLATE "C").
  return compareIds(x.sessionId, y.sessionId) > 0 ? a : b;
}

function boundParams(bounds: Bounds): [bigint, bigint | null, string | null] {
  return [bounds.cutoff, bounds.newestDropped?.lastActivityNs ?? null, bounds.newestDropped?.sessionId ?? null];
}
