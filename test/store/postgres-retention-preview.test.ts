/**
 * The PostgreSQL retention preview (`skein prune --dry-run`) against what
 * retention then deletes, and against the SQLite store's preview of the same
 * records: visible sessions, an agent's plumbing-only sessions (which the
 * count does not count), log records and metric points, by age and by count.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetentionPolicy } from '../../src/model/query.js';
import type { SpanRecord } from '../../src/model/types.js';
import { openPool } from '../../src/store/postgres/connection.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { previewRetention } from '../../src/store/postgres/retention-preview.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { BASE_TIME_UNIX_NANO, SECOND, makeLlmRecord, makeRecord } from '../helpers/records.js';
import { gauge, makeLog } from './signal-records.js';

const server = usePostgres();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skein-pg-preview-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const at = (seconds: number) => BASE_TIME_UNIX_NANO + BigInt(seconds) * SECOND;
const internal = (record: SpanRecord): SpanRecord => ({ ...record, internal: true });

/**
 * Visible sessions a (10 s), b (40 s), c (60 s), the last two with a second
 * step; plumbing-only sessions at 0…70 s; a log record and a metric point of
 * `a` and of `c`, and a log record of no session. All in 2023.
 */
function records() {
  const visible = (id: string, seconds: number) => makeLlmRecord({ sessionId: id, startTimeUnixNano: at(seconds) });
  const plumbing = (seconds: number) => internal(makeRecord({ name: 'initialize', startTimeUnixNano: at(seconds) }));
  const spans = [
    visible('a', 10),
    visible('b', 40),
    makeRecord({ sessionId: 'b', startTimeUnixNano: at(41) }),
    visible('c', 60),
    makeRecord({ sessionId: 'c', startTimeUnixNano: at(61) }),
    ...[0, 10, 15, 30, 50, 70].map(plumbing),
  ];
  const logs = [
    makeLog({ attributes: { 'session.id': 'a' }, timeUnixNano: at(11) }),
    makeLog({ attributes: { 'session.id': 'c' }, timeUnixNano: at(62) }),
    makeLog({ timeUnixNano: at(5) }),
  ];
  const metrics = [gauge('tokens', at(12), 'a'), gauge('tokens', at(63), 'c')];
  return { spans, logs, metrics };
}

/** Ages never reach the records: only the count deletes. */
const FOREVER = 1e13;
/** Everything from 2023 is older than this. */
const A_DAY = 86_400_000;

const POLICIES: RetentionPolicy[] = [
  { maxAgeMillis: FOREVER, maxSessions: 3 },
  { maxAgeMillis: FOREVER, maxSessions: 2 },
  { maxAgeMillis: FOREVER, maxSessions: 1 },
  { maxAgeMillis: FOREVER, maxSessions: 0 },
  { maxAgeMillis: A_DAY },
  { maxAgeMillis: A_DAY, maxSessions: 5 },
];

describe('PostgreSQL previewRetention', () => {
  for (const policy of POLICIES) {
    it(`counts what applyRetention deletes, as SQLite counts it: ${JSON.stringify(policy)}`, async () => {
      const { spans, logs, metrics } = records();
      const sqlite = new SqliteTraceStore({ path: join(dir, `${Object.values(policy).join('-')}.db`) });
      const url = await server.createDatabase();
      const postgres = await PostgresTraceStore.open({ url });
      const pool = openPool(url);
      try {
        for (const store of [sqlite, postgres]) {
          await store.write(spans);
          await store.writeLogs(logs);
          await store.writeMetrics(metrics);
        }
        const preview = await previewRetention(pool, policy);
        const fromSqlite = await sqlite.previewRetention(policy);
        expect(preview).toEqual({ ...fromSqlite, approxBytes: preview.approxBytes });
        expect(preview.approxBytes > 0).toBe(preview.spans > 0);

        const deleted = await postgres.applyRetention(policy);
        expect(deleted).toEqual({
          sessionsDeleted: preview.sessions,
          spansDeleted: preview.spans,
          logRecordsDeleted: preview.logRecords,
          metricPointsDeleted: preview.metricPoints,
        });
        expect(await sqlite.applyRetention(policy)).toEqual(deleted);
        // Nothing is left to preview.
        expect(await previewRetention(pool, policy)).toEqual({ sessions: 0, spans: 0, approxBytes: 0, logRecords: 0, metricPoints: 0 });
      } finally {
        await pool.end();
        await postgres.close();
        await sqlite.close();
      }
    });
  }

  it('covers the policies that matter: some delete a part, some all, some nothing', async () => {
    // Guards the table above against drifting into policies that all delete nothing.
    const { spans } = records();
    const url = await server.createDatabase();
    const postgres = await PostgresTraceStore.open({ url });
    const pool = openPool(url);
    try {
      await postgres.write(spans);
      const counts = [];
      for (const policy of POLICIES) counts.push((await previewRetention(pool, policy)).sessions);
      expect(counts).toEqual([0, 3, 6, 8, 9, 9]);
    } finally {
      await pool.end();
      await postgres.close();
    }
  });

  it('refuses a bad policy naming the field', async () => {
    const url = await server.createDatabase();
    await (await PostgresTraceStore.open({ url })).close();
    const pool = openPool(url);
    try {
      await expect(previewRetention(pool, { maxSessions: -1 })).rejects.toThrow('maxSessions must be an integer >= 0');
      await expect(previewRetention(pool, { maxAgeMillis: Number.NaN })).rejects.toThrow('maxAgeMillis');
    } finally {
      await pool.end();
    }
  });
});
