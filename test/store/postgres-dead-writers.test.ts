/**
 * The writer registry of the PostgreSQL store: the open steps of a collector
 * that is gone (killed on this host, or silent on another) are marked
 * interrupted, once, by whichever replica sees it first; a live writer's
 * open steps are never marked.
 */

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import type { PostgresTraceStoreOptions } from '../../src/store/postgres/index.js';
import { openedStores, usePostgres } from '../helpers/postgres-hooks.js';
import { sql } from '../helpers/postgres-server.js';
import { makeRecord, newTraceId, opened } from '../helpers/records.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/store/pg-open-steps-writer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const server = usePostgres();
const stores = openedStores();
const children: ChildProcess[] = [];

// Runs before the stores are closed (vitest runs after-hooks last registered first).
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** A heartbeat that never fires during a test, unless a test asks for one. */
const QUIET = { heartbeatMillis: 600_000, deadWriterGraceMillis: 1_800_000 };

async function open(url: string, options: Partial<PostgresTraceStoreOptions> = QUIET): Promise<PostgresTraceStore> {
  return stores.open(url, options);
}

/** The pid of a process that has already ended. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '0']);
  return pid!;
}

interface Writer {
  writerId: string;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

/** A child process that writes a session with two open steps and waits to be killed. */
function startWriter(url: string, sessionId: string): Promise<Writer> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, url, sessionId], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const ready = /READY (\S+)\n/.exec(stdout);
      if (ready) {
        resolve({
          writerId: ready[1],
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

/** A session with two open steps written by `store`. */
async function writeOpenSteps(store: PostgresTraceStore, sessionId: string): Promise<void> {
  const traceId = newTraceId();
  const root = makeRecord({ traceId, sessionId });
  await store.write([opened(root), opened(makeRecord({ traceId, sessionId, parentSpanId: root.spanId }))]);
}

describe('PostgresTraceStore writer registry', () => {
  it('marks the open steps of a writer killed on this host when the next store opens; a live writer is spared', async () => {
    const url = await server.createDatabase();
    await open(url);
    const dead = await startWriter(url, 'killed-session');
    await startWriter(url, 'live-session');
    await dead.kill();

    const store = await open(url);
    expect(store.recoveredInterruptedCount).toBe(2);
    const killed = await store.getSession('killed-session');
    expect(killed).toMatchObject({ status: 'interrupted', interruptedCount: 2, openCount: 0, spanCount: 3 });
    const steps = await store.getTimeline('killed-session');
    expect(steps.filter((step) => step.endTimeUnixNano === null).map((step) => step.interrupted)).toEqual([true, true]);
    expect(await store.getSession('live-session')).toMatchObject({ status: 'running', openCount: 2, interruptedCount: 0 });
    const writers = await sql(url, 'SELECT writer_id FROM writers');
    expect(writers.rows.map((row: { writer_id: string }) => row.writer_id)).not.toContain(dead.writerId);
    // Once: nothing is left to mark, by this store or another.
    expect(await store.recoverDeadWriters()).toBe(0);
    expect((await open(url)).recoveredInterruptedCount).toBe(0);
    expect((await store.getSession('killed-session')).interruptedCount).toBe(2);
  }, 60_000);

  it('never marks a live writer on this host within the grace period; past it, its pid is taken for reused', async () => {
    const url = await server.createDatabase();
    const writer = await open(url);
    await writeOpenSteps(writer, 'quiet');
    await sql(url, 'UPDATE writers SET last_seen_ms = last_seen_ms - 1700000 WHERE writer_id = $1', [writer.writerId]);
    const judge = await open(url);
    expect(judge.recoveredInterruptedCount).toBe(0);
    expect(await judge.recoverDeadWriters()).toBe(0);
    expect((await judge.getSession('quiet')).status).toBe('running');

    await sql(url, 'UPDATE writers SET last_seen_ms = last_seen_ms - 200000 WHERE writer_id = $1', [writer.writerId]);
    expect(await judge.recoverDeadWriters()).toBe(2);
    expect((await judge.getSession('quiet')).status).toBe('interrupted');
  });

  it('marks a writer on another host once its heartbeat is older than the grace period, not before', async () => {
    const url = await server.createDatabase();
    const writer = await open(url);
    await writeOpenSteps(writer, 'remote');
    // As another host's writer looks: its pid cannot be probed from here.
    await sql(url, "UPDATE writers SET hostname = 'other-host', pid_scope = '' WHERE writer_id = $1", [writer.writerId]);
    const judge = await open(url, { ...QUIET, deadWriterGraceMillis: 1_800_000 });
    expect(judge.recoveredInterruptedCount).toBe(0);
    expect((await judge.getSession('remote')).status).toBe('running');

    await sql(url, 'UPDATE writers SET last_seen_ms = last_seen_ms - 1900000 WHERE writer_id = $1', [writer.writerId]);
    expect(await judge.recoverDeadWriters()).toBe(2);
    expect(await judge.getSession('remote')).toMatchObject({ status: 'interrupted', interruptedCount: 2, openCount: 0 });
  });

  it('marks a dead writer once when several replicas find it at the same time', async () => {
    const url = await server.createDatabase();
    const writer = await open(url);
    for (let i = 0; i < 5; i++) await writeOpenSteps(writer, `s${i}`);
    await writeOpenSteps(writer, 's0');
    const replicas = await Promise.all([open(url), open(url), open(url), open(url)]);
    // As a SIGKILL leaves it: the row still names the writer, its process is gone.
    await sql(url, 'UPDATE writers SET pid = $1 WHERE writer_id = $2', [deadPid(), writer.writerId]);
    const marked = await Promise.all(replicas.map((replica) => replica.recoverDeadWriters()));
    expect(marked.reduce((a, b) => a + b, 0)).toBe(12);
    expect(marked.filter((n) => n > 0)).toHaveLength(1);
    // The change feed says so once, in the transaction that marked them.
    const interrupted = (await replicas[0].readChanges(0, { limit: 1000 })).filter((e) => e.kind === 'session.interrupted');
    expect(interrupted.map((e) => e.sessionId).sort()).toEqual(['s0', 's1', 's2', 's3', 's4']);
    const sessions = (await replicas[0].listSessions()).items;
    expect(sessions.map((s) => [s.sessionId, s.status, s.interruptedCount, s.openCount]).sort()).toEqual([
      ['s0', 'interrupted', 4, 0],
      ['s1', 'interrupted', 2, 0],
      ['s2', 'interrupted', 2, 0],
      ['s3', 'interrupted', 2, 0],
      ['s4', 'interrupted', 2, 0],
    ]);
  });

  it('finds dead writers on its heartbeat, and a judged writer that still runs registers again', async () => {
    const url = await server.createDatabase();
    const writer = await open(url);
    await writeOpenSteps(writer, 'beat');
    const watcher = await open(url, { heartbeatMillis: 20 });
    await sql(url, 'UPDATE writers SET pid = $1 WHERE writer_id = $2', [deadPid(), writer.writerId]);
    await expect.poll(async () => (await watcher.getSession('beat')).status, { timeout: 5_000 }).toBe('interrupted');

    // The watcher's own row is kept alive by its heartbeat; removing it brings it back.
    await sql(url, 'DELETE FROM writers WHERE writer_id = $1', [watcher.writerId]);
    await expect
      .poll(async () => (await sql(url, 'SELECT 1 FROM writers WHERE writer_id = $1', [watcher.writerId])).rowCount, {
        timeout: 5_000,
      })
      .toBe(1);
  });

  it('marks its own open steps interrupted and forgets itself on close', async () => {
    const url = await server.createDatabase();
    const writer = await PostgresTraceStore.open({ url, ...QUIET });
    await writeOpenSteps(writer, 'closed');
    const id = writer.writerId;
    await writer.close();
    const reader = await open(url, { readonly: true });
    expect(reader.writerId).toBeNull();
    expect(await reader.getSession('closed')).toMatchObject({ status: 'interrupted', interruptedCount: 2 });
    expect((await sql(url, 'SELECT 1 FROM writers WHERE writer_id = $1', [id])).rowCount).toBe(0);
  });

  it('waits on close for a write under way, then marks the step it committed', async () => {
    const url = await server.createDatabase();
    const writer = await PostgresTraceStore.open({ url, ...QUIET });
    const id = writer.writerId;
    const record = makeRecord({ sessionId: 'in-flight' });
    // Another connection holds the trace's lock (advisory-locks.ts: kind 1, hashtext(trace id)): the write waits.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(1, hashtext($1))', [record.traceId]);
      const writing = writer.write([opened(record)]);
      await expect
        .poll(async () => (await sql(url, "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).rowCount)
        .toBe(1);
      const closing = writer.close();
      // Without waiting, close would forget the writer now, before the write commits.
      const forgotten = async (): Promise<boolean> =>
        (await sql(url, 'SELECT 1 FROM writers WHERE writer_id = $1', [id])).rowCount === 0;
      const deadline = Date.now() + 500;
      while (Date.now() < deadline && !(await forgotten())) await new Promise((resolve) => setTimeout(resolve, 25));
      await holder.query('SELECT pg_advisory_unlock(1, hashtext($1))', [record.traceId]);
      await writing;
      await closing;
    } finally {
      await holder.end();
    }
    const store = await open(url);
    expect(await store.getSession('in-flight')).toMatchObject({ status: 'interrupted', interruptedCount: 1, openCount: 0 });
  });

  it('forgets itself when it cannot open because recovering a dead writer failed', async () => {
    const url = await server.createDatabase();
    await (await PostgresTraceStore.open({ url, ...QUIET })).close();
    // A dead writer on another host whose recovery fails (a trigger refuses to forget it).
    await sql(url, `INSERT INTO writers (writer_id, pid, hostname, pid_scope, started_at_ms, last_seen_ms)
      VALUES ('gone', 1, 'other-host', '', 0, 0)`);
    await sql(url, `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'recovery refused'; END $$`);
    await sql(url, `CREATE TRIGGER refuse BEFORE DELETE ON writers FOR EACH ROW WHEN (OLD.writer_id = 'gone')
      EXECUTE FUNCTION refuse()`);
    await expect(PostgresTraceStore.open({ url, ...QUIET })).rejects.toThrow(/recovery refused/);
    expect((await sql(url, 'SELECT writer_id FROM writers')).rows).toEqual([{ writer_id: 'gone' }]);
  });

  it('reads an interrupted step that ends after all as ended', async () => {
    const url = await server.createDatabase();
    const writer = await open(url);
    const record = makeRecord({ sessionId: 'late' });
    await writer.write([opened(record)]);
    await sql(url, 'UPDATE writers SET pid = $1 WHERE writer_id = $2', [deadPid(), writer.writerId]);
    const judge = await open(url);
    expect(judge.recoveredInterruptedCount).toBe(1);
    await writer.write([record]);
    expect(await judge.getSession('late')).toMatchObject({ status: 'completed', interruptedCount: 0, openCount: 0 });
  });

  it('refuses a heartbeat or grace period out of range, naming the option', async () => {
    const url = 'postgres://nobody@127.0.0.1:1/none';
    await expect(PostgresTraceStore.open({ url, heartbeatMillis: Number.NaN })).rejects.toThrow(/heartbeatMillis/);
    await expect(PostgresTraceStore.open({ url, heartbeatMillis: 0 })).rejects.toThrow(/heartbeatMillis/);
    await expect(PostgresTraceStore.open({ url, heartbeatMillis: 1000.5 })).rejects.toThrow(/heartbeatMillis.*whole/);
    await expect(PostgresTraceStore.open({ url, deadWriterGraceMillis: Infinity })).rejects.toThrow(/deadWriterGraceMillis/);
    // The grace period must outlast several heartbeats.
    await expect(PostgresTraceStore.open({ url, heartbeatMillis: 5_000, deadWriterGraceMillis: 10_000 })).rejects.toThrow(
      /deadWriterGraceMillis/,
    );
  });
});
