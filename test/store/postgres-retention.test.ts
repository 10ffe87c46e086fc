/**
 * Retention on a server with a small lock table: deleting more old sessions
 * than one transaction can lock (one advisory lock per session and per
 * trace) must work, in chunks, rather than fail with 53200 ("out of shared
 * memory", max_locks_per_transaction) on every run.
 */

import { expect, it } from 'vitest';
import { RETENTION_CHUNK } from '../../src/store/postgres/session-deleter.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { MILLI, SECOND, makeRecord } from '../helpers/records.js';

/** Far more locks than the server's table holds (10 per connection slot, a few hundred in all). */
const OLD_SESSIONS = 600;
/** Sessions per write: the writer locks a batch's traces and sessions in one transaction too. */
const WRITE_BATCH = 25;
const DAY_MILLIS = 24 * 60 * 60 * 1000;

const server = usePostgres({ settings: ['max_connections=20', 'max_locks_per_transaction=10'] });

it('deletes more old sessions than one transaction could lock, in chunks, and counts them all', async () => {
  expect(OLD_SESSIONS).toBeGreaterThan(3 * RETENTION_CHUNK);
  const store = await PostgresTraceStore.open({ url: await server.createDatabase() });
  try {
    const old = BigInt(Date.now() - 10 * DAY_MILLIS) * MILLI;
    const now = BigInt(Date.now()) * MILLI;
    let spans = 0;
    for (let first = 0; first < OLD_SESSIONS; first += WRITE_BATCH) {
      const batch = [];
      for (let i = first; i < first + WRITE_BATCH; i++) {
        // Every third session has two spans, in two traces.
        const count = i % 3 === 0 ? 2 : 1;
        for (let k = 0; k < count; k++) {
          batch.push(makeRecord({ sessionId: `old-${i}`, startTimeUnixNano: old + BigInt(i) * SECOND + BigInt(k) }));
        }
      }
      spans += batch.length;
      await store.write(batch);
    }
    await store.write([makeRecord({ sessionId: 'recent', startTimeUnixNano: now })]);

    const result = await store.applyRetention({ maxAgeMillis: DAY_MILLIS });
    expect(result).toStrictEqual({ sessionsDeleted: OLD_SESSIONS, spansDeleted: spans, logRecordsDeleted: 0, metricPointsDeleted: 0 });
    expect((await store.listSessions()).items.map((s) => s.sessionId)).toStrictEqual(['recent']);
    expect((await store.getSpans({})).items).toHaveLength(1);
    expect(await store.applyRetention({ maxAgeMillis: DAY_MILLIS })).toStrictEqual({
      sessionsDeleted: 0,
      spansDeleted: 0,
      logRecordsDeleted: 0,
      metricPointsDeleted: 0,
    });
  } finally {
    await store.close();
  }
}, 120_000);

it('keeps exactly the newest sessions across chunks when told a maximum', async () => {
  const store = await PostgresTraceStore.open({ url: await server.createDatabase() });
  try {
    const now = BigInt(Date.now()) * MILLI;
    const total = 2 * RETENTION_CHUNK + 30;
    for (let first = 0; first < total; first += WRITE_BATCH) {
      const batch = [];
      for (let i = first; i < Math.min(total, first + WRITE_BATCH); i++) {
        batch.push(makeRecord({ sessionId: `s-${String(i).padStart(4, '0')}`, startTimeUnixNano: now - BigInt(total - i) * SECOND }));
      }
      await store.write(batch);
    }
    const result = await store.applyRetention({ maxSessions: 7 });
    expect(result.sessionsDeleted).toBe(total - 7);
    const kept = (await store.listSessions()).items.map((s) => s.sessionId);
    expect(kept).toStrictEqual(Array.from({ length: 7 }, (_, k) => `s-${String(total - 1 - k).padStart(4, '0')}`));
  } finally {
    await store.close();
  }
}, 120_000);
