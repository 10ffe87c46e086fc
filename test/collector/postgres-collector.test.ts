/**
 * The collector on PostgreSQL (issue 18), end to end against a real server this file starts:
 * - the real agents' captures replayed to a SQLite collector and to a PostgreSQL one give the same
 *   sessions and timelines (the enrichment that joins an agent's events to its spans included);
 * - `skein serve --db postgres://…` as a child process with no tuning options, fed by the official
 *   OTel SDK and exporter;
 * - the database lost mid-run: 503 + Retry-After, nothing acknowledged lost, recovery by itself;
 * - the database unreachable at start: one line naming it, without its password, exit 1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, startPostgresCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import type { SessionSummary } from '../../src/model/types.js';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import { PG_SCHEMA_VERSION, PostgresTraceStore } from '../../src/store/postgres/index.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import { listScenarios, replayScenario } from '../fixtures/agents/replay.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { cleanup, spawnServe } from '../cli/serve/helpers.js';
import { waitForOutput } from './serve-child.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { TEST_PASSWORD, sql } from '../helpers/postgres-server.js';

// Durable: one test kills the server and counts on what it acknowledged.
const server = usePostgres({ durable: true });
afterEach(async () => {
  await cleanup();
});

async function allSessions(store: TraceStore): Promise<SessionSummary[]> {
  const out: SessionSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listSessions({ limit: 200, cursor, includeInternal: true });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out.sort((a, b) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
}

/** A session as both stores must agree on it: the summary, its trace ids as a set. */
function comparable(session: SessionSummary): SessionSummary {
  return { ...session, traceIds: [...session.traceIds].sort() };
}

describe('captures from the real agents, replayed to a SQLite and a PostgreSQL collector', () => {
  let dir: string;
  let sqlite: RunningCollector;
  let postgres: Awaited<ReturnType<typeof startPostgresCollector>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-pg-collector-'));
    sqlite = await startCollector({ dbPath: join(dir, 'agents.db'), port: 0, grpcPort: 0 });
    postgres = await startPostgresCollector({ dbPath: await server.createDatabase(), port: 0, grpcPort: 0 });
  });
  afterAll(async () => {
    await Promise.all([sqlite?.close(), postgres?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('every request is accepted by both, and both hold the same sessions, timelines and log records', async () => {
    const scenarios = listScenarios();
    expect(scenarios.length).toBeGreaterThan(3);
    for (const scenario of scenarios) {
      for (const collector of [sqlite, postgres]) {
        const answers = await replayScenario(scenario.dir, { httpUrl: collector.url, grpcPort: collector.grpcPort });
        for (const answer of answers) {
          expect({ file: answer.file, status: answer.httpStatus, grpc: answer.grpcCodes.every((c) => c === 0) }).toEqual({
            file: answer.file,
            status: 200,
            grpc: true,
          });
        }
      }
    }
    const expected = await allSessions(sqlite.store);
    const actual = await allSessions(postgres.store);
    expect(expected.length).toBeGreaterThan(3);
    // Enrichment happened on both: some session has tokens and a cost from an agent's events.
    expect(expected.some((s) => s.tokens.input > 0 && s.costUsd > 0)).toBe(true);
    expect(actual.map(comparable)).toEqual(expected.map(comparable));
    for (const session of expected) {
      const [a, b] = await Promise.all([sqlite.store.getTimeline(session.sessionId), postgres.store.getTimeline(session.sessionId)]);
      expect(b, session.sessionId).toEqual(a);
      const [logsA, logsB] = await Promise.all([
        sqlite.store.listLogs({ sessionId: session.sessionId, limit: 1000 }),
        postgres.store.listLogs({ sessionId: session.sessionId, limit: 1000 }),
      ]);
      // Ids are each store's own.
      expect(logsB.items.map(({ id: _, ...l }) => l), session.sessionId).toEqual(logsA.items.map(({ id: _, ...l }) => l));
    }
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('skein serve --db postgres://…', () => {
  it('with no tuning options: the official OTel exporter sends, the query API answers from PostgreSQL, the password is never printed', async () => {
    const url = await server.createDatabase();
    const serve = await spawnServe(['--db', url, '--port', '0', '--grpc-port', 'off'], { via: 'node' });
    await waitForOutput(serve, /^OTLP\/gRPC: off$/m);
    expect(serve.stdout()).toMatch(/^database: postgres:\/\/skein:\*\*\*@127\.0\.0\.1:\d+\//m);
    expect(serve.stdout() + serve.stderr()).not.toContain(`:${TEST_PASSWORD}@`);

    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'pg-serve-test' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${serve.url}/v1/traces` }))],
    });
    const tracer = provider.getTracer('pg-serve');
    for (let i = 0; i < 3; i++) {
      const root = tracer.startSpan('invoke_agent planner', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.conversation.id': `conv-${i}` } });
      const call = tracer.startSpan(
        'chat gpt-4o',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.usage.input_tokens': 100 + i,
            'gen_ai.usage.output_tokens': 10,
            'gen_ai.conversation.id': `conv-${i}`,
          },
        },
        // A child of the root.
        trace.setSpan(context.active(), root),
      );
      call.end();
      root.end();
    }
    await provider.forceFlush();
    await provider.shutdown();

    const res = await fetch(`${serve.url}/api/sessions?limit=10`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<{ sessionId: string; llmCallCount: number; tokens: { input: number } }> };
    expect(body.items.map((s) => [s.sessionId, s.llmCallCount, s.tokens.input]).sort()).toEqual([
      ['conv-0', 1, 100],
      ['conv-1', 1, 101],
      ['conv-2', 1, 102],
    ]);
    // The same rows, read by another store on the database: they are in PostgreSQL, not in the process.
    const reader = await PostgresTraceStore.open({ url, readonly: true });
    try {
      expect((await reader.getSession('conv-1')).tokens.input).toBe(101);
    } finally {
      await reader.close();
    }
  });

  it('an unreachable database at start: one line naming it without its password, exit 1', async () => {
    const url = `postgres://skein:hunter2@127.0.0.1:${await closedPort()}/skein`;
    const serve = await spawnServe(['--db', url, '--port', '0', '--grpc-port', 'off'], { via: 'node', waitForUrl: false });
    const { code } = await serve.exited;
    expect(code).toBe(1);
    const lines = serve.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^skein serve: cannot open the database postgres:\/\/skein:\*\*\*@127\.0\.0\.1:\d+\/skein/);
    expect(serve.stderr() + serve.stdout()).not.toContain('hunter2');
  });
});

/** Runs `skein serve --db <url>` expecting it to refuse to start: its one line of stderr. */
async function refusedStart(url: string): Promise<string> {
  const serve = await spawnServe(['--db', url, '--port', '0', '--grpc-port', 'off'], { via: 'node', waitForUrl: false });
  const { code } = await serve.exited;
  expect(code).toBe(1);
  const lines = serve.stderr().trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('skein serve --db postgres://… refuses to start, in one line naming the database', () => {
  it('on a schema written by a newer Skein', async () => {
    const url = await server.createDatabase();
    await (await PostgresTraceStore.open({ url })).close();
    await sql(url, `UPDATE skein_schema SET version = ${PG_SCHEMA_VERSION + 1}`);
    const line = await refusedStart(url);
    expect(line).toContain(`has Skein schema version ${PG_SCHEMA_VERSION + 1}, newer than version ${PG_SCHEMA_VERSION}`);
    expect(line).toMatch(/postgres:\/\/skein:\*\*\*@/);
  });

  it('with a role that may read the tables but not write them', async () => {
    const url = await server.createDatabase();
    await (await PostgresTraceStore.open({ url })).close();
    await sql(server.adminUrl, "CREATE ROLE skein_viewer LOGIN PASSWORD 'viewer-secret'");
    await sql(url, 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO skein_viewer');
    const viewer = new URL(url);
    viewer.username = 'skein_viewer';
    viewer.password = 'viewer-secret';
    const line = await refusedStart(viewer.toString());
    expect(line).toMatch(/^skein serve: cannot open the database postgres:\/\/skein_viewer:\*\*\*@.*permission denied for table/);
    expect(line).not.toContain('viewer-secret');
  });
});

describe("README's grants", () => {
  it('a collector role with SELECT, INSERT, UPDATE, DELETE and sequence USAGE runs skein serve; a SELECT-only role reads', async () => {
    const url = await server.createDatabase();
    // The owner made the schema (the first start, or skein migrate).
    await (await PostgresTraceStore.open({ url })).close();
    await sql(server.adminUrl, "CREATE ROLE skein_collector LOGIN PASSWORD 'collector'");
    await sql(server.adminUrl, "CREATE ROLE skein_reader LOGIN PASSWORD 'reader'");
    await sql(url, 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO skein_collector');
    await sql(url, 'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO skein_collector');
    await sql(url, 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO skein_reader');
    const as = (user: string, password: string): string => {
      const parsed = new URL(url);
      parsed.username = user;
      parsed.password = password;
      return parsed.toString();
    };
    const collector = await startPostgresCollector({ dbPath: as('skein_collector', 'collector'), port: 0, forward: [{ url: 'http://127.0.0.1:9' }] });
    try {
      const span = makeRawSpan({ attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.conversation.id': 'granted' } });
      const res = await fetch(`${collector.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: encodeTraceRequest([span], 'protobuf'),
      });
      expect(res.status).toBe(200);
    } finally {
      await collector.close();
    }
    const reader = await PostgresTraceStore.open({ url: as('skein_reader', 'reader'), readonly: true });
    try {
      expect((await reader.getSession('granted')).llmCallCount).toBe(1);
      expect((await reader.outbox().queues()).map((q) => q.entries)).toEqual([1]);
    } finally {
      await reader.close();
    }
  });
});

describe('the database lost mid-run', () => {
  it('requests get 503 + Retry-After while it is down, nothing acknowledged is lost, and the collector recovers by itself', async () => {
    const url = await server.createDatabase();
    const collector = await startPostgresCollector({ dbPath: url, port: 0 });
    try {
      const send = async (i: number): Promise<Response> => {
        const span = makeRawSpan({
          traceId: i.toString(16).padStart(32, '0'),
          spanId: (i + 1).toString(16).padStart(16, '0'),
          startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(i),
          endTimeUnixNano: 1_700_000_000_000_000_500n + BigInt(i),
          attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.conversation.id': 'lost-mid-run' },
        });
        return fetch(`${collector.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body: encodeTraceRequest([span], 'protobuf'),
        });
      };
      const acknowledged: number[] = [];
      for (let i = 1; i <= 3; i++) if ((await send(i)).status === 200) acknowledged.push(i);
      expect(acknowledged).toEqual([1, 2, 3]);

      await server.kill();
      const down = await send(4);
      expect(down.status).toBe(503);
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await down.text()).toMatch(/postgres:\/\/skein:\*\*\*@/);

      await server.restart();
      // The exporter's retry, as an SDK would after Retry-After: the same collector, not restarted.
      let again: Response | undefined;
      for (let attempt = 0; attempt < 100; attempt++) {
        again = await send(4);
        if (again.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(again?.status).toBe(200);
      acknowledged.push(4);
      expect((await send(5)).status).toBe(200);
      acknowledged.push(5);

      const session = await collector.store.getSession('lost-mid-run');
      expect(session.llmCallCount).toBe(acknowledged.length);
      const spans = await collector.store.getSpans({ sessionId: 'lost-mid-run', limit: 100 });
      expect(spans.items.map((s) => parseInt(s.traceId, 16)).sort()).toEqual(acknowledged);
    } finally {
      await collector.close();
    }
  });
});
