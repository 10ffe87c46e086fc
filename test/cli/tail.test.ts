import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { BASE_TIME_UNIX_NANO, MILLI, makeLlmRecord, makeRecord, opened } from '../helpers/records.js';
import { makeLog } from '../server/query-api/signal-seed.js';
import { Capture, cli } from './run.js';

interface RunningTail {
  stdout: Capture;
  stderr: Capture;
  stop(): Promise<number>;
  waitFor(condition: (stdout: string) => boolean, what: string): Promise<void>;
}

/** Starts `skein tail` in-process; by the time this returns it has fixed where it starts. */
function startTail(argv: string[]): RunningTail {
  const stdout = new Capture(false);
  const stderr = new Capture(false);
  let stopTail!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stopTail = resolve));
  const done = runCli(['tail', ...argv], { stdout, stderr, env: { HOME: '/nonexistent-skein-home' }, stopSignal });
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

describe('skein tail', () => {
  let dir: string;
  let dbPath: string;
  let writer: SqliteTraceStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-tail-'));
    dbPath = join(dir, 'tail.db');
    writer = new SqliteTraceStore({ path: dbPath });
  });
  afterEach(() => {
    writer.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints steps as they start and end, written by another connection', async () => {
    writer.writeSync([makeRecord({ sessionId: 'earlier', name: 'not-printed' })]);
    const tail = startTail(['--db', dbPath]);
    const call = makeLlmRecord({ sessionId: 'sess-1', name: 'chat gpt-4o', endTimeUnixNano: BASE_TIME_UNIX_NANO + 1500n * MILLI });
    writer.writeSync([opened(call)]);
    await tail.waitFor((out) => out.includes('▶'), 'the start line');
    writer.writeSync([call]);
    const failed = makeRecord({
      sessionId: 'sess-1',
      name: 'execute_tool search',
      stepType: 'tool',
      toolName: 'search',
      isError: true,
      statusCode: 2,
      statusMessage: 'rate limited',
    });
    writer.writeSync([failed]);
    await tail.waitFor((out) => out.includes('rate limited'), 'the failed step');
    expect(await tail.stop()).toBe(0);

    const lines = tail.stdout.text.trimEnd().split('\n');
    expect(tail.stdout.text).not.toContain('not-printed');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}Z {2}sess-1 {2}▶ llm\s+chat gpt-4o \(gpt-4o-2024-08-06\)$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}Z {2}sess-1 {2}✓ llm\s+chat gpt-4o .* {2}1\.50s {2}100 in \/ 20 out tok {2}\$0\.2500$/);
    expect(lines[2]).toContain('▶ tool');
    expect(lines[3]).toMatch(/✗ tool\s+execute_tool search \(search\) {2}100ms {2}error: rate limited$/);
    expect(lines).toHaveLength(4);
    expect(tail.stderr.text).toBe('');
  });

  it('--json prints every event as a JSON line; a session argument filters', async () => {
    const tail = startTail(['mine', '--db', dbPath, '--json']);
    writer.writeSync([makeRecord({ sessionId: 'theirs', name: 'theirs' }), makeRecord({ sessionId: 'mine', name: 'ours' })]);
    writer.writeSync([makeRecord({ sessionId: 'mine', name: 'ours-2' })]);
    await tail.waitFor((out) => out.split('\n').length > 6, 'six events');
    expect(await tail.stop()).toBe(0);
    const events = tail.stdout.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; kind: string; sessionId: string; step?: { name: string } });
    expect(events.map((e) => e.kind)).toEqual([
      'span.started',
      'span.ended',
      'session.updated',
      'span.started',
      'span.ended',
      'session.updated',
    ]);
    expect(events.every((e) => e.sessionId === 'mine')).toBe(true);
    expect(events.map((e) => e.seq)).toEqual(writer.readChanges(0, { sessionId: 'mine', limit: 100 }).map((e) => e.seq));
    expect(events[3].step?.name).toBe('ours-2');
  });

  it('prints each log event of the session on one line: time, session, severity, event name, body', async () => {
    const tail = startTail(['sess-log', '--db', dbPath]);
    await writer.writeLogs([
      makeLog(1, 'other', { eventName: 'not.mine' }),
      makeLog(2, 'sess-log', { eventName: 'claude_code.api_request', body: { model: 'claude', cost_usd: 0.01 } }),
      makeLog(3, 'sess-log', { eventName: '', severityNumber: 17, severityText: 'ERROR', body: 'rate\nlimited' }),
      makeLog(4, 'sess-log', { eventName: 'tool.result', severityNumber: 0, severityText: '', body: null }),
    ]);
    await tail.waitFor((out) => out.includes('tool.result'), 'the third record');
    expect(await tail.stop()).toBe(0);
    const lines = tail.stdout.text.trimEnd().split('\n');
    expect(lines).toEqual([
      '22:13:20.002Z  sess-log  • INFO claude_code.api_request  {"model":"claude","cost_usd":0.01}',
      '22:13:20.003Z  sess-log  • ERROR log  rate limited',
      '22:13:20.004Z  sess-log  • - tool.result',
    ]);
    expect(tail.stderr.text).toBe('');
  });

  it('--from-start prints what the feed holds first', async () => {
    writer.writeSync([makeRecord({ sessionId: 'old', name: 'kept-step' })]);
    const tail = startTail(['--db', dbPath, '--from-start']);
    await tail.waitFor((out) => out.includes('✓'), 'the old step to end');
    expect(await tail.stop()).toBe(0);
    expect(tail.stdout.text).toContain('▶ other     kept-step');
    expect(tail.stdout.text).toMatch(/✓ other\s+kept-step {2}100ms/);
  });

  it('says when a session is interrupted', async () => {
    const tail = startTail(['--db', dbPath]);
    writer.writeSync([opened(makeRecord({ sessionId: 'stuck', name: 'hung' }))]);
    const judge = new SqliteTraceStore({ path: dbPath });
    try {
      const wroteAt = Date.now();
      while (Date.now() === wroteAt) await new Promise((r) => setTimeout(r, 1));
      expect(judge.markInterrupted({ silentForMillis: 0 })).toBe(1);
    } finally {
      judge.closeSync();
    }
    await tail.waitFor((out) => out.includes('interrupted'), 'the interrupted line');
    expect(await tail.stop()).toBe(0);
    expect(tail.stdout.text).toMatch(/stuck {2}⚠ interrupted: 1 open step will never end\n$/);
  });

  it('refuses a missing database and extra arguments with a usage error', async () => {
    const missing = await cli(['tail', '--db', join(dir, 'missing.db')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no database at');
    const extra = await cli(['tail', 'a', 'b', '--db', dbPath]);
    expect(extra.code).toBe(1);
    expect(extra.stderr).toContain("unexpected argument 'b'");
    expect(extra.stderr).toContain('Usage: skein tail');
  });
});
