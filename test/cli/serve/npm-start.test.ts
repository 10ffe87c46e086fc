/**
 * README's `npm start` under a process manager: a SIGTERM to the pid it
 * started (npm's) stops the collector cleanly. npm 11 neither forwards the
 * signal nor waits for its child, so the collector watches for npm going away.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeTraceRequest } from '../../../src/otlp/index.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { REPO_ROOT, cleanup, readAllSpans, tempDir } from './helpers.js';

let group: number | undefined;
afterEach(async () => {
  if (group !== undefined) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // Already gone: what the test wanted.
    }
    group = undefined;
  }
  await cleanup();
});

describe('npm start', () => {
  it('a SIGTERM to the npm process stops the collector: it flushes, exits and frees its port', async () => {
    const db = join(tempDir(), 'npm-start.db');
    const npm = spawn('npm', ['start', '--', '--port', '0', '--db', db], {
      cwd: REPO_ROOT,
      env: { ...process.env, HOME: tempDir() },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    group = npm.pid!;
    let out = '';
    npm.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    npm.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    await expect.poll(() => /skein listening on (http:\/\/\S+)/.exec(out)?.[1], { timeout: 30_000 }).toBeTruthy();
    const url = /skein listening on (http:\/\/\S+)/.exec(out)![1];
    const spans = [makeRawSpan(), makeRawSpan()];
    const res = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeTraceRequest(spans, 'protobuf'),
    });
    expect(res.status).toBe(200);

    npm.kill('SIGTERM');
    // The collector notices, finishes and lets go of the port (the bug: it ran on as an orphan).
    await expect
      .poll(async () => fetch(`${url}/healthz`).then(() => 'up', () => 'down'), { timeout: 15_000, interval: 200 })
      .toBe('down');
    await expect.poll(() => out, { timeout: 10_000 }).toContain('skein: stopped');
    await expect.poll(() => existsSync(`${db}-wal`), { timeout: 10_000 }).toBe(false);
    expect((await readAllSpans(db)).map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
  });
});
