/**
 * `skein tail --db postgres://…` (issue 18): follows a PostgreSQL database's
 * change feed, read-only, and prints what any collector sharing it writes,
 * as it does for a SQLite file.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { openedStores, usePostgres } from '../helpers/postgres-hooks.js';
import { BASE_TIME_UNIX_NANO, MILLI, makeLlmRecord, makeRecord, opened } from '../helpers/records.js';
import { Capture, cli } from './run.js';

interface RunningTail {
  stdout: Capture;
  stderr: Capture;
  stop(): Promise<number>;
  waitFor(condition: (stdout: string) => boolean, what: string): Promise<void>;
}

/** Starts `skein tail` in-process (its position is fixed once it has connected: not by the time this returns). */
function startTail(argv: string[], env: NodeJS.ProcessEnv = {}): RunningTail {
  const stdout = new Capture(false);
  const stderr = new Capture(false);
  let stopTail!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stopTail = resolve));
  const done = runCli(['tail', ...argv], { stdout, stderr, env: { HOME: '/nonexistent-skein-home', ...env }, stopSignal });
  return {
    stdout,
    stderr,
    async stop() {
      stopTail();
      return done;
    },
    async waitFor(condition, what) {
      const deadline = Date.now() + 30_000;
      while (!condition(stdout.text)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stdout: ${stdout.text}; stderr: ${stderr.text}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

describe('skein tail on PostgreSQL', () => {
  const server = usePostgres();
  const stores = openedStores();
  const tails: RunningTail[] = [];

  // Runs before the stores are closed (vitest runs after-hooks last registered first).
  afterEach(async () => {
    await Promise.all(tails.splice(0).map((tail) => tail.stop()));
  });

  const writer = (url: string): Promise<PostgresTraceStore> => stores.open(url);

  function tail(argv: string[], env: NodeJS.ProcessEnv = {}): RunningTail {
    const running = startTail(argv, env);
    tails.push(running);
    return running;
  }

  it('--db <url> prints the steps another store writes, as on SQLite', async () => {
    const url = await server.createDatabase();
    const store = await writer(url);
    await store.write([makeRecord({ sessionId: 'earlier', name: 'kept-step' })]);
    const running = tail(['--db', url, '--from-start']);
    await running.waitFor((out) => out.includes('✓ other     kept-step'), 'the step written before');

    const call = makeLlmRecord({ sessionId: 'sess-1', name: 'chat gpt-4o', endTimeUnixNano: BASE_TIME_UNIX_NANO + 1500n * MILLI });
    await store.write([opened(call)]);
    await running.waitFor((out) => out.includes('▶ llm'), 'the start line');
    await store.write([call]);
    const failed = makeRecord({
      sessionId: 'sess-1',
      name: 'execute_tool search',
      stepType: 'tool',
      toolName: 'search',
      isError: true,
      statusCode: 2,
      statusMessage: 'rate limited',
    });
    await store.write([failed]);
    await running.waitFor((out) => out.includes('rate limited'), 'the failed step');
    expect(await running.stop()).toBe(0);

    const lines = running.stdout.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}Z {2}earlier {2}▶ other\s+kept-step$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}Z {2}earlier {2}✓ other\s+kept-step {2}100ms$/);
    expect(lines[2]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}Z {2}sess-1 {2}▶ llm\s+chat gpt-4o \(gpt-4o-2024-08-06\)$/);
    expect(lines[3]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}Z {2}sess-1 {2}✓ llm\s+chat gpt-4o .* {2}1\.50s {2}100 in \/ 20 out tok {2}\$0\.2500$/);
    expect(lines[4]).toContain('▶ tool');
    expect(lines[5]).toMatch(/✗ tool\s+execute_tool search \(search\) {2}100ms {2}error: rate limited$/);
    expect(lines).toHaveLength(6);
    expect(running.stderr.text).toBe('');
  });

  it('SKEIN_DB=<url> starts from now and prints every step after, once and in order; a session argument filters', async () => {
    const url = await server.createDatabase();
    const store = await writer(url);
    await store.write([makeRecord({ sessionId: 'mine', name: 'not-printed' })]);
    const running = tail(['mine', '--json'], { SKEIN_DB: url });
    // Where tail starts is fixed once it has connected: write numbered steps until one shows.
    let probes = 0;
    while (!running.stdout.text.includes('"span.ended"')) {
      await store.write([makeRecord({ sessionId: 'theirs', name: `theirs-${probes}` }), makeRecord({ sessionId: 'mine', name: `probe-${probes}` })]);
      probes++;
      await new Promise((r) => setTimeout(r, 20));
      if (probes > 1500) throw new Error(`tail printed nothing; stderr: ${running.stderr.text}`);
    }
    await store.write([makeRecord({ sessionId: 'mine', name: 'last' })]);
    await running.waitFor((out) => /"span\.ended".*"name":"last"/.test(out), 'the last step');
    await running.waitFor((out) => out.trimEnd().split('\n').at(-1)!.includes('session.updated'), 'its session update');
    expect(await running.stop()).toBe(0);

    const events = running.stdout.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; kind: string; sessionId: string; step?: { name: string } });
    expect(events.every((e) => e.sessionId === 'mine')).toBe(true);
    const names = events.flatMap((e) => (e.kind === 'span.ended' ? [e.step!.name] : []));
    expect(names).not.toContain('not-printed');
    // A run of the probes from the first printed on, with none missing and none twice, then the last step.
    const first = Number(/^probe-(\d+)$/.exec(names[0])![1]);
    expect(names).toEqual([...Array.from({ length: probes - first }, (_, i) => `probe-${first + i}`), 'last']);
    // Exactly what the feed holds for the session after the first event printed.
    const stored = await store.readChanges(events[0].seq - 1, { sessionId: 'mine', limit: 10_000 });
    expect(events.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
    expect(running.stderr.text).toBe('');
  });

  it('refuses a database it cannot reach, in one line naming it without its password', async () => {
    const url = await server.createDatabase();
    const closed = new URL(url);
    closed.port = '1';
    const result = await cli(['tail', '--db', closed.toString()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot open the database postgres://skein:***@127.0.0.1:1/');
    expect(result.stderr).not.toContain(':skein@');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('skein tail on PostgreSQL, through a restart of the server', () => {
  const own = usePostgres({ durable: true });

  it('carries on from the last event printed once the database is back', async () => {
    const url = await own.createDatabase();
    const store = await PostgresTraceStore.open({ url });
    const running = startTail(['--db', url, '--from-start']);
    try {
      await store.write([makeRecord({ sessionId: 'restart', name: 'before' })]);
      await running.waitFor((out) => out.includes('✓ other     before'), 'the step before the restart');
      await own.kill();
      await own.restart();
      // The writer's pool may hand out a connection the restart broke: its write is then tried again.
      for (let attempt = 1; ; attempt++) {
        try {
          await store.write([makeRecord({ sessionId: 'restart', name: 'after' })]);
          break;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await running.waitFor((out) => out.includes('✓ other     after'), 'the step after the restart');
    } finally {
      expect(await running.stop()).toBe(0);
      await store.close();
    }
    const lines = running.stdout.text.trimEnd().split('\n');
    expect(lines.map((line) => line.replace(/^\S+ {2}restart {2}/, ''))).toEqual([
      '▶ other     before',
      '✓ other     before  100ms',
      '▶ other     after',
      '✓ other     after  100ms',
    ]);
  }, 120_000);
});
