/** Two processes on one database file: concurrent writers, and a writer killed mid-step. */

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/store/store-writer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function startChild(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })));
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end));
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before it was ready: ${out}`)));
  });
}

describe('SqliteTraceStore across processes', () => {
  let dir: string;
  let path: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-procs-'));
    path = join(dir, 'shared.db');
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing when two processes write one new file at the same time', async () => {
    const spansEach = 2000;
    const a = startChild(['write', path, 'shared', String(spansEach), '50', 'a']);
    const b = startChild(['write', path, 'shared', String(spansEach), '50', 'b']);
    children.push(a, b);
    const [exitA, exitB] = await Promise.all([exitOf(a), exitOf(b)]);
    expect(exitA).toMatchObject({ code: 0, stderr: '' });
    expect(exitB).toMatchObject({ code: 0, stderr: '' });

    const store = new SqliteTraceStore({ path });
    const session = await store.getSession('shared');
    expect(session.spanCount).toBe(2 * spansEach);
    expect(session.llmCallCount).toBe(2 * spansEach);
    expect(session.tokens.input).toBe(2 * spansEach);
    expect(session.tokens.output).toBe(4 * spansEach);
    expect(session.costUsd).toBe(0.25 * 2 * spansEach);
    expect(session.status).toBe('completed');
    expect(session.traceIds).toHaveLength(2);
    const names = new Set(store.database.prepare('SELECT name FROM spans').pluck().all() as string[]);
    for (const label of ['a', 'b']) {
      for (let i = 0; i < spansEach; i++) expect(names.has(`${label}-${i}`)).toBe(true);
    }
    expect(names.size).toBe(2 * spansEach);
    // Both writers unregistered when they closed.
    expect(store.database.prepare('SELECT count(*) FROM writers').pluck().get()).toBe(1);
    await store.close();
  });

  it('leaves a live process its open step, and marks it interrupted after that process is killed', async () => {
    const child = startChild(['hang', path, 'crashy']);
    children.push(child);
    const exited = exitOf(child);
    const [word, childWriterId, openSpanId] = (await firstLine(child)).split(' ');
    expect(word).toBe('ready');

    // The child is alive: opening the file must not touch its open step.
    const whileAlive = new SqliteTraceStore({ path });
    expect(whileAlive.recoveredInterruptedCount).toBe(0);
    const running = await whileAlive.getSession('crashy');
    expect(running.status).toBe('running');
    expect(running.openCount).toBe(1);
    expect(running.interruptedCount).toBe(0);
    await whileAlive.close();

    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');

    const after = new SqliteTraceStore({ path });
    expect(after.recoveredInterruptedCount).toBe(1);
    const session = await after.getSession('crashy');
    expect(session.status).toBe('interrupted');
    expect(session.interruptedCount).toBe(1);
    expect(session.openCount).toBe(0);
    expect(session.spanCount).toBe(3);
    expect(session.llmCallCount).toBe(1);
    const timeline = await after.getTimeline('crashy');
    const open = timeline.find((s) => s.spanId === openSpanId);
    expect(open).toMatchObject({ interrupted: true, open: false, endTimeUnixNano: null, name: 'root' });
    expect(timeline.filter((s) => s.name.startsWith('done-')).every((s) => !s.interrupted && s.endTimeUnixNano !== null)).toBe(true);
    const [stored] = (await after.getSpans({ sessionId: 'crashy', stepType: 'agent' })).items;
    expect(stored.interrupted).toBe(true);
    const writerIds = after.database.prepare('SELECT writer_id FROM writers').pluck().all();
    expect(writerIds).not.toContain(childWriterId);
    await after.close();

    // Recovery happened once; opening again finds nothing more to do.
    const again = new SqliteTraceStore({ path });
    expect(again.recoveredInterruptedCount).toBe(0);
    expect((await again.getSession('crashy')).status).toBe('interrupted');
    await again.close();
  });
});
