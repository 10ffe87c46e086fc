/**
 * `PgOutbox.delivered()` tells whether this replica still held the entry on
 * a live lease: after the lease ran out and another replica took it over,
 * the entry is still deleted (the upstream has it) but the answer is false,
 * since it may have been sent twice. And `dropQueue({ dead: true })` leaves
 * nothing behind when a replay commits while it runs.
 */

import type pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openPool } from '../../src/store/postgres/connection.js';
import { migratePg } from '../../src/store/postgres/migrations/index.js';
import { PgOutbox } from '../../src/store/postgres/pg-outbox.js';
import { usePostgres, waitingOnLock } from '../helpers/postgres-hooks.js';

const A = 'http://a.example:4318';
/** Long enough that no lease runs out unless the test ends it. */
const LEASE = 60_000;

const server = usePostgres();
let pool: ReturnType<typeof openPool>;
beforeEach(async () => {
  pool = openPool(await server.createDatabase());
  await migratePg(pool, 'the test database');
});
afterEach(async () => {
  await pool.end();
});

async function queued(): Promise<number[]> {
  return (await pool.query<{ id: string }>('SELECT id FROM outbox ORDER BY id')).rows.map((row) => Number(row.id));
}

it('delivered() is true on a live lease, false once the lease ran out and another replica took the entry', async () => {
  const r1 = new PgOutbox(pool, { replicaId: 'r1' });
  const r2 = new PgOutbox(pool, { replicaId: 'r2' });
  await r1.enqueue([A], new Uint8Array([1]), 1, { nowMillis: 1_000 });
  await r1.enqueue([A], new Uint8Array([2]), 1, { nowMillis: 1_000 });
  const [first, second] = await r1.claimDue(A, 2, LEASE, 1_000);
  expect(await r1.delivered(first.id)).toBe(true);

  // r1's lease on the second runs out (on the database's clock: made so, no wait is sure to be long enough) ...
  await pool.query("UPDATE outbox SET claimed_until = 0 WHERE claimed_by = 'r1'");
  // ... and r2 takes it over; r1's late acknowledgement still removes it, but says it was no longer r1's.
  expect((await r2.claimDue(A, 1, LEASE, 1_000)).map((e) => e.id)).toEqual([second.id]);
  expect(await r1.delivered(second.id)).toBe(false);
  expect(await queued()).toEqual([]);
  expect(await r2.delivered(second.id)).toBe(false);
});

it('delivered() is false for an entry never claimed, or claimed on a lease that expired untaken', async () => {
  const r1 = new PgOutbox(pool, { replicaId: 'r1' });
  await r1.enqueue([A], new Uint8Array([1]), 1, { nowMillis: 1_000 });
  await r1.enqueue([A], new Uint8Array([2]), 1, { nowMillis: 1_000 });
  const [head] = await queued();
  expect(await r1.delivered(head)).toBe(false);
  const [next] = await r1.claimDue(A, 1, LEASE, 1_000);
  await pool.query("UPDATE outbox SET claimed_until = 0 WHERE claimed_by = 'r1'");
  expect(await r1.delivered(next.id)).toBe(false);
  expect(await queued()).toEqual([]);
});

/**
 * The pool, except that a COMMIT waits for `release()`: a transaction of
 * the outbox held open after its last statement, its row locks kept.
 */
function pausingAtCommit(target: pg.Pool): { pool: pg.Pool; paused: Promise<void>; release: () => void } {
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reached = (): void => undefined;
  const paused = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const wrap = (client: pg.PoolClient): pg.PoolClient =>
    new Proxy(client, {
      get(inner, key) {
        const value = Reflect.get(inner, key, inner) as unknown;
        if (key !== 'query') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(inner) : value;
        return async (config: string | pg.QueryConfig, values?: unknown[]) => {
          if (config === 'COMMIT') {
            reached();
            await gate;
          }
          return inner.query(config as pg.QueryConfig, values);
        };
      },
    });
  const pool = new Proxy(target, {
    get(inner, key) {
      const value = Reflect.get(inner, key, inner) as unknown;
      if (key === 'connect') return async () => wrap(await inner.connect());
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(inner) : value;
    },
  });
  return { pool, paused, release };
}

it('dropQueue({ dead: true }) while a replay of one of its dead letters commits: nothing of the upstream is left', async () => {
  const r1 = new PgOutbox(pool, { replicaId: 'r1' });
  await r1.enqueue([A], new Uint8Array([1]), 1, { nowMillis: 1_000 });
  const [entry] = await r1.claimDue(A, 1, LEASE, 1_000);
  expect(await r1.deadLetter(entry.id, 400, 'HTTP 400', 1_010)).toBe(true);
  const [dead] = await r1.listDeadLetters({ upstream: A });

  // A replay that has moved the dead letter back to the queue, not committed yet.
  const pausing = pausingAtCommit(pool);
  const replay = new PgOutbox(pausing.pool, { replicaId: 'r2' }).replayDead([dead.id]);
  await pausing.paused;
  const drop = r1.dropQueue(A, { dead: true });
  // The drop waits on the replay's row lock (the dead letter it deleted) ...
  await waitingOnLock(pool, 'dropQueue');
  // ... which then commits: its entry must not outlive the drop.
  pausing.release();
  expect((await replay).map((moved) => moved.deadId)).toEqual([dead.id]);
  expect(await drop).toMatchObject({ upstream: A, entries: 1, deadLetters: 0 });
  expect(await queued()).toEqual([]);
  expect(await r1.listDeadLetters({ upstream: A })).toEqual([]);
});
