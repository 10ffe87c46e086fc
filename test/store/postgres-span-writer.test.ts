/**
 * The PostgreSQL write path beyond the TraceStore contract: several stores
 * writing one database at once, as several collectors do, and text that
 * PostgreSQL's text columns cannot hold.
 */

import { expect, it } from 'vitest';
import type pg from 'pg';
import type { SpanRecord } from '../../src/model/types.js';
import { inTransaction, openPool } from '../../src/store/postgres/connection.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { PgSessionRollup } from '../../src/store/postgres/session-rollup.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { BASE_TIME_UNIX_NANO, SECOND, makeLlmRecord, makeRecord, newSpanId, newTraceId, opened } from '../helpers/records.js';

const server = usePostgres();

/** A fixed pseudo-random sequence, so a failure can be replayed. */
function randomOf(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** Traces of an agent run each: children first (some open, then ended), the root last, keyed or not. */
function scenario(random: () => number, traces: number): SpanRecord[][] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const records: SpanRecord[] = [];
  for (let t = 0; t < traces; t++) {
    const traceId = newTraceId();
    const rootId = newSpanId();
    const start = BASE_TIME_UNIX_NANO + BigInt(t) * SECOND;
    for (let i = 0; i < 1 + Math.floor(random() * 8); i++) {
      const at = start + BigInt(i + 1) * SECOND;
      const fields = {
        traceId,
        parentSpanId: rootId,
        sessionId: random() < 0.1 ? pick(['k1', 'k5']) : null,
        startTimeUnixNano: at,
        endTimeUnixNano: at + SECOND,
      };
      const child =
        random() < 0.6
          ? makeLlmRecord({ ...fields, responseModel: pick(['m1', 'm2', 'm3']), isError: random() < 0.1, userId: random() < 0.1 ? 'u' : null })
          : makeRecord({ ...fields, stepType: 'tool' });
      if (random() < 0.3) records.push(opened(child));
      records.push(child);
    }
    const root = makeRecord({
      traceId,
      spanId: rootId,
      sessionId: pick(['k1', 'k2', 'k3', 'k4', null, null]),
      stepType: 'agent',
      agentName: random() < 0.3 ? 'planner' : null,
      usage: random() < 0.3 ? { input: 100 } : {},
      startTimeUnixNano: start,
      endTimeUnixNano: start + 50n * SECOND,
    });
    if (random() < 0.2) records.push(opened(root));
    records.push(root);
  }
  // Traces interleave, each mostly in its order.
  const mixed = records.map((record, i) => ({ record, at: i + random() * 40 })).sort((a, b) => a.at - b.at);
  const batches: SpanRecord[][] = [];
  for (let i = 0; i < mixed.length; ) {
    const size = 1 + Math.floor(random() * 30);
    batches.push(mixed.slice(i, i + size).map((entry) => entry.record));
    i += size;
  }
  return batches;
}

/**
 * Batches that share traces and sessions, late session keys on roots, open
 * steps and retried batches, spread over three stores. No batch may fail (a
 * deadlock would), every span must sit in the session its key or its trace
 * gives it, and every session's rollup must equal the one rebuilt from its spans.
 */
it('keeps spans, traces and rollups consistent under concurrent writers', async () => {
  const url = await server.createDatabase();
  const stores = await Promise.all([1, 2, 3].map(() => PostgresTraceStore.open({ url })));
  const pool = openPool(url);
  try {
    const random = randomOf(7);
    const queues: SpanRecord[][][] = stores.map(() => []);
    for (const batch of scenario(random, 80)) {
      queues[Math.floor(random() * queues.length)].push(batch);
      // A batch retried by another collector.
      if (random() < 0.15) queues[Math.floor(random() * queues.length)].push(batch);
    }
    await Promise.all(queues.map(async (queue, i) => {
      for (const batch of queue) await stores[i].write(batch);
    }));

    const misplaced = await pool.query(`SELECT s.span_id FROM spans s JOIN traces t USING (trace_id)
      WHERE s.resolved_session_id <> coalesce(s.session_id, t.session_id)`);
    expect(misplaced.rows).toEqual([]);
    const unrolled = await pool.query(`SELECT DISTINCT resolved_session_id FROM spans
      WHERE resolved_session_id NOT IN (SELECT session_id FROM sessions)`);
    expect(unrolled.rows).toEqual([]);

    const read = async (client: { query: typeof pool.query }) => ({
      sessions: (await client.query('SELECT * FROM sessions ORDER BY session_id')).rows,
      models: (await client.query('SELECT * FROM session_models ORDER BY session_id, model')).rows,
    });
    const kept = await read(pool);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const ids = kept.sessions.map((row) => (row as { session_id: string }).session_id);
      await new PgSessionRollup().recompute(client, ids);
      const rebuilt = await read(client);
      await client.query('ROLLBACK');
      expect(kept).toStrictEqual(rebuilt);
      expect(ids.length).toBeGreaterThan(5);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    await Promise.all(stores.map((store) => store.close()));
  }
});

it('keeps text with U+0000 exactly; its session key is the key with U+FFFD', async () => {
  const store = await PostgresTraceStore.open({ url: await server.createDatabase() });
  try {
    const record = makeLlmRecord({
      name: 'chat\u0000x',
      sessionId: 'key\u0000',
      statusMessage: '\u0000',
      agentName: 'a\u0000b',
      input: { text: 'in\u0000put', originalLength: 6, truncated: false },
    });
    const child = makeRecord({ traceId: record.traceId, parentSpanId: record.spanId });
    await store.write([record, child]);
    const spans = (await store.getSpans({ traceId: record.traceId })).items;
    expect(spans.find((span) => span.spanId === record.spanId)).toStrictEqual({
      ...record,
      resolvedSessionId: 'key\ufffd',
      interrupted: false,
    });
    expect((await store.getSession('key\ufffd')).spanCount).toBe(2);
  } finally {
    await store.close();
  }
});

it('destroys a connection whose ROLLBACK failed rather than return it to the pool', async () => {
  const pool = openPool(await server.createDatabase(), { max: 1 });
  try {
    const client = await pool.connect();
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    client.release();
    // The pool's one connection answers its next ROLLBACK with an error: its state is then unknown.
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
    let failRollback = true;
    (client as unknown as { query: (...args: unknown[]) => Promise<pg.QueryResult> }).query = (...args) => {
      if (args[0] === 'ROLLBACK' && failRollback) {
        failRollback = false;
        return Promise.reject(new Error('connection lost during ROLLBACK'));
      }
      return query(...args);
    };
    await expect(
      inTransaction(pool, async () => {
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    const next = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    expect(next).not.toBe(backend);
  } finally {
    await pool.end();
  }
});
