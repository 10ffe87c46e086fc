/**
 * Deleting sessions that hold many traces on a server with a small lock
 * table: retention and deleteSession take one advisory lock per trace, so a
 * chunk is bounded by its traces, not only its sessions, and a session with
 * more traces than one transaction may lock is deleted a share at a time
 * (session-deleter.ts). Without that, every run fails with 53200.
 */

import { expect, it } from 'vitest';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { MILLI, SECOND, makeRecord } from '../helpers/records.js';
import type { SpanRecord } from '../../src/model/types.js';

/** Traces of the big session: more locks than the whole table holds (10 per connection slot, a few hundred). */
const BIG_TRACES = 900;
/** Sessions of a few dozen traces each: fewer than 100 (the old chunk), far more locks together than the table holds. */
const MEDIUM_SESSIONS = 6;
const MEDIUM_TRACES = 40;
/** Spans per write: the writer locks a batch's traces in one transaction too. */
const WRITE_BATCH = 25;
const DAY_MILLIS = 24 * 60 * 60 * 1000;

const server = usePostgres({ settings: ['max_connections=20', 'max_locks_per_transaction=10'] });

/** One span per trace, `traces` of them, in session `sessionId`, starting at `start`. */
function sessionSpans(sessionId: string, traces: number, start: bigint): SpanRecord[] {
  return Array.from({ length: traces }, (_, i) => makeRecord({ sessionId, startTimeUnixNano: start + BigInt(i) * MILLI }));
}

async function writeAll(store: PostgresTraceStore, records: readonly SpanRecord[]): Promise<void> {
  for (let first = 0; first < records.length; first += WRITE_BATCH) await store.write(records.slice(first, first + WRITE_BATCH));
}

it('retention deletes sessions of many traces, and a session of more traces than a transaction may lock', async () => {
  const store = await PostgresTraceStore.open({ url: await server.createDatabase() });
  try {
    const old = BigInt(Date.now() - 10 * DAY_MILLIS) * MILLI;
    const records = sessionSpans('big', BIG_TRACES, old);
    for (let s = 0; s < MEDIUM_SESSIONS; s++) records.push(...sessionSpans(`medium-${s}`, MEDIUM_TRACES, old + BigInt(s) * SECOND));
    await writeAll(store, records);
    await store.write([makeRecord({ sessionId: 'recent', startTimeUnixNano: BigInt(Date.now()) * MILLI })]);

    const result = await store.applyRetention({ maxAgeMillis: DAY_MILLIS });
    expect(result).toStrictEqual({
      sessionsDeleted: 1 + MEDIUM_SESSIONS,
      spansDeleted: records.length,
      logRecordsDeleted: 0,
      metricPointsDeleted: 0,
    });
    expect((await store.listSessions()).items.map((s) => s.sessionId)).toStrictEqual(['recent']);
    expect((await store.getSpans({})).items).toHaveLength(1);
  } finally {
    await store.close();
  }
}, 180_000);

it('deleteSession() deletes a session of more traces than a transaction may lock', async () => {
  const store = await PostgresTraceStore.open({ url: await server.createDatabase() });
  try {
    const now = BigInt(Date.now()) * MILLI;
    await writeAll(store, sessionSpans('big', BIG_TRACES, now - 3600n * SECOND));
    await store.write([makeRecord({ sessionId: 'other', startTimeUnixNano: now })]);

    await store.deleteSession('big');
    expect((await store.listSessions()).items.map((s) => s.sessionId)).toStrictEqual(['other']);
    expect((await store.getSpans({})).items).toHaveLength(1);
    await expect(store.deleteSession('big')).rejects.toThrow(/big/);
  } finally {
    await store.close();
  }
}, 180_000);
