/**
 * The live stream of a real collector while an agent in another process
 * (SkeinSpanProcessor on the same database file) records a session.
 */

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import { cli } from '../../cli/run.js';
import { SseClient } from './sse-client.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const AGENT_CHILD = fileURLToPath(new URL('../../fixtures/live-stream/agent-child.ts', import.meta.url));
const CRASH_CHILD = fileURLToPath(new URL('../../fixtures/processor/crash-child.ts', import.meta.url));

interface Child {
  process: ChildProcess;
  stdout(): string;
  waitForOutput(text: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startChild(script: string, args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const waiter of [...waiters]) waiter();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const waiter of [...waiters]) waiter();
      resolve({ code, signal, stderr: err });
    }),
  );
  return {
    process: child,
    stdout: () => out,
    exited,
    waitForOutput(text) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (out.includes(text)) {
            waiters.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            reject(new Error(`child exited before printing ${text}: ${out}\n${err}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

interface StepEvent {
  seq: number;
  kind: string;
  sessionId: string;
  step?: { spanId: string; name: string; open: boolean };
  steps?: Array<{ spanId: string }>;
  session?: { status: string };
}

describe('GET /api/live with the writer in another process', () => {
  let dir: string;
  let dbPath: string;
  let collector: RunningCollector | null = null;
  const children: Child[] = [];
  const clients: SseClient[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-live-procs-'));
    dbPath = join(dir, 'shared.db');
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.abort();
    for (const child of children.splice(0)) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    }
    await collector?.close();
    collector = null;
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await SseClient.connect(url, headers);
    clients.push(client);
    await client.waitFor(() => client.frames.length > 0, 'the first frame');
    return client;
  }

  it('sees every step start and end in order, across a forced reconnect, each event exactly once', async () => {
    collector = await startCollector({ dbPath, port: 0, livePollIntervalMillis: 20, liveHeartbeatMillis: 200 });
    const sessionId = 'cross-process-session';
    const url = `${collector.url}/api/live?session=${sessionId}`;
    const pairs = 6;
    const first = await connect(url);

    const child = startChild(AGENT_CHILD, [dbPath, sessionId, String(pairs)]);
    children.push(child);
    await child.waitForOutput('HALF');
    // The root and the first half of the model/tool pairs have started; the pairs have ended.
    const endedSteps = (client: SseClient) => client.changes<StepEvent>().filter((e) => e.kind === 'span.ended').length;
    await first.waitFor(() => endedSteps(first) >= pairs, 'the first half to end on the stream');

    // The connection drops mid-run; the agent carries on while nobody listens.
    first.abort();
    await first.waitFor(() => first.ended, 'the first connection to close');
    const lastId = [...first.frames].reverse().find((f) => f.id !== undefined)?.id;
    expect(lastId).toBeDefined();
    child.process.stdin?.write('go\n');
    await child.waitForOutput('DONE');
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: 0, stderr: '' });
    const startOrder = JSON.parse(/DONE (.*)/.exec(child.stdout())![1]) as string[];
    expect(startOrder).toHaveLength(1 + 2 * pairs);

    const second = await connect(url, { 'Last-Event-ID': lastId! });
    await second.waitFor(
      () => second.changes<StepEvent>().some((e) => e.kind === 'session.updated' && e.session?.status === 'completed'),
      'the session to complete on the stream',
    );

    const events = [...first.changes<StepEvent>(), ...second.changes<StepEvent>()];
    const seqs = events.map((e) => e.seq);
    // No duplicate and in commit order across both connections.
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    expect(events.every((e) => e.sessionId === sessionId)).toBe(true);
    expect(events.some((e) => e.kind === 'reset')).toBe(false);

    const starts = events.filter((e) => e.kind === 'span.started').map((e) => e.step!.spanId);
    const ends = events.filter((e) => e.kind === 'span.ended').map((e) => e.step!.spanId);
    // Every step started once, in the order the agent started them, and ended once after its start.
    expect(starts).toEqual(startOrder);
    expect([...ends].sort()).toEqual([...startOrder].sort());
    for (const spanId of startOrder) {
      const startSeq = events.find((e) => e.kind === 'span.started' && e.step!.spanId === spanId)!.seq;
      const endSeq = events.find((e) => e.kind === 'span.ended' && e.step!.spanId === spanId)!.seq;
      expect(startSeq).toBeLessThan(endSeq);
    }
    // The root ends last.
    expect(ends.at(-1)).toBe(startOrder[0]);
    // No gap: the two connections together saw exactly what the feed holds for the session.
    const stored = collector.store.readChanges(0, { sessionId, limit: 10_000 });
    const lastSeen = seqs[seqs.length - 1];
    expect(seqs).toEqual(stored.filter((e) => e.seq <= lastSeen).map((e) => e.seq));
  });

  it('says the session is interrupted when its writer is killed mid-step', async () => {
    collector = await startCollector({ dbPath, port: 0, livePollIntervalMillis: 20, interruptAfterMillis: 100 });
    const sessionId = 'killed-session';
    const client = await connect(`${collector.url}/api/live?session=${sessionId}`);

    const child = startChild(CRASH_CHILD, [dbPath, sessionId]);
    children.push(child);
    await child.waitForOutput('READY');
    const longStarted = () =>
      client.changes<StepEvent>().find((e) => e.kind === 'span.started' && e.step!.name === 'execute_tool long-running');
    await client.waitFor(() => longStarted() !== undefined, 'the long step to start on the stream');
    child.process.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');

    await client.waitFor(
      () => client.changes<StepEvent>().some((e) => e.kind === 'session.interrupted'),
      'session.interrupted on the stream',
    );
    const events = client.changes<StepEvent>();
    const interrupted = events.find((e) => e.kind === 'session.interrupted')!;
    const root = events.find((e) => e.kind === 'span.started' && e.step!.name === 'invoke_agent crasher')!;
    expect(interrupted.steps!.map((s) => s.spanId).sort()).toEqual([longStarted()!.step!.spanId, root.step!.spanId].sort());
    await client.waitFor(
      () => client.changes<StepEvent>().some((e) => e.kind === 'session.updated' && e.session?.status === 'interrupted'),
      'the interrupted session state',
    );
    expect((await collector.store.getSession(sessionId)).status).toBe('interrupted');
  });

  it('skein serve refuses a malformed --interrupt-after', async () => {
    const result = await cli(['serve', '--db', dbPath, '--port', '0', '--interrupt-after', 'soon']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--interrupt-after must be a number of seconds (0 or more), got 'soon'");
  });

  it('ends open streams when the collector shuts down', async () => {
    collector = await startCollector({ dbPath, port: 0, shutdownGraceMillis: 600_000 });
    const client = await connect(`${collector.url}/api/live`);
    // Bounded by the test timeout: with the stream left open, close() would wait out the 10-minute grace.
    await collector.close();
    await client.waitFor(() => client.ended, 'the stream to end');
  });
});
