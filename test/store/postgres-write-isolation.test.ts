/**
 * What the writers rely on of their transactions, whatever the database's
 * settings: READ COMMITTED (each statement's snapshot taken after the locks
 * before it), and a change's time read after the feed's counter lock.
 */

import pg from 'pg';
import { expect, it } from 'vitest';
import { openPool } from '../../src/store/postgres/connection.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { PgOutbox } from '../../src/store/postgres/pg-outbox.js';
import { migratePg } from '../../src/store/postgres/migrations/index.js';
import { usePostgres, waitingOnLock } from '../helpers/postgres-hooks.js';
import { BASE_TIME_UNIX_NANO, MILLI, makeRecord } from '../helpers/records.js';

const WRITES_PER_STORE = 12;
const SERVER_MS = 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::int8 AS ms';

const server = usePostgres();

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(server.adminUrl);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function serverMillis(db: pg.Pool | pg.PoolClient): Promise<bigint> {
  return BigInt((await db.query<{ ms: string }>(SERVER_MS)).rows[0].ms);
}

it('writes from two stores at once all succeed on a database whose default isolation is REPEATABLE READ', async () => {
  const url = await server.createDatabase();
  const name = new URL(url).pathname.slice(1);
  await admin((client) => client.query(`ALTER DATABASE "${name}" SET default_transaction_isolation = 'repeatable read'`));
  const stores = [await PostgresTraceStore.open({ url }), await PostgresTraceStore.open({ url })];
  try {
    const probe = openPool(url);
    try {
      expect((await probe.query<{ level: string }>("SELECT current_setting('default_transaction_isolation') AS level")).rows[0].level).toBe('repeatable read');
    } finally {
      await probe.end();
    }
    // Every write updates one session's rollup and the change feed's counter: both stores contend on both.
    const writes = stores.flatMap((store, s) =>
      Array.from({ length: WRITES_PER_STORE }, async (_, i) =>
        store.write([
          makeRecord({ sessionId: 'shared', startTimeUnixNano: BASE_TIME_UNIX_NANO + BigInt(s * 100 + i) * MILLI }),
        ]),
      ),
    );
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const [session] = (await stores[0].listSessions()).items;
    expect(session).toMatchObject({ sessionId: 'shared', spanCount: 2 * WRITES_PER_STORE });
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
}, 60_000);

it('the outbox on such a database: claims and deliveries of two replicas at once all succeed', async () => {
  const url = await server.createDatabase();
  const name = new URL(url).pathname.slice(1);
  await admin((client) => client.query(`ALTER DATABASE "${name}" SET default_transaction_isolation = 'serializable'`));
  const pools = [openPool(url), openPool(url)];
  try {
    await migratePg(pools[0], 'the test database');
    const boxes = pools.map((pool, i) => new PgOutbox(pool, { replicaId: `r${i}` }));
    await boxes[0].enqueue(['http://a.example'], new Uint8Array([1]), 1, { nowMillis: 1_000 });
    const rounds = boxes.map(async (box) => {
      const claimed = await box.claimDue('http://a.example', 1, 60_000, 1_000);
      for (const entry of claimed) expect(await box.delivered(entry.id)).toBe(true);
      return claimed.length;
    });
    expect((await Promise.all(rounds)).reduce((a, b) => a + b, 0)).toBe(1);
  } finally {
    await Promise.all(pools.map((pool) => pool.end()));
  }
}, 60_000);

it('a change appended after waiting for the feed lock is stamped after the wait, not when the wait began', async () => {
  const url = await server.createDatabase();
  const store = await PostgresTraceStore.open({ url });
  const pool = openPool(url);
  const holder = await pool.connect();
  try {
    await store.write([makeRecord({ sessionId: 'a' })]);
    // Another appender's transaction, holding the feed's counter row.
    await holder.query('BEGIN');
    await holder.query('UPDATE change_feed SET latest_seq = latest_seq WHERE id = 0');
    const write = store.write([makeRecord({ sessionId: 'b' })]);
    await waitingOnLock(pool, 'the write');
    // The server's clock moves on past the moment the write was seen waiting; then the holder commits.
    const seenWaiting = await serverMillis(pool);
    while ((await serverMillis(pool)) <= seenWaiting + 1n) await new Promise((r) => setTimeout(r, 2));
    const released = await serverMillis(holder);
    await holder.query('COMMIT');
    await write;
    const { rows } = await pool.query<{ last_seq: bigint; at_ms: bigint }>('SELECT last_seq, at_ms FROM changes ORDER BY last_seq');
    const newest = rows[rows.length - 1];
    expect(newest.at_ms).toBeGreaterThanOrEqual(released);
    // And times never go backwards as ids go up.
    for (let i = 1; i < rows.length; i++) expect(rows[i].at_ms).toBeGreaterThanOrEqual(rows[i - 1].at_ms);
  } finally {
    holder.release();
    await pool.end();
    await store.close();
  }
}, 60_000);
