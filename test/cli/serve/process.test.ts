import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeTraceRequest } from '../../../src/otlp/index.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { cleanup, countIds, readAllSpans, spawnServe, startUpstream, tempDir } from './helpers.js';

afterEach(cleanup);

async function postSpans(url: string, count: number): Promise<{ status: number; spanIds: string[] }> {
  const spans = Array.from({ length: count }, () => makeRawSpan());
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: encodeTraceRequest(spans, 'protobuf'),
  });
  await res.arrayBuffer();
  return { status: res.status, spanIds: spans.map((s) => s.spanId) };
}

describe('skein serve as a process', () => {
  const cases = [
    // A supervisor signalling the main pid: tsx relays it to the collector.
    { signal: 'SIGTERM', target: 'pid' },
    // Ctrl-C in a terminal: the whole process group gets it, tsx and the collector alike.
    { signal: 'SIGINT', target: 'group' },
    { signal: 'SIGTERM', target: 'group' },
  ] as const;
  for (const { signal, target } of cases) {
    it(`${signal} to the ${target}: finishes, flushes, closes the database and exits 0 (tsx)`, async () => {
      const db = join(tempDir(), 'signal.db');
      const serve = await spawnServe(['--port', '0', '--db', db]);
      expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const sent = await postSpans(serve.url, 5);
      expect(sent.status).toBe(200);

      process.kill(target === 'group' ? -serve.child.pid! : serve.child.pid!, signal);
      const { code } = await serve.exited;
      expect(code).toBe(0);
      expect(serve.stdout()).toContain('skein: stopped');
      // The last connection closed cleanly: SQLite checkpointed and removed the WAL.
      expect(existsSync(`${db}-wal`)).toBe(false);

      const stored = await readAllSpans(db);
      expect(stored.map((s) => s.spanId).sort()).toEqual([...sent.spanIds].sort());
    });
  }

  it('refuses a non-loopback --host without --token: one line, exit 1', async () => {
    const db = join(tempDir(), 'refused.db');
    const serve = await spawnServe(['--host', '0.0.0.0', '--port', '0', '--db', db], {
      via: 'node',
      waitForUrl: false,
      env: { SKEIN_TOKEN: '' },
    });
    const { code } = await serve.exited;
    expect(code).toBe(1);
    const [firstLine] = serve.stderr().split('\n');
    expect(firstLine).toMatch(/^skein serve: binding 0\.0\.0\.0 exposes your traces: pass --token/);
    expect(serve.stderr()).not.toMatch(/\n\s+at /); // a user error, not a stack trace
    expect(serve.stdout()).not.toContain('listening');
  });

  it('a port in use: one line naming it, exit 1, and no writer thread left holding the process', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      const serve = await spawnServe(['--port', String(port), '--db', join(tempDir(), 'taken.db')], {
        via: 'node',
        waitForUrl: false,
      });
      const { code } = await serve.exited;
      expect(code).toBe(1);
      const [firstLine] = serve.stderr().split('\n');
      expect(firstLine).toBe(
        `skein serve: 127.0.0.1:${port} is already in use (another skein serve?): pick another with --port (0 picks a free one)`,
      );
      expect(serve.stderr()).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('SIGKILL with a full outbox, then a restart: every span is delivered exactly once', async () => {
    const db = join(tempDir(), 'crash.db');
    let upstreamUp = false;
    const upstream = await startUpstream(() => (upstreamUp ? { status: 200 } : { status: 503 }));
    const args = ['--port', '0', '--db', db, '--forward', upstream.url];

    const first = await spawnServe(args, { via: 'node' });
    const sentIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const sent = await postSpans(first.url, 25);
      expect(sent.status).toBe(200); // acknowledged: stored and queued
      sentIds.push(...sent.spanIds);
    }
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(upstream.acceptedSpanIds()).toEqual([]);

    upstreamUp = true;
    const second = await spawnServe(args, { via: 'node' });
    await upstream.waitFor(() => upstream.acceptedSpanIds().length >= sentIds.length);
    process.kill(second.child.pid!, 'SIGTERM');
    expect((await second.exited).code).toBe(0);

    const counts = countIds(upstream.acceptedSpanIds());
    expect([...counts.keys()].sort()).toEqual([...sentIds].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect((await readAllSpans(db)).length).toBe(sentIds.length);
  });
});
