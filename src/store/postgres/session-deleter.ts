/**
 * Deleting sessions: one by one in one transaction (spans, traces, rollups,
 * and the session's log records and metric points go together or not at
 * all), and by age and count in chunks of sessions, one transaction each:
 * one transaction locking thousands of sessions and traces would overflow
 * PostgreSQL's lock table (53200, max_locks_per_transaction), and fail the
 * same way on every run.
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
 */

import type pg from 'pg';
import type { RetentionPolicy, RetentionResult } from '../../model/query.js';
import { SessionNotFoundError, StoreError } from '../errors.js';
import { checkRetentionPolicy } from '../common/retention-policy.js';
import { lockSessions, lockTraces } from './advisory-locks.js';
import { inTransaction } from './connection.js';
import type { PgSignals } from './signal-store.js';

/** int8's least value: a cutoff older than any time stored. */
const MIN_INT8 = -(2n ** 63n);
/** Attempts at locking a set of sessions that writers keep adding traces to. */
const MAX_LOCK_ATTEMPTS = 5;
/**
 * Sessions retention deletes per transaction: their locks, and those of
 * their traces, fit a default lock table (64 per connection) shared with
 * other writers.
 */
export const RETENTION_CHUNK = 100;

/** The traces a set of sessions holds: their own, and those of their spans (a span keeps its own key in another's trace). */
const TRACES_OF_SQL = `SELECT trace_id FROM traces WHERE session_id = ANY($1::text[])
  UNION SELECT DISTINCT trace_id FROM spans WHERE resolved_session_id = ANY($1::text[])`;

/**
 * The newest session beyond the newest `$1` of the sessions the default
 * list shows (its filter and order).
 */
const NEWEST_DROPPED_SQL = `SELECT session_id, last_activity_ns FROM sessions WHERE internal_count < span_count
  ORDER BY last_activity_ns DESC, session_id DESC OFFSET $1 LIMIT 1`;
/**
 * The sessions a policy selects ($1 the age's cutoff; $2, $3 the newest
 * dropped, null without one): idle past the age; shown and no newer than the
 * newest dropped in the list's order; of an agent's plumbing only and last
 * active no later than it.
 */
const SELECTED_WHERE = `(last_activity_ns < $1
  OR (internal_count < span_count AND (last_activity_ns, session_id) <= ($2::bigint, $3::text))
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
  constructor(
    private readonly pool: pg.Pool,
    private readonly signals: PgSignals,
  ) {}

  /** The session's spans, traces, rollups, log records and metric points; SessionNotFoundError when it has none of them. */
  async deleteSession(sessionId: string): Promise<void> {
    const result = await this.inLockedTransaction([sessionId], async (client, locked) => this.deleteLocked(client, locked));
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
    const client = await this.pool.connect();
    let selected: string[];
    let first: Bounds;
    try {
      first = await boundsOf(client, cutoff, maxSessions);
      const { rows } = await client.query<{ session_id: string }>(SELECTED_SQL, boundParams(first));
      selected = rows.map((row) => row.session_id);
    } finally {
      client.release();
    }
    const total: RetentionResult = { sessionsDeleted: 0, spansDeleted: 0, logRecordsDeleted: 0, metricPointsDeleted: 0 };
    for (let start = 0; start < selected.length; start += RETENTION_CHUNK) {
      const chunk = selected.slice(start, start + RETENTION_CHUNK);
      const result = await this.inLockedTransaction(chunk, async (client, locked) => {
        // Under the locks, again: what a writer changed since is seen now. The
        // chunks deleted before lower the newest dropped; the first one stands.
        const bounds = newer(first, await boundsOf(client, cutoff, maxSessions));
        const again = await client.query<{ session_id: string }>(STILL_SELECTED_SQL, [...boundParams(bounds), locked]);
        return this.deleteLocked(
          client,
          again.rows.map((row) => row.session_id),
        );
      });
      addTo(total, result);
    }
    const old = await inTransaction(this.pool, async (client) => this.signals.deleteOlderThan(client, cutoff));
    total.logRecordsDeleted += old.logRecords;
    total.metricPointsDeleted += old.metricPoints;
    return total;
  }

  /**
   * Runs `work` in a transaction holding the locks of `sessionIds` and of
   * every trace they hold, taken in the writer's order; starts over when a
   * trace joined them while it waited.
   */
  private async inLockedTransaction<T>(
    sessionIds: readonly string[],
    work: (client: pg.PoolClient, locked: readonly string[]) => Promise<T>,
  ): Promise<T> {
    const client = await this.pool.connect();
    try {
      let traceIds = new Set<string>();
      for (let attempt = 1; ; attempt++) {
        await client.query('BEGIN');
        try {
          if (attempt === 1) traceIds = await tracesOf(client, sessionIds);
          await lockTraces(client, traceIds);
          await lockSessions(client, sessionIds);
          const now = await tracesOf(client, sessionIds);
          const joined = [...now].filter((id) => !traceIds.has(id));
          if (joined.length === 0 || attempt === MAX_LOCK_ATTEMPTS) {
            if (joined.length > 0) throw new StoreError(`sessions kept gaining traces while being deleted (${joined.length} new)`);
            const result = await work(client, sessionIds);
            await client.query('COMMIT');
            return result;
          }
          for (const id of joined) traceIds.add(id);
          await client.query('ROLLBACK');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }
    } finally {
      client.release();
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
  return x.sessionId > y.sessionId ? a : b;
}

function boundParams(bounds: Bounds): [bigint, bigint | null, string | null] {
  return [bounds.cutoff, bounds.newestDropped?.lastActivityNs ?? null, bounds.newestDropped?.sessionId ?? null];
}
