/**
 * `SkeinSpanProcessor({ dbUrl })` against a real PostgreSQL server that this
 * file starts (test/helpers/postgres-server.ts): an app's spans committed
 * in-process to the database `skein serve --db postgres://…` replicas share,
 * read back by a separate read-only store.
 */

import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { BudgetEventRecord } from '../../src/model/budgets.js';
import { AgentTracer } from '../../src/processor/agent-tracer.js';
import { BudgetExceededError } from '../../src/processor/budget-exceeded-error.js';
import { SkeinSpanProcessor } from '../../src/processor/skein-span-processor.js';
import type { SkeinSpanProcessorOptions } from '../../src/processor/skein-span-processor-options.js';
import { SessionNotFoundError } from '../../src/store/errors.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import { SECRETS } from '../fixtures/redaction/secrets.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { TEST_PASSWORD } from '../helpers/postgres-server.js';
import { captureErrors, fixturesDir, openStore, removeTempDirs, tempDbPath } from './helpers.js';

const server = usePostgres();

const providers: BasicTracerProvider[] = [];
afterEach(async () => {
  setGlobalErrorHandler(loggingErrorHandler());
  await Promise.all(providers.splice(0).map((provider) => provider.shutdown().catch(() => undefined)));
  removeTempDirs();
});

function setup(options: SkeinSpanProcessorOptions) {
  const processor = new SkeinSpanProcessor(options);
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  providers.push(provider);
  const agent = new AgentTracer({ tracerProvider: provider, budgets: processor });
  return { processor, provider, agent };
}

/** A session with one model call (100 + 20 tokens, $0.01) and one tool call carrying a secret in an attribute. */
function runSession(agent: AgentTracer, sessionId: string): void {
  agent.session({ sessionId, agentName: 'pg-agent' }, () => {
    agent.modelCall({ provider: 'openai', model: 'gpt-4o' }, (call) => {
      call.recordUsage({ inputTokens: 100, outputTokens: 20 });
      call.recordCost(0.01);
    });
    agent.toolCall({ name: 'lookup' }, (tool) => {
      tool.span.setAttribute('app.note', `calling with key ${SECRETS.openaiProject}`);
      return 'ok';
    });
  });
}

async function readOnly<T>(url: string, read: (store: PostgresTraceStore) => Promise<T>): Promise<T> {
  const store = await PostgresTraceStore.open({ url, readonly: true });
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

async function toolNote(store: TraceStore, sessionId: string): Promise<unknown> {
  const page = await store.getSpans({ sessionId, stepType: 'tool' });
  expect(page.items).toHaveLength(1);
  return page.items[0].raw.attributes['app.note'];
}

/** Runs a fixture to its end; a child still running after `guardMillis` is killed (SIGKILL), so a hang fails rather than lingers. */
function runToEnd(script: string, args: string[], guardMillis: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', join(fixturesDir, script), ...args], { timeout: guardMillis, killSignal: 'SIGKILL' }, (_error, stdout) =>
      resolve({ code: child.exitCode, signal: child.signalCode, stdout }),
    );
  });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('SkeinSpanProcessor with dbUrl', () => {
  it('commits a session to PostgreSQL, redacted exactly as with dbPath', async () => {
    const url = await server.createDatabase();
    const { processor, provider, agent } = setup({ dbUrl: url });
    runSession(agent, 'pg-session');
    await provider.forceFlush();
    await provider.shutdown();
    expect(processor.failedSpans).toBe(0);

    const dbPath = tempDbPath();
    const sqlite = setup({ dbPath });
    runSession(sqlite.agent, 'pg-session');
    await sqlite.provider.shutdown();
    const sqliteStore = openStore(dbPath);
    const sqliteNote = await toolNote(sqliteStore, 'pg-session');
    await sqliteStore.close();

    await readOnly(url, async (store) => {
      const session = await store.getSession('pg-session');
      expect(session).toMatchObject({ status: 'completed', spanCount: 3, llmCallCount: 1, toolCallCount: 1, openCount: 0, agentName: 'pg-agent' });
      expect(session.tokens).toMatchObject({ input: 100, output: 20 });
      expect(session.costUsd).toBeCloseTo(0.01, 10);
      const note = await toolNote(store, 'pg-session');
      expect(String(note)).toContain('calling with key');
      expect(String(note)).not.toContain(SECRETS.openaiProject);
      expect(note).toEqual(sqliteNote);
    });
  });

  it('reports budget crossings to onBudget, and AgentTracer enforces them', async () => {
    const url = await server.createDatabase();
    const crossings: BudgetEventRecord[] = [];
    const { processor, agent } = setup({ dbUrl: url, budgets: { session: { maxCostUsd: 0.5 } }, enforce: true, onBudget: (c) => crossings.push(c) });
    let refused: unknown;
    await agent.session({ sessionId: 'spender' }, async () => {
      for (let i = 0; i < 2; i++) agent.modelCall({ provider: 'openai', model: 'gpt-4o' }, (call) => call.recordCost(0.3));
      await processor.forceFlush();
      try {
        agent.modelCall({ provider: 'openai', model: 'gpt-4o' }, (call) => call.recordCost(0.3));
      } catch (error) {
        refused = error;
      }
    });
    await processor.shutdown();

    expect(crossings.map((c) => [c.sessionId, c.level])).toContainEqual(['spender', 'exceeded']);
    expect(processor.isOverBudget('spender')).toBe(true);
    expect(refused).toBeInstanceOf(BudgetExceededError);
    await readOnly(url, async (store) => {
      expect((await store.getSession('spender')).llmCallCount).toBe(2);
    });
  });

  it('reports an unreachable database once, naming it without its password, and never throws into the app', async () => {
    const errors = captureErrors();
    const url = `postgres://skein:hunter2-pw@127.0.0.1:${await closedPort()}/nowhere`;
    const { processor, provider, agent } = setup({ dbUrl: url });
    expect(() => runSession(agent, 'lost')).not.toThrow();
    await expect(processor.forceFlush()).rejects.toThrow(/cannot open the database|unavailable/);
    runSession(agent, 'lost-too');
    await processor.forceFlush();
    await provider.shutdown();

    expect(errors).toHaveLength(1);
    const message = (errors[0] as Error).message;
    expect(message).toContain(`skein:***@127.0.0.1:${new URL(url).port}/nowhere`);
    expect(message).not.toContain('hunter2-pw');
    expect(processor.failedSpans).toBeGreaterThanOrEqual(6);
  });

  it('starts recording on the next flush once the database can be opened', async () => {
    const errors = captureErrors();
    const url = new URL(server.adminUrl);
    url.pathname = '/created_later';
    const { processor, agent } = setup({ dbUrl: url.toString() });
    runSession(agent, 'before');
    await expect(processor.forceFlush()).rejects.toThrow(/created_later/);
    const admin = new pg.Client({ connectionString: server.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE created_later');
    await admin.end();

    await processor.forceFlush();
    runSession(agent, 'after');
    await processor.shutdown();

    expect(errors).toHaveLength(1);
    expect(processor.failedSpans).toBeGreaterThan(0);
    await readOnly(url.toString(), async (store) => {
      expect((await store.getSession('after')).spanCount).toBe(3);
      await expect(store.getSession('before')).rejects.toBeInstanceOf(SessionNotFoundError);
    });
  });

  it('lets an app that never calls shutdown() exit by itself, its spans committed on the way out', async () => {
    const url = await server.createDatabase();
    const result = await runToEnd('pg-exit-child.ts', [url, 'exited'], 40_000);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('EXIT failed=0');
    await readOnly(url, async (store) => {
      expect(await store.getSession('exited')).toMatchObject({ status: 'completed', spanCount: 3, tokens: expect.objectContaining({ input: 7 }) });
    });
  });

  it('takes exactly one of store, dbPath and dbUrl, and dbUrl only as a PostgreSQL URL', () => {
    expect(() => new SkeinSpanProcessor({ dbUrl: 'postgres://x@127.0.0.1/db', dbPath: tempDbPath() })).toThrow(
      new TypeError('SkeinSpanProcessor: pass either store, dbPath or dbUrl, not several'),
    );
    expect(() => new SkeinSpanProcessor({})).toThrow(new TypeError('SkeinSpanProcessor: a store or a dbPath (or a dbUrl) is required'));
    expect(() => new SkeinSpanProcessor({ dbUrl: tempDbPath() })).toThrow(/dbUrl must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(() => new SkeinSpanProcessor({ dbPath: 'postgresql://x@127.0.0.1/db' })).toThrow(/pass a PostgreSQL URL as dbUrl/);
  });
});

describe('SkeinSpanProcessor with dbUrl, its server killed and restarted', () => {
  // Durable: what was committed before a kill is there after the restart (the schema, to begin with).
  const own = usePostgres({ durable: true });

  it('counts the spans of a commit that fails (the server gone) as failed, and commits again once it is back', async () => {
    const errors = captureErrors();
    const url = await own.createDatabase();
    const { processor, agent } = setup({ dbUrl: url });
    runSession(agent, 'before-crash');
    await processor.forceFlush();
    await own.kill();
    runSession(agent, 'while-down');
    await expect(processor.forceFlush()).rejects.toThrow(/unavailable|terminat|ECONNREFUSED/);
    expect(processor.failedSpans).toBe(3);
    await own.restart();
    runSession(agent, 'after-restart');
    await processor.forceFlush();
    await processor.shutdown();

    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(String(error)).not.toContain(`:${TEST_PASSWORD}@`);
    expect(processor.failedSpans).toBe(3);
    await readOnly(url, async (store) => {
      expect((await store.getSession('before-crash')).spanCount).toBe(3);
      expect((await store.getSession('after-restart')).spanCount).toBe(3);
      await expect(store.getSession('while-down')).rejects.toBeInstanceOf(SessionNotFoundError);
    });
  });
});
