/**
 * Keyset order on PostgreSQL: sessions tied on their sort key follow in
 * byte order of their ids (as SQLite's BINARY) on a database whose
 * collation is not C, and the list and the log pages seek their indexes
 * (row comparisons) rather than filter and sort.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, expect, it } from 'vitest';
import { encodeCursor } from '../../src/store/common/cursor.js';
import { openPool } from '../../src/store/postgres/connection.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { PgSessionQueries } from '../../src/store/postgres/session-queries.js';
import { SqlWhere, addRangeAndCursor } from '../../src/store/postgres/signal-pages.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { TEST_USER } from '../helpers/postgres-server.js';
import { BASE_TIME_UNIX_NANO, MILLI, SECOND, makeRecord } from '../helpers/records.js';
import type { SessionSort } from '../../src/model/query.js';
import type { SpanRecord } from '../../src/model/types.js';

/** Ids whose byte order differs from an ICU/English one (case, punctuation, digits). */
const IDS = ['B', 'a', 'A', 'b', 'a-c', 'ab', '_x', 'Z9', 'a_c', 'ä', '10', '9'];

const server = usePostgres();
let url: string;
beforeAll(async () => {
  // A database whose default collation is ICU English: ties would follow it, not bytes, without COLLATE "C".
  const admin = new pg.Client(server.adminUrl);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE skein_icu OWNER ${TEST_USER} TEMPLATE template0 ENCODING 'UTF8'
      LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C'`);
  } finally {
    await admin.end();
  }
  const parsed = new URL(server.adminUrl);
  parsed.pathname = '/skein_icu';
  url = parsed.toString();
}, 60_000);

/** One span per session, all at one recent time: every session ties on every sort. */
function tiedRecords(): SpanRecord[] {
  const now = BigInt(Date.now()) * MILLI;
  return IDS.map((sessionId) => makeRecord({ sessionId, startTimeUnixNano: now }));
}

/** Every session id of the list, page by page (`limit` a page). */
async function listed(store: TraceStore, query: { sort?: SessionSort; limit: number }): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listSessions({ ...query, cursor });
    ids.push(...page.items.map((s) => s.sessionId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return ids;
}

it('the database compares ids in its ICU collation (what the test relies on)', async () => {
  const pool = openPool(url);
  try {
    const { rows } = await pool.query<{ before: boolean }>("SELECT 'a'::text < 'B'::text AS before");
    expect(rows[0].before).toBe(true);
  } finally {
    await pool.end();
  }
});

it('sessions tied on their sort key are listed, and paged, in the order SQLite lists them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-key-order-'));
  const sqlite = new SqliteTraceStore({ path: join(dir, 'order.db') });
  const postgres = await PostgresTraceStore.open({ url: await freshDatabase() });
  try {
    const records = tiedRecords();
    await sqlite.write(records);
    await postgres.write(records);
    for (const sort of ['recent', 'oldest', 'newest', 'cost', 'tokens', 'duration'] as const) {
      const expected = await listed(sqlite, { sort, limit: 100 });
      // Byte order (SQLite's), not the database's: 'B' before 'a', descending on the default sort.
      expect(expected).toHaveLength(IDS.length);
      expect(await listed(postgres, { sort, limit: 100 })).toStrictEqual(expected);
      expect(await listed(postgres, { sort, limit: 3 })).toStrictEqual(expected);
    }
  } finally {
    await postgres.close();
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

it('retention by count keeps the sessions SQLite keeps when they tie', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-key-order-'));
  const sqlite = new SqliteTraceStore({ path: join(dir, 'order.db') });
  const postgres = await PostgresTraceStore.open({ url: await freshDatabase() });
  try {
    const records = tiedRecords();
    await sqlite.write(records);
    await postgres.write(records);
    await sqlite.applyRetention({ maxSessions: 5 });
    await postgres.applyRetention({ maxSessions: 5 });
    const kept = await listed(sqlite, { limit: 100 });
    expect(kept).toHaveLength(5);
    expect(await listed(postgres, { limit: 100 })).toStrictEqual(kept);
  } finally {
    await postgres.close();
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

it('a page after a cursor seeks the sort index (row comparison, no sort) for sessions and log records', async () => {
  const database = await freshDatabase();
  const store = await PostgresTraceStore.open({ url: database });
  const pool = openPool(database);
  try {
    await store.write(IDS.map((sessionId, i) => makeRecord({ sessionId, startTimeUnixNano: BASE_TIME_UNIX_NANO + BigInt(i) * SECOND })));
    // The statement the list runs for a page after a cursor, captured and explained.
    const seen: pg.QueryConfig[] = [];
    const recording = new Proxy(pool, {
      get(target, key, receiver) {
        if (key === 'query') {
          return async (config: pg.QueryConfig) => {
            seen.push(config);
            return target.query(config);
          };
        }
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const queries = new PgSessionQueries(recording);
    const first = await queries.listSessions({ limit: 2 });
    expect(first.nextCursor).not.toBeNull();
    seen.length = 0;
    await queries.listSessions({ limit: 2, cursor: first.nextCursor ?? undefined });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const explain = async (text: string, values: unknown[]): Promise<string> =>
        (await client.query<{ 'QUERY PLAN': string }>({ text: `EXPLAIN ${text}`, values })).rows.map((r) => r['QUERY PLAN']).join('\n');

      // The page's rows, before the titles' subplans (which sort a few spans of each row).
      const sessionsPlan = (await explain(seen[0].text, seen[0].values ?? [])).split(/\n\s*SubPlan/)[0];
      expect(sessionsPlan).toMatch(/Index Scan Backward using sessions_activity/);
      expect(sessionsPlan).toMatch(/Index Cond: \(ROW\(last_activity_ns, \(session_id\)::text\) < ROW\(/);
      expect(sessionsPlan).not.toMatch(/Sort/);

      const where = new SqlWhere();
      addRangeAndCursor({ cursor: encodeCursor({ kind: 'logs', key: '1000', id: 7 }) }, 'logs', { time: 'l.at_ns', id: 'l.id' }, where);
      const logsPlan = await explain(`SELECT l.id FROM log_records l ${where.clause()} ORDER BY l.at_ns, l.id LIMIT 10`, where.values);
      expect(logsPlan).toMatch(/Index (Only )?Scan using log_records_at/);
      expect(logsPlan).toMatch(/Index Cond: \(ROW\(at_ns, id\) > ROW\(/);
      expect(logsPlan).not.toMatch(/Sort|BitmapOr|Filter/);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    await store.close();
  }
}, 60_000);

/** A new database cloned from the ICU one (same collation). */
async function freshDatabase(): Promise<string> {
  const admin = new pg.Client(server.adminUrl);
  await admin.connect();
  const name = `skein_icu_${Math.random().toString(36).slice(2, 10)}`;
  try {
    await admin.query(`CREATE DATABASE ${name} OWNER ${TEST_USER} TEMPLATE skein_icu`);
  } finally {
    await admin.end();
  }
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}
