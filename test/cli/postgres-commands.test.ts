/**
 * The CLI on PostgreSQL (issue 18): `--db postgres://…` or SKEIN_DB. The same
 * records are written to a SQLite file and to a PostgreSQL database, and each
 * read command must print the same on both; prune and outbox change both the
 * same way; failures to open are one line that never shows the password.
 */

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawLogRecord } from '../../src/model/log-types.js';
import type { RawMetric } from '../../src/model/metric-types.js';
import type { SpanRecord } from '../../src/model/types.js';
import { CliFailure } from '../../src/cli/cli-error.js';
import { openStore, resolveDbPath } from '../../src/cli/open-store.js';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import { openPool } from '../../src/store/postgres/connection.js';
import { PgOutbox } from '../../src/store/postgres/pg-outbox.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { SqliteOutbox } from '../../src/store/sqlite/sqlite-outbox.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { TEST_PASSWORD } from '../helpers/postgres-server.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { BASE_TIME_UNIX_NANO, MILLI, SECOND, makeLlmRecord, makeRecord, newTraceId } from '../helpers/records.js';
import { tempDir } from '../server/query-api/seed.js';
import { gauge, makeLog } from '../store/signal-records.js';
import { cli } from './run.js';

const server = usePostgres();
const dirs: Array<{ cleanup(): void }> = [];

afterAll(() => {
  for (const dir of dirs) dir.cleanup();
});

interface Signals {
  spans: SpanRecord[];
  logs?: RawLogRecord[];
  metrics?: RawMetric[];
}

/** A SQLite file and a new PostgreSQL database holding the same records: their `--db` values. */
async function bothStores(signals: Signals): Promise<{ sqlite: string; postgres: string }> {
  const dir = tempDir('skein-pg-cli-');
  dirs.push(dir);
  const sqlite = join(dir.dir, 'skein.db');
  const postgres = await server.createDatabase();
  const stores = [new SqliteTraceStore({ path: sqlite }), await PostgresTraceStore.open({ url: postgres })];
  for (const store of stores) {
    try {
      await store.write(signals.spans);
      if (signals.logs) await store.writeLogs(signals.logs);
      if (signals.metrics) await store.writeMetrics(signals.metrics);
    } finally {
      await store.close();
    }
  }
  return { sqlite, postgres };
}

/**
 * Two sessions: `pg-alpha` (agent researcher, user u-1) with an agent step,
 * two model calls (one mentioning a zebra, one with reasoning), a tool call
 * and a failing tool call, and two log records of its trace; `pg-beta`
 * (agent coder, user u-2) with one call to a model with no price.
 */
function querySignals(): Signals {
  const trace = newTraceId();
  const t = (seconds: number) => BASE_TIME_UNIX_NANO + BigInt(seconds) * SECOND;
  const alpha = { traceId: trace, sessionId: 'pg-alpha', agentName: 'researcher', userId: 'u-1' };
  const root = makeRecord({ ...alpha, name: 'invoke_agent researcher', stepType: 'agent', startTimeUnixNano: t(0), endTimeUnixNano: t(10) });
  const under = { ...alpha, parentSpanId: root.spanId };
  const spans = [
    root,
    makeLlmRecord({
      ...under,
      startTimeUnixNano: t(1),
      endTimeUnixNano: t(3),
      input: { text: 'Find the zebra population of Kenya', originalLength: 34, truncated: false },
      output: { text: 'Searching.', originalLength: 10, truncated: false },
    }),
    makeRecord({ ...under, name: 'execute_tool web_search', stepType: 'tool', toolName: 'web_search', toolCallId: 'c1', startTimeUnixNano: t(3), endTimeUnixNano: t(4) }),
    makeRecord({
      ...under,
      name: 'execute_tool fetch_page',
      stepType: 'tool',
      toolName: 'fetch_page',
      startTimeUnixNano: t(4),
      endTimeUnixNano: t(5),
      statusCode: 2,
      statusMessage: 'connection refused',
      isError: true,
    }),
    makeLlmRecord({
      ...under,
      name: 'chat claude-sonnet-4-5',
      provider: 'anthropic',
      requestModel: 'claude-sonnet-4-5',
      responseModel: 'claude-sonnet-4-5',
      usage: { input: 3000, output: 400, reasoning: 150 },
      cost: { usd: 0.5, source: 'supplied' },
      startTimeUnixNano: t(5),
      endTimeUnixNano: t(9),
      reasoning: { text: 'The census says about two thousand.', originalLength: 35, truncated: false },
      output: { text: 'About 2,000 Grevy zebras.', originalLength: 25, truncated: false },
    }),
    makeLlmRecord({
      sessionId: 'pg-beta',
      agentName: 'coder',
      userId: 'u-2',
      name: 'chat my-local-model',
      provider: 'local',
      requestModel: 'my-local-model',
      responseModel: 'my-local-model',
      usage: { input: 50, output: 10 },
      cost: null,
      unpriced: true,
      startTimeUnixNano: t(20),
      endTimeUnixNano: t(21),
    }),
  ];
  const logs = [
    makeLog({ traceId: trace, timeUnixNano: t(2), severityNumber: 9, body: 'api request ok' }),
    makeLog({ traceId: trace, timeUnixNano: t(4) + 500n * MILLI, severityNumber: 17, severityText: 'ERROR', body: 'fetch failed' }),
  ];
  return { spans, logs };
}

function jsonLines(text: string): unknown[] {
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as unknown);
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}

describe('read commands on PostgreSQL print what they print on SQLite', () => {
  let db: { sqlite: string; postgres: string };
  beforeAll(async () => {
    db = await bothStores(querySignals());
  });

  /**
   * `lines`: compared as JSON values line by line, not as text: each backend
   * rebuilds a stored span's `raw` object with its keys in its own order.
   */
  const COMMANDS: Array<{ argv: string[]; holds: string[]; lines?: true }> = [
    { argv: ['sessions'], holds: ['pg-alpha', 'pg-beta'] },
    { argv: ['sessions', '--json'], holds: ['"sessionId": "pg-alpha"'] },
    { argv: ['sessions', '--text', 'zebra', '--json'], holds: ['pg-alpha'] },
    { argv: ['show', 'pg-alpha'], holds: ['session pg-alpha', 'execute_tool fetch_page', 'claude-sonnet-4-5'] },
    { argv: ['show', 'pg-alpha', '--json'], holds: ['"steps"', 'connection refused'] },
    { argv: ['show', 'pg-alpha', '--tree', '--json'], holds: ['"roots"', '"children"'] },
    { argv: ['spans'], holds: ['execute_tool web_search', 'chat my-local-model'] },
    { argv: ['spans', '--json', '--session', 'pg-alpha', '--errors'], holds: ['execute_tool fetch_page'] },
    { argv: ['search', 'zebra'], holds: ['pg-alpha'] },
    { argv: ['search', 'zebra', '--json'], holds: ['pg-alpha'] },
    { argv: ['stats'], holds: ['claude-sonnet-4-5', 'my-local-model'] },
    { argv: ['stats', '--by', 'agent', '--json'], holds: ['researcher', 'coder'] },
    { argv: ['logs'], holds: ['api request ok', 'fetch failed'] },
    { argv: ['logs', '--session', 'pg-alpha', '--json'], holds: ['fetch failed'] },
    { argv: ['export', 'pg-alpha', '--format', 'jsonl'], holds: ['zebra population'], lines: true },
    { argv: ['export', 'pg-alpha', 'pg-beta', '--format', 'md'], holds: ['zebra population', 'my-local-model'] },
    { argv: ['export', 'pg-alpha', '--format', 'otlp'], holds: ['resourceSpans'] },
  ];

  for (const { argv, holds, lines } of COMMANDS) {
    it(`skein ${argv.join(' ')}`, async () => {
      const onSqlite = await cli([...argv, '--db', db.sqlite]);
      const onPostgres = await cli([...argv, '--db', db.postgres]);
      expect(onSqlite.stderr).toBe('');
      expect(onSqlite.code).toBe(0);
      for (const text of holds) expect(onSqlite.stdout).toContain(text);
      if (lines) {
        expect({ ...onPostgres, stdout: jsonLines(onPostgres.stdout) }).toEqual({ ...onSqlite, stdout: jsonLines(onSqlite.stdout) });
      } else {
        expect(onPostgres).toEqual(onSqlite);
      }
    });
  }

  it('takes the URL from SKEIN_DB when there is no --db', async () => {
    const byFlag = await cli(['sessions', '--json', '--db', db.postgres]);
    const byEnv = await cli(['sessions', '--json'], { env: { SKEIN_DB: db.postgres } });
    expect(byEnv).toEqual(byFlag);
    expect(JSON.parse(byEnv.stdout).items).toHaveLength(2);
    // --db wins over SKEIN_DB.
    expect(await cli(['sessions', '--json', '--db', db.postgres], { env: { SKEIN_DB: db.sqlite } })).toEqual(byFlag);
  });

  it('a statement the server refuses is one line naming the database', async () => {
    const url = await server.createDatabase();
    await (await PostgresTraceStore.open({ url })).close();
    const pool = openPool(url);
    try {
      await pool.query('DROP TABLE log_records');
    } finally {
      await pool.end();
    }
    const { code, stdout, stderr } = await cli(['logs', '--db', url]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^skein logs: postgres:\/\/skein:\*\*\*@127\.0\.0\.1:\d+\/\S+: relation "log_records" does not exist\n$/);
  });

  it('an unknown session is one line, as on SQLite', async () => {
    const onPostgres = await cli(['show', 'no-such-session', '--db', db.postgres]);
    expect(onPostgres.code).toBe(1);
    expect(onPostgres.stderr).toBe('skein show: session not found: no-such-session\n');
    expect(onPostgres).toEqual(await cli(['show', 'no-such-session', '--db', db.sqlite]));
  });
});

describe('opening a PostgreSQL database that is not there', () => {
  const SECRET = 'hunter2-secret';

  it('an unreachable server: exit 1 and one line naming the database without its password', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const url = `postgres://skein:${SECRET}@127.0.0.1:1/skein`;
    for (const env of [{}, { SKEIN_DB: url }]) {
      const argv = 'SKEIN_DB' in env ? ['sessions'] : ['sessions', '--db', url];
      const { code, stdout, stderr } = await cli(argv, { env });
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.split('\n')).toHaveLength(2); // one line and its newline
      expect(stderr).toMatch(/^skein sessions: cannot open the database postgres:\/\/skein:\*\*\*@127\.0\.0\.1:1\/skein: \S/);
      expect(stderr).not.toContain(SECRET);
    }
  });

  it('the SQLite-only entry points refuse a URL in one line without its password', () => {
    const url = `postgresql://skein:${SECRET}@db.example:5432/skein`;
    const io = { stdout: process.stdout, stderr: process.stderr, env: { SKEIN_DB: url } };
    for (const open of [() => resolveDbPath(undefined, io), () => openStore(io, { db: undefined, mode: 'write' })]) {
      expect(open).toThrow(CliFailure);
      expect(open).toThrow('this command works on a SQLite file only, not on PostgreSQL (postgresql://skein:***@db.example:5432/skein)');
    }
  });

  it('a wrong password: the server refusing it, in one line without it', async () => {
    const good = await server.createDatabase();
    const url = good.replace(`:${TEST_PASSWORD}@`, `:${SECRET}@`);
    expect(url).not.toBe(good);
    const { code, stderr } = await cli(['spans', '--db', url]);
    expect(code).toBe(1);
    expect(stderr.split('\n')).toHaveLength(2);
    expect(stderr).toContain('password authentication failed');
    expect(stderr).not.toContain(SECRET);
  });

  it('a database Skein never wrote: "no Skein schema", and a read creates nothing', async () => {
    const url = await server.createDatabase();
    for (const argv of [['sessions'], ['logs'], ['prune', '--dry-run'], ['outbox']]) {
      const { code, stderr } = await cli([...argv, '--db', url]);
      expect(code).toBe(1);
      expect(stderr.split('\n')).toHaveLength(2);
      expect(firstLine(stderr)).toMatch(new RegExp(`^skein ${argv[0]}: no Skein schema in postgres://skein:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/\\S+: `));
    }
    // Still empty: a read-only open checks, never migrates.
    expect(firstLine((await cli(['stats', '--db', url])).stderr)).toContain('no Skein schema');
  });
});

describe('skein prune on PostgreSQL', () => {
  /**
   * Three old sessions (2023) with a log record and a metric point each, an
   * old record of no session, and two sessions active now.
   */
  function pruneSignals(): Signals {
    const now = BigInt(Date.now()) * MILLI;
    const spans: SpanRecord[] = [];
    const logs: RawLogRecord[] = [];
    const metrics: RawMetric[] = [];
    for (let i = 0; i < 3; i++) {
      const sessionId = `old-${i}`;
      const start = BASE_TIME_UNIX_NANO + BigInt(i) * SECOND;
      spans.push(makeRecord({ sessionId, startTimeUnixNano: start }), makeLlmRecord({ sessionId, startTimeUnixNano: start + MILLI }));
      logs.push(makeLog({ attributes: { 'session.id': sessionId }, timeUnixNano: start }));
      metrics.push(gauge('tokens', start, sessionId));
    }
    logs.push(makeLog({ timeUnixNano: BASE_TIME_UNIX_NANO }));
    for (let i = 0; i < 2; i++) spans.push(makeLlmRecord({ sessionId: `new-${i}`, startTimeUnixNano: now - BigInt(10 - i) * SECOND }));
    return { spans, logs, metrics };
  }

  it('--dry-run counts what prune then deletes, as on SQLite', async () => {
    const db = await bothStores(pruneSignals());
    type Preview = { dryRun: true; sessions: number; spans: number; approxBytes: number; logRecords: number; metricPoints: number };
    const previews: Preview[] = [];
    for (const target of [db.sqlite, db.postgres]) {
      const dry = await cli(['prune', '--dry-run', '--json', '--db', target]);
      expect(dry.stderr).toBe('');
      previews.push(JSON.parse(dry.stdout) as Preview);
    }
    const [onSqlite, onPostgres] = previews;
    expect(onPostgres).toEqual({ ...onSqlite, approxBytes: onPostgres.approxBytes });
    expect(onPostgres).toMatchObject({ sessions: 3, spans: 6, logRecords: 4, metricPoints: 3 });
    // Each backend's own bytes (the formats differ), but the span texts at least.
    expect(onPostgres.approxBytes).toBeGreaterThan(0);

    // Nothing went.
    expect(JSON.parse((await cli(['sessions', '--json', '--db', db.postgres])).stdout).items).toHaveLength(5);

    const pruned = [];
    for (const target of [db.sqlite, db.postgres]) {
      const run = await cli(['prune', '--yes', '--json', '--db', target]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      pruned.push(JSON.parse(run.stdout));
    }
    expect(pruned[1]).toEqual(pruned[0]);
    expect(pruned[1]).toEqual({ sessionsDeleted: 3, spansDeleted: 6, logRecordsDeleted: 4, metricPointsDeleted: 3 });
    const left = JSON.parse((await cli(['sessions', '--json', '--db', db.postgres])).stdout) as { items: Array<{ sessionId: string }> };
    expect(left.items.map((s) => s.sessionId)).toEqual(['new-1', 'new-0']);
    // A preview now finds nothing, and --max-sessions then selects the older of the two.
    expect(firstLine((await cli(['prune', '--dry-run', '--db', db.postgres])).stdout)).toBe('would delete 0 sessions (0 spans, about 0 B)');
    const byCount = JSON.parse((await cli(['prune', '--dry-run', '--max-sessions', '1', '--json', '--db', db.postgres])).stdout) as Preview;
    expect(byCount).toMatchObject({ sessions: 1, spans: 1, logRecords: 0, metricPoints: 0 });
  });
});

describe('skein outbox on PostgreSQL', () => {
  const LIVE = 'http://otel-collector.example:4318';
  const GONE = 'http://old-collector.example:4318';
  const ENQUEUED = Date.now() - 60_000;
  const FAILED = Date.now() - 30_000;

  /**
   * The same outbox in both databases: LIVE one request queued (3 spans)
   * and one dead (4 spans, HTTP 400); GONE one dead (2 spans, HTTP 413).
   */
  async function bothOutboxes(): Promise<{ sqlite: string; postgres: string }> {
    const db = await bothStores({ spans: [] });
    const requests = [
      { upstream: LIVE, spans: [makeRawSpan(), makeRawSpan(), makeRawSpan(), makeRawSpan()], status: 400, answer: 'HTTP 400: bad trace id' },
      { upstream: GONE, spans: [makeRawSpan(), makeRawSpan()], status: 413, answer: 'HTTP 413: too large' },
    ];
    const queued = [makeRawSpan(), makeRawSpan(), makeRawSpan()];

    const sqliteStore = new SqliteTraceStore({ path: db.sqlite });
    const sqlite = new SqliteOutbox(sqliteStore.database);
    for (const r of requests) {
      sqlite.enqueue([r.upstream], encodeTraceRequest(r.spans, 'protobuf'), r.spans.length, { nowMillis: ENQUEUED });
      sqlite.deadLetter(sqlite.dueEntries(r.upstream, 10)[0].id, r.status, r.answer, FAILED);
    }
    sqlite.enqueue([LIVE], encodeTraceRequest(queued, 'protobuf'), queued.length, { nowMillis: ENQUEUED });
    await sqliteStore.close();

    const pool = openPool(db.postgres);
    try {
      const pg = new PgOutbox(pool);
      for (const r of requests) {
        await pg.enqueue([r.upstream], encodeTraceRequest(r.spans, 'protobuf'), r.spans.length, { nowMillis: ENQUEUED });
        const [entry] = await pg.claimDue(r.upstream, 10, 60_000);
        expect(await pg.deadLetter(entry.id, r.status, r.answer, FAILED)).toBe(true);
      }
      await pg.enqueue([LIVE], encodeTraceRequest(queued, 'protobuf'), queued.length, { nowMillis: ENQUEUED });
    } finally {
      await pool.end();
    }
    return db;
  }

  it('list, dead, show, replay and drop do to PostgreSQL what they do to SQLite', async () => {
    const db = await bothOutboxes();
    const steps: Array<{ argv: string[]; holds: string }> = [
      { argv: ['outbox', '--json'], holds: LIVE },
      { argv: ['outbox', 'dead'], holds: 'HTTP 413: too large' },
      { argv: ['outbox', 'dead', '--json', '--upstream', LIVE], holds: 'HTTP 400: bad trace id' },
      { argv: ['outbox', 'show', '1'], holds: 'dead letter 1' },
      { argv: ['outbox', 'show', '1', '--json'], holds: '"spanId"' },
      { argv: ['outbox', 'replay', '1'], holds: 'replayed 1 dead letter (4 spans)' },
      { argv: ['outbox', 'show', '1'], holds: '' },
      { argv: ['outbox', 'drop', GONE], holds: '' },
      { argv: ['outbox', 'drop', LIVE, '--dead', '--yes', '--json'], holds: '"entries": 2' },
      { argv: ['outbox', '--json'], holds: GONE },
      { argv: ['outbox', 'drop', GONE, '--dead', '--yes'], holds: 'dropped 1 dead letter' },
      { argv: ['outbox'], holds: 'nothing queued and no dead letters' },
    ];
    for (const { argv, holds } of steps) {
      const onSqlite = await cli([...argv, '--db', db.sqlite]);
      const onPostgres = await cli([...argv, '--db', db.postgres]);
      expect(onSqlite.stdout + onSqlite.stderr, argv.join(' ')).toContain(holds);
      expect(onPostgres, argv.join(' ')).toEqual(onSqlite);
    }
  });
});
