/**
 * Transaction-scoped advisory locks that serialize the writers of one trace
 * or one session across every process sharing the database.
 *
 * The order is fixed so that two transactions cannot deadlock: every lock on
 * a trace before any lock on a session, and within each kind by ascending
 * key. A transaction that locks both must take its trace locks first, in one
 * call, then its session locks in one call. Keys are `(kind, hashtext(id))`:
 * two ids with one hash share a lock (more waiting, never a deadlock, since
 * the key is what is ordered), and the two kinds never share one.
 */

import type pg from 'pg';
import { prepared } from './query-params.js';

const TRACE_LOCK = 1;
const SESSION_LOCK = 2;
/** The outbox's per-(upstream, signal) queue locks (pg-outbox.ts): a kind of their own, never ordered with these. */
export const OUTBOX_QUEUE_LOCK = 3;

/**
 * Locks each id's key in ascending order, in one statement: the sorted
 * subquery feeds the aggregate row by row, so the locks are taken in its order.
 */
const LOCK_SQL = `SELECT count(pg_advisory_xact_lock($1::int4, k)) AS n
  FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest($2::text[]) AS id ORDER BY k) AS keys`;
const LOCK_SHARED_SQL = `SELECT count(pg_advisory_xact_lock_shared($1::int4, k)) AS n
  FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest($2::text[]) AS id ORDER BY k) AS keys`;

async function lockAll(client: pg.PoolClient, kind: number, ids: Iterable<string>, sql = LOCK_SQL): Promise<void> {
  const list = [...new Set(ids)];
  if (list.length === 0) return;
  await client.query(prepared(sql, [kind, list]));
}

/** Locks these traces until the transaction ends. Before any `lockSessions` of the transaction. */
export async function lockTraces(client: pg.PoolClient, traceIds: Iterable<string>): Promise<void> {
  await lockAll(client, TRACE_LOCK, traceIds);
}

/** Locks these sessions until the transaction ends. Once per transaction, after its `lockTraces`. */
export async function lockSessions(client: pg.PoolClient, sessionIds: Iterable<string>): Promise<void> {
  await lockAll(client, SESSION_LOCK, sessionIds);
}

/**
 * Shared locks on these traces (a log writer reading their sessions): many
 * readers at once, none while a span writer holds `lockTraces` on one of them.
 * The transaction takes no other lock.
 */
export async function lockTracesShared(client: pg.PoolClient, traceIds: Iterable<string>): Promise<void> {
  await lockAll(client, TRACE_LOCK, traceIds, LOCK_SHARED_SQL);
}
