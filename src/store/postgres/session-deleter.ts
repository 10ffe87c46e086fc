/**
 * Deleting sessions: one by one, and by age and count, each call in one
 * transaction (spans, traces, rollups, and the sessions' log records and
 * metric points go together or not at all).
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
import { InvalidQueryError, SessionNotFoundError, StoreError } from '../errors.js';
import { DEFAULT_MAX_AGE_MILLIS } from '../common/store-defaults.js';
import { lockSessions, lockTraces } from './advisory-locks.js';
import type { PgSignals } from './signal-store.js';

/** int8's least value: a cutoff older than any time stored. */
const MIN_INT8 = -(2n ** 63n);
/** Attempts at locking a set of sessions that writers keep adding traces to. */
const MAX_LOCK_ATTEMPTS = 5;

/** The traces a set of sessions holds: their own, and those of their spans (a span keeps its own key in another's trace). */
const TRACES_OF_SQL = `SELECT trace_id FROM traces WHERE session_id = ANY($1::text[])
  UNION SELECT DISTINCT trace_id FROM spans WHERE resolved_session_id = ANY($1::text[])`;

const OLDER_THAN_SQL = 'SELECT session_id FROM sessions WHERE last_activity_ns < $1';
/** Beyond the newest `$1` of the sessions the default list shows (its filter and order), newest first. */
const BEYOND_NEWEST_SQL = `SELECT session_id, last_activity_ns FROM sessions WHERE internal_count < span_count
  ORDER BY last_activity_ns DESC, session_id DESC OFFSET $1`;
/** Sessions of an agent's plumbing only, done by a time. */
const PLUMBING_UNTIL_SQL = 'SELECT session_id FROM sessions WHERE internal_count >= span_count AND last_activity_ns <= $1';

interface Selection {
  ids: string[];
  cutoff: bigint;
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

  async applyRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    const { maxAgeMillis, maxSessions } = checkPolicy(policy);
    const client = await this.pool.connect();
    let selected: Selection;
    try {
      selected = await select(client, maxAgeMillis, maxSessions);
    } finally {
      client.release();
    }
    return this.inLockedTransaction(selected.ids, async (client, locked) => {
      // Under the locks, again: what a writer changed since is seen now.
      const again = await select(client, maxAgeMillis, maxSessions);
      const lockedSet = new Set(locked);
      const result = await this.deleteLocked(
        client,
        again.ids.filter((id) => lockedSet.has(id)),
      );
      const old = await this.signals.deleteOlderThan(client, again.cutoff);
      result.logRecordsDeleted += old.logRecords;
      result.metricPointsDeleted += old.metricPoints;
      return result;
    });
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

function checkPolicy(policy: RetentionPolicy): { maxAgeMillis: number; maxSessions: number | undefined } {
  const maxAgeMillis = policy.maxAgeMillis ?? DEFAULT_MAX_AGE_MILLIS;
  if (typeof maxAgeMillis !== 'number' || !Number.isFinite(maxAgeMillis) || maxAgeMillis < 0) {
    throw new InvalidQueryError('maxAgeMillis must be a finite number >= 0', 'maxAgeMillis');
  }
  const maxSessions = policy.maxSessions;
  if (maxSessions !== undefined && (!Number.isInteger(maxSessions) || maxSessions < 0)) {
    throw new InvalidQueryError('maxSessions must be an integer >= 0', 'maxSessions');
  }
  return { maxAgeMillis, maxSessions };
}

/**
 * The sessions a policy selects, and the age's cutoff in nanoseconds:
 * - idle past the age, any session;
 * - beyond the newest `maxSessions` of the sessions the default list shows;
 *   a session of an agent's plumbing only is not counted, and goes with the
 *   sessions dropped: when last active no later than the newest of them
 *   (RetentionPolicy; the SQLite store's rule).
 */
async function select(client: pg.PoolClient, maxAgeMillis: number, maxSessions: number | undefined): Promise<Selection> {
  const millis = BigInt(Math.floor(Date.now() - maxAgeMillis)) * 1_000_000n;
  const cutoff = millis < MIN_INT8 ? MIN_INT8 : millis;
  const old = await client.query<{ session_id: string }>(OLDER_THAN_SQL, [cutoff]);
  const ids = new Set(old.rows.map((row) => row.session_id));
  if (maxSessions !== undefined) {
    const dropped = await client.query<{ session_id: string; last_activity_ns: bigint }>(BEYOND_NEWEST_SQL, [maxSessions]);
    for (const row of dropped.rows) ids.add(row.session_id);
    // Newest first: the first row is the newest dropped.
    if (dropped.rows.length > 0) {
      const plumbing = await client.query<{ session_id: string }>(PLUMBING_UNTIL_SQL, [dropped.rows[0].last_activity_ns]);
      for (const row of plumbing.rows) ids.add(row.session_id);
    }
  }
  return { ids: [...ids], cutoff };
}
