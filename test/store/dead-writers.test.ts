/**
 * A writer killed by SIGKILL (no exit handler runs, its open steps stay
 * open) must read as interrupted right away, through the CLI (a read-only
 * open) and through the query API (a store opened before the kill, as
 * `skein serve` holds it), while a live writer's open session still reads as
 * running.
 */

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createQueryApi } from '../../src/server/query-api/index.js';
import type { SessionJson, StepJson } from '../../src/query/json-views.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { cli } from '../cli/run.js';
import { makeRecord, opened } from '../helpers/records.js';
import { fixturesDir } from '../processor/helpers.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
const stores: SqliteTraceStore[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skein-dead-writers-'));
  dirs.push(dir);
  return join(dir, 'skein.db');
}

interface Writer {
  child: ChildProcess;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

/**
 * Starts test/fixtures/processor/crash-child.ts: a session through
 * `SkeinSpanProcessor({ dbPath })` with completed steps and one open step,
 * committed; resolves once it says READY (and then waits to be killed).
 */
function startWriter(dbPath: string, sessionId: string): Promise<Writer> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(fixturesDir, 'crash-child.ts'), dbPath, sessionId], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('READY')) {
        resolve({
          child,
          kill: () => {
            child.kill('SIGKILL');
            return exited;
          },
        });
      }
    });
    child.once('error', reject);
    child.once('close', (code) => reject(new Error(`writer exited (${code}) before READY: ${stderr}`)));
  });
}

async function cliSessions(dbPath: string): Promise<Map<string, string>> {
  const { code, stdout, stderr } = await cli(['sessions', '--db', dbPath, '--json']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const { items } = JSON.parse(stdout) as { items: SessionJson[] };
  return new Map(items.map((s) => [s.sessionId, s.status]));
}

/** The pid of a process that has already ended. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '0']);
  return pid!;
}

describe('a writer on this host whose process is gone', () => {
  it('is marked by markInterrupted at once, however recently it wrote; a live one is spared', async () => {
    const dbPath = tempDbPath();
    const writer = new SqliteTraceStore({ path: dbPath });
    const judge = new SqliteTraceStore({ path: dbPath });
    stores.push(writer, judge);
    writer.writeSync([opened(makeRecord({ sessionId: 'gone' }))]);
    expect(judge.markInterrupted({ silentForMillis: 60_000, spareLiveLocalWriters: true })).toBe(0);
    expect((await judge.listSessions()).items.map((s) => s.status)).toEqual(['running']);

    // As a SIGKILL leaves it: the row still names the writer, its process is gone.
    const raw = new Database(dbPath);
    raw.prepare('UPDATE writers SET pid = ? WHERE writer_id = ?').run(deadPid(), writer.writerId);
    raw.close();
    const before = judge.latestChangeSeq();
    expect(judge.markInterrupted({ silentForMillis: 60_000, spareLiveLocalWriters: true })).toBe(1);
    expect((await judge.getSession('gone')).status).toBe('interrupted');
    expect(judge.readChanges(before, { limit: 10 }).map((event) => event.kind)).toEqual(['session.interrupted', 'session.updated']);
  });
});

describe('a writer killed with steps open', () => {
  it('reads as interrupted through `skein sessions` (read-only), a live writer as running', async () => {
    const dbPath = tempDbPath();
    const dead = await startWriter(dbPath, 'killed-session');
    const live = await startWriter(dbPath, 'live-session');
    await dead.kill();

    const statuses = await cliSessions(dbPath);
    expect(statuses.get('killed-session')).toBe('interrupted');
    expect(statuses.get('live-session')).toBe('running');

    const show = await cli(['show', 'killed-session', '--db', dbPath, '--json']);
    expect(show.code).toBe(0);
    const { steps } = JSON.parse(show.stdout) as { steps: StepJson[] };
    const open = steps.filter((step) => step.endTimeUnixNano === null);
    expect(open).toHaveLength(2);
    for (const step of open) expect(step.interrupted).toBe(true);

    // The live writer is left alone, and still shows running once it is the only one left.
    expect((await cliSessions(dbPath)).get('live-session')).toBe('running');
    expect(live.child.exitCode).toBeNull();
  }, 30_000);

  it('reads as interrupted through the query API of a store opened before the kill, a live writer as running', async () => {
    const dbPath = tempDbPath();
    const store = new SqliteTraceStore({ path: dbPath });
    stores.push(store);
    const app = new Hono().route('/api', createQueryApi({ store }));
    const get = async <T>(path: string): Promise<T> => {
      const res = await app.request(path);
      expect(res.status).toBe(200);
      return (await res.json()) as T;
    };

    const dead = await startWriter(dbPath, 'killed-session');
    const live = await startWriter(dbPath, 'live-session');
    const before = await get<{ items: SessionJson[] }>('/api/sessions');
    expect(before.items.map((s) => s.status)).toEqual(['running', 'running']);
    await dead.kill();

    const after = await get<{ items: SessionJson[] }>('/api/sessions');
    const statuses = new Map(after.items.map((s) => [s.sessionId, s.status]));
    expect(statuses.get('killed-session')).toBe('interrupted');
    expect(statuses.get('live-session')).toBe('running');
    expect((await get<SessionJson>('/api/sessions/killed-session')).status).toBe('interrupted');
    const { steps } = await get<{ steps: StepJson[] }>('/api/sessions/killed-session/timeline');
    const open = steps.filter((step) => step.endTimeUnixNano === null);
    expect(open).toHaveLength(2);
    for (const step of open) expect(step.interrupted).toBe(true);
    const liveSteps = (await get<{ steps: StepJson[] }>('/api/sessions/live-session/timeline')).steps;
    expect(liveSteps.filter((step) => step.open)).toHaveLength(2);
    expect(live.child.exitCode).toBeNull();
  }, 30_000);
});
