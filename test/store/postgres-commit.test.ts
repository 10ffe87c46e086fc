/**
 * `PostgresTraceStore.commit` against a real PostgreSQL server: an ingest
 * commit's reads and writes (spans, log records, metric points, outbox
 * entries, change feed events) are all committed or none are; reads inside
 * it see its own writes and answer as the store's own reads do; a deadlock
 * between two commits is retried until both are committed; and a database
 * that cannot be reached is a `StoreUnavailableError`, after which the same
 * store commits again once the server is back.
 */

import { describe, expect, it } from 'vitest';
import pg from 'pg';
import type { SpanQuery } from '../../src/model/query.js';
import type { LogQuery } from '../../src/model/log-types.js';
import { InvalidQueryError, StoreUnavailableError } from '../../src/store/errors.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import type { PgCommitTransaction } from '../../src/store/postgres/commit-transaction.js';
import { isTransactionConflict, isUnavailable } from '../../src/store/postgres/connection.js';
import { HAS_TRACE_SQL } from '../../src/store/postgres/signal-store.js';
import { openedStores, usePostgres } from '../helpers/postgres-hooks.js';
import { TEST_PASSWORD } from '../helpers/postgres-server.js';
import { BASE_TIME_UNIX_NANO, MILLI, makeRecord, newSpanId, newTraceId } from '../helpers/records.js';
import { gauge, makeLog } from './signal-records.js';

const server = usePostgres();
const stores = openedStores();

/** A store with no tuning option: what a collector opens from a URL alone. */
const open = (url: string): Promise<PostgresTraceStore> => stores.open(url);

/** Rows in each table a commit writes, and the change feed's latest id, read on a connection of its own. */
async function tableCounts(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(`SELECT
      (SELECT count(*) FROM spans) AS spans, (SELECT count(*) FROM traces) AS traces,
      (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM resources) AS resources,
      (SELECT count(*) FROM log_records) AS log_records, (SELECT count(*) FROM metric_points) AS metric_points,
      (SELECT count(*) FROM outbox) AS outbox, (SELECT count(*) FROM changes) AS changes,
      (SELECT latest_seq FROM change_feed WHERE id = 0) AS latest_seq`);
    return Object.fromEntries(Object.entries(rows[0]).map(([name, value]) => [name, Number(value)]));
  } finally {
    await client.end();
  }
}

/** A trace of a root and a child in `sessionId`, and a log record of the root that takes the trace's session. */
function batchOf(sessionId: string) {
  const traceId = newTraceId();
  const root = makeRecord({ traceId, sessionId, name: 'turn', stepType: 'agent' });
  const child = makeRecord({
    traceId, parentSpanId: root.spanId, name: 'call', stepType: 'llm',
    startTimeUnixNano: BASE_TIME_UNIX_NANO + 10n * MILLI,
  });
  const log = makeLog({ traceId, spanId: root.spanId });
  return { traceId, spans: [root, child], log };
}

/** Everything an ingest commit writes, in the order it writes it; returns the crossings. */
async function writeAll(tx: PgCommitTransaction, batch: ReturnType<typeof batchOf>, metricName: string): Promise<number> {
  await tx.storeResources([...batch.spans.map((span) => span.raw), batch.log]);
  await tx.lockTraces([batch.traceId]);
  const crossings = await tx.writeSpans(batch.spans);
  await tx.writeLogs([batch.log]);
  await tx.writeMetrics([gauge(metricName, BASE_TIME_UNIX_NANO, null)]);
  await tx.enqueue(['http://upstream.test'], new Uint8Array([1, 2, 3]), batch.spans.length, { signal: 'traces' });
  return crossings.length;
}

/** Resolves when `resolve` is called: a point one commit waits at for another. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('PostgresTraceStore.commit', () => {
  it('commits spans, log records, metric points, outbox entries and their change feed events together', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const batch = batchOf('commit-session');
    const result = await store.commit(async (tx) => ({ crossings: await writeAll(tx, batch, 'commit.metric') }));
    expect(result).toEqual({ crossings: 0 });

    expect((await store.getSpans({ sessionId: 'commit-session' })).items.map((span) => span.name).sort()).toEqual(['call', 'turn']);
    const logs = await store.listLogs({ traceId: batch.traceId });
    expect(logs.items.map((log) => log.sessionId)).toEqual(['commit-session']);
    expect((await store.listMetricPoints({ name: 'commit.metric' })).items).toHaveLength(1);
    expect(await store.outbox().signalCounts()).toEqual([
      { upstream: 'http://upstream.test', signal: 'traces', entries: 1, items: 2, deadLetters: 0, deadItems: 0 },
    ]);
    expect((await store.getSession('commit-session')).spanCount).toBe(2);
    // The feed: both steps in time order, the session's update, then the log record's event, in one append.
    const events = await store.readChanges(0, { limit: 100 });
    expect(events.map((event) => event.kind)).toEqual([
      'span.started', 'span.started', 'span.ended', 'span.ended', 'session.updated', 'log',
    ]);
    expect(await tableCounts(url)).toMatchObject({ changes: 1, latest_seq: 6 });
  }, 60_000);

  it('leaves nothing of a work that throws after writing everything', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const batch = batchOf('rolled-back');
    const failure = new Error('the work failed after its writes');
    let wrote = false;
    await expect(
      store.commit(async (tx) => {
        await writeAll(tx, batch, 'rolled.metric');
        wrote = true;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(wrote).toBe(true);
    expect(await tableCounts(url)).toEqual({
      spans: 0, traces: 0, sessions: 0, resources: 0, log_records: 0, metric_points: 0, outbox: 0, changes: 0, latest_seq: 0,
    });
    expect(await store.latestChangeSeq()).toBe(0);
    await expect(store.getSession('rolled-back')).rejects.toThrow(/session not found/);
  }, 60_000);

  it('rolls back a commit whose work caught the error of a failed statement', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const batch = batchOf('caught');
    let caught: unknown;
    await expect(
      store.commit(async (tx) => {
        await tx.writeSpans(batch.spans);
        // span_count is an integer column: the INSERT fails, and the transaction with it.
        await tx.enqueue(['http://upstream.test'], new Uint8Array([1]), 2 ** 40).catch((error: unknown) => {
          caught = error;
        });
        return 'resolved anyway';
      }),
    ).rejects.toThrow(/out of range for type integer/);
    expect((caught as { code?: string }).code).toBe('22003');
    expect(await tableCounts(url)).toMatchObject({ spans: 0, outbox: 0, changes: 0 });
  }, 60_000);

  it('reads its own writes inside the transaction, which no other connection sees before COMMIT', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const batch = batchOf('own-writes');
    await store.commit(async (tx) => {
      await tx.lockTraces([batch.traceId]);
      expect(await tx.hasTraceLogs(batch.traceId)).toBe(false);
      expect((await tx.getSpans({ traceId: batch.traceId })).items).toEqual([]);
      await tx.writeSpans(batch.spans);
      await tx.writeLogs([batch.log]);
      const spans = await tx.getSpans({ traceId: batch.traceId });
      expect(spans.items.map((span) => span.spanId).sort()).toEqual(batch.spans.map((span) => span.spanId).sort());
      expect(spans.items.every((span) => span.resolvedSessionId === 'own-writes')).toBe(true);
      expect((await tx.listLogs({ sessionId: 'own-writes' })).items).toHaveLength(1);
      expect(await tx.hasTraceLogs(batch.traceId)).toBe(true);
      // The store's own reads run on other connections: nothing yet.
      expect((await store.getSpans({ traceId: batch.traceId })).items).toEqual([]);
      expect(await store.hasTraceLogs(batch.traceId)).toBe(false);
    });
    expect((await store.getSpans({ traceId: batch.traceId })).items).toHaveLength(2);
    expect(await store.hasTraceLogs(batch.traceId.toUpperCase())).toBe(true);
  }, 60_000);

  it('looks up whether a trace has log records in the trace index', async () => {
    const url = await server.createDatabase();
    await open(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // With sequential scans priced out, a plan without the index would say the index cannot answer it.
      await client.query('SET enable_seqscan = off');
      await client.query(`PREPARE has_trace(text) AS ${HAS_TRACE_SQL}`);
      await client.query('SET plan_cache_mode = force_generic_plan');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE has_trace('${newTraceId()}')`);
      expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/Index Only Scan using log_records_trace/);
    } finally {
      await client.end();
    }
  }, 60_000);

  it('answers getSpans and listLogs as the store does: the same pages, cursors and refusals', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const traceId = newTraceId();
    const spans = Array.from({ length: 5 }, (_, i) =>
      makeRecord({ traceId, sessionId: 'paged', startTimeUnixNano: BASE_TIME_UNIX_NANO + BigInt(i) * MILLI }),
    );
    await store.write(spans);
    await store.writeLogs(Array.from({ length: 5 }, () => makeLog({ traceId, spanId: newSpanId() })));
    const first = await store.getSpans({ traceId, limit: 2 });
    const spanQueries: SpanQuery[] = [
      { traceId, limit: 2 }, { traceId, limit: 2, cursor: first.nextCursor ?? undefined }, { sessionId: 'paged', stepType: 'other' },
    ];
    const firstLogs = await store.listLogs({ traceId, limit: 3 });
    const logQueries: LogQuery[] = [{ traceId, limit: 3 }, { traceId, limit: 3, cursor: firstLogs.nextCursor ?? undefined }];
    const badSpans = { traceId, limit: 0 } as SpanQuery;
    const badLogs = { traceId: 'not-hex' } as LogQuery;
    await store.commit(async (tx) => {
      for (const query of spanQueries) expect(await tx.getSpans(query)).toEqual(await store.getSpans(query));
      for (const query of logQueries) expect(await tx.listLogs(query)).toEqual(await store.listLogs(query));
      const refusal = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);
      const [inTx, outside] = [await refusal(tx.getSpans(badSpans)), await refusal(store.getSpans(badSpans))];
      expect(inTx).toBeInstanceOf(InvalidQueryError);
      expect(inTx).toEqual(outside);
      const [logsInTx, logsOutside] = [await refusal(tx.listLogs(badLogs)), await refusal(store.listLogs(badLogs))];
      expect(logsInTx).toBeInstanceOf(InvalidQueryError);
      expect(logsInTx).toEqual(logsOutside);
      // A refused query sends nothing: the transaction goes on.
      expect((await tx.getSpans({ traceId })).items).toHaveLength(5);
    });
    expect(first.nextCursor).not.toBeNull();
    expect(firstLogs.nextCursor).not.toBeNull();
  }, 60_000);

  it('runs again a commit that deadlocked with another: both are committed, and the loser ran twice', async () => {
    const url = await server.createDatabase();
    const [one, two] = [await open(url), await open(url)];
    const a = batchOf('deadlock-a');
    const b = batchOf('deadlock-b');
    const oneHasA = gate();
    const twoHasB = gate();
    const attempts = { one: 0, two: 0 };
    const first = one.commit(async (tx) => {
      attempts.one++;
      await tx.lockTraces([a.traceId]);
      oneHasA.open();
      await twoHasB.promise;
      await tx.lockTraces([b.traceId]);
      await tx.writeSpans([...a.spans, ...b.spans.slice(0, 1)]);
      return 'one';
    });
    const second = two.commit(async (tx) => {
      attempts.two++;
      await oneHasA.promise;
      await tx.lockTraces([b.traceId]);
      twoHasB.open();
      await tx.lockTraces([a.traceId]);
      await tx.writeSpans([...b.spans, ...a.spans.slice(0, 1)]);
      return 'two';
    });
    expect(await Promise.all([first, second])).toEqual(['one', 'two']);
    expect([attempts.one, attempts.two].sort()).toEqual([1, 2]);
    expect((await one.getSpans({ traceId: a.traceId })).items).toHaveLength(2);
    expect((await one.getSpans({ traceId: b.traceId })).items).toHaveLength(2);
    expect((await one.getSession('deadlock-a')).spanCount).toBe(2);
    expect((await one.getSession('deadlock-b')).spanCount).toBe(2);
  }, 60_000);

  it('gives up on a conflict after 3 attempts, and never retries another error', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    let runs = 0;
    const conflict = Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });
    await expect(
      store.commit(async () => {
        runs++;
        throw conflict;
      }),
    ).rejects.toBe(conflict);
    expect(runs).toBe(3);
    runs = 0;
    await expect(
      store.commit(async () => {
        runs++;
        throw Object.assign(new Error('unique violation'), { code: '23505' });
      }),
    ).rejects.toThrow('unique violation');
    expect(runs).toBe(1);
  }, 60_000);

  it('refuses on a read-only store, and a tx used after its commit', async () => {
    const url = await server.createDatabase();
    const store = await open(url);
    const reader = await PostgresTraceStore.open({ url, readonly: true });
    stores.keep(reader);
    await expect(reader.commit(async () => 1)).rejects.toThrow(/is read-only/);
    let kept: PgCommitTransaction | undefined;
    await store.commit(async (tx) => {
      kept = tx;
    });
    await expect(kept!.hasTraceLogs(newTraceId())).rejects.toThrow(/this commit has ended/);
  }, 60_000);
});

describe('PostgresTraceStore.commit without its server', () => {
  // Durable: what was committed before a kill is there after the restart (the schema, to begin with).
  const own = usePostgres({ durable: true });

  it('rejects with StoreUnavailableError naming the database, then commits again on the same store once it is back', async () => {
    const url = await own.createDatabase();
    const store = await open(url);
    await own.kill();

    const batch = batchOf('after-restart');
    const refused = await store.commit(async (tx) => writeAll(tx, batch, 'm')).then(() => null, (error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreUnavailableError);
    const error = refused as StoreUnavailableError;
    expect(error.message).toContain(`the database ${store.database} is unavailable: `);
    expect(store.database).toMatch(/^postgres:\/\/skein:\*\*\*@127\.0\.0\.1:\d+\/skein_test_/);
    expect(error.message).not.toContain(`:${TEST_PASSWORD}@`);
    expect(error.retryAfterSeconds).toBe(1);
    expect(error.cause).toBeInstanceOf(Error);
    await expect(store.getSpans({ traceId: batch.traceId })).rejects.toBeInstanceOf(StoreUnavailableError);

    await own.restart();
    expect(await store.commit(async (tx) => writeAll(tx, batch, 'm'))).toBe(0);
    expect((await store.getSpans({ traceId: batch.traceId })).items).toHaveLength(2);
  }, 120_000);

  it('rejects with StoreUnavailableError when the connection is lost inside the transaction, and stores nothing of it', async () => {
    const url = await own.createDatabase();
    const store = await open(url);
    const batch = batchOf('lost');
    const wrote = gate();
    const killed = gate();
    const committing = store.commit(async (tx) => {
      await tx.writeSpans(batch.spans);
      wrote.open();
      await killed.promise;
      await tx.writeLogs([batch.log]);
    });
    await wrote.promise;
    await own.kill();
    killed.open();
    await expect(committing).rejects.toBeInstanceOf(StoreUnavailableError);

    await own.restart();
    expect((await store.getSpans({ traceId: batch.traceId })).items).toEqual([]);
    await store.commit(async (tx) => {
      await tx.writeSpans(batch.spans);
    });
    expect((await store.getSpans({ traceId: batch.traceId })).items).toHaveLength(2);
  }, 120_000);
});

describe('which errors are an unavailable database, and which a conflict to retry', () => {
  const coded = (code: string, message = 'm'): Error => Object.assign(new Error(message), { code });

  it('takes lost and refused connections, shutdowns and full servers for unavailable, and nothing a statement did', () => {
    const refused = new AggregateError(
      [coded('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432'), coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
      '',
    );
    for (const error of [
      refused, coded('ECONNRESET'), coded('ETIMEDOUT'), coded('EPIPE'), coded('ENOTFOUND'), coded('EHOSTUNREACH'),
      new Error('Connection terminated unexpectedly'), new Error('Client has encountered a connection error and is not queryable'),
      coded('08006'), coded('08001'), coded('57P01'), coded('57P02'), coded('57P03'), coded('53300'),
      new Error('wrapped', { cause: coded('57P01') }),
    ]) {
      expect(isUnavailable(error), String((error as { code?: string }).code ?? error.message)).toBe(true);
    }
    for (const error of [coded('23505'), coded('40P01'), coded('57014'), coded('53200'), new Error('boom'), new InvalidQueryError('x'), 'text']) {
      expect(isUnavailable(error), String(error)).toBe(false);
    }
    expect(new StoreUnavailableError('postgres://u:***@h/db', refused).message).toBe(
      'the database postgres://u:***@h/db is unavailable: connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    );
  });

  it('retries deadlocks and serialization failures only', () => {
    expect(isTransactionConflict(coded('40P01'))).toBe(true);
    expect(isTransactionConflict(coded('40001'))).toBe(true);
    expect(isTransactionConflict(new Error('wrapped', { cause: coded('40P01') }))).toBe(true);
    expect(isTransactionConflict(coded('40002'))).toBe(false);
    expect(isTransactionConflict(coded('57P01'))).toBe(false);
  });
});
