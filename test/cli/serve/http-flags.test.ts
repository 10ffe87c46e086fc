import { request } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { closeAll, openRaw, parseRawResponse } from '../../server/hostile/http-helpers.js';
import { cleanup, runServeInProcess, tempDir } from './helpers.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeAll();
  await cleanup();
});

const HOME = { HOME: '/nonexistent-skein-home' };

/** GET `path` with the given Host header; the status and the body. */
function get(url: string, path: string, host: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function serveFails(args: string[]): Promise<{ code: number; stderr: string }> {
  const stderr = new PassThrough();
  let err = '';
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await runCli(['serve', '--port', '0', '--db', join(tempDir(), 'x.db'), ...args], {
    stdout: new PassThrough(),
    stderr,
    env: HOME,
  });
  return { code, stderr: err };
}

describe('skein serve --allow-host', () => {
  it('answers only loopback names and IP addresses by default, naming the flag in the 403', async () => {
    const serve = await runServeInProcess(['--port', '0', '--db', join(tempDir(), 's.db')]);
    try {
      expect((await get(serve.url, '/api/sessions', `localhost:${new URL(serve.url).port}`)).status).toBe(200);
      const refused = await get(serve.url, '/api/sessions', 'skein.internal:4318');
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('--allow-host skein.internal');
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });

  it('accepts the names given (repeatable, *.domain), and SKEIN_ALLOW_HOSTS when no flag is given', async () => {
    const flags = await runServeInProcess([
      '--port', '0', '--db', join(tempDir(), 'f.db'), '--allow-host', 'skein.internal', '--allow-host', '*.corp.example',
    ]);
    try {
      expect((await get(flags.url, '/api/sessions', 'skein.internal:4318')).status).toBe(200);
      expect((await get(flags.url, '/api/sessions', 'ci.corp.example')).status).toBe(200);
      expect((await get(flags.url, '/api/sessions', 'evil.example.com')).status).toBe(403);
    } finally {
      expect(await flags.stop()).toBe(0);
    }
    const env = await runServeInProcess(['--port', '0', '--db', join(tempDir(), 'e.db')], {
      ...HOME,
      SKEIN_ALLOW_HOSTS: 'a.example, b.example',
    });
    try {
      expect((await get(env.url, '/api/sessions', 'b.example')).status).toBe(200);
      expect((await get(env.url, '/api/sessions', 'evil.example.com')).status).toBe(403);
    } finally {
      expect(await env.stop()).toBe(0);
    }
  });
});

describe('skein serve slow-client flags', () => {
  it('--headers-timeout and --keep-alive-timeout take effect', async () => {
    const serve = await runServeInProcess([
      '--port', '0', '--db', join(tempDir(), 't.db'), '--headers-timeout', '0.3', '--request-timeout', '0.6', '--keep-alive-timeout', '30',
    ]);
    try {
      const keepAlive = await fetch(`${serve.url}/healthz`);
      expect(keepAlive.headers.get('keep-alive')).toBe('timeout=30');
      // A connection that sends nothing is answered 408 and closed.
      const silent = await openRaw(Number(new URL(serve.url).port));
      expect(parseRawResponse(await silent.closed)?.status).toBe(408);
    } finally {
      await closeAll();
      expect(await serve.stop()).toBe(0);
    }
  });

  it('--max-connections takes effect and is reported', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const serve = await runServeInProcess(['--port', '0', '--db', join(tempDir(), 'c.db'), '--max-connections', '2']);
    try {
      const port = Number(new URL(serve.url).port);
      // Two open connections (each answered, kept alive): a third is closed unanswered.
      const open = [await openRaw(port), await openRaw(port)];
      for (const raw of open) {
        raw.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
        expect(parseRawResponse(await raw.waitFor((b) => parseRawResponse(b) !== null))?.status).toBe(200);
      }
      const third = await openRaw(port);
      third.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      expect((await third.closed).length).toBe(0);
      expect(errors.mock.calls.map((c) => String(c[0]))).toContain(
        'skein: 2 connections are open (the limit, --max-connections); refused 1 new one',
      );
    } finally {
      await closeAll();
      expect(await serve.stop()).toBe(0);
    }
  });

  it('bad values are one line naming the flag, exit 1', async () => {
    const cases: Array<[string[], string]> = [
      [['--headers-timeout', 'abc'], "--headers-timeout must be a finite number from 0.001 to 2147483, got 'abc'"],
      [['--request-timeout', '0'], "--request-timeout must be a finite number from 0.001 to 2147483, got '0'"],
      [['--keep-alive-timeout', ''], "--keep-alive-timeout must be a finite number from 0.001 to 2147483, got ''"],
      [['--max-connections', '1.5'], "--max-connections must be a whole number of at least 1, got '1.5'"],
      [['--headers-timeout', '20', '--request-timeout', '10'], '--headers-timeout must not exceed --request-timeout (the request includes its headers)'],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await serveFails(args);
      expect([args, code]).toEqual([args, 1]);
      expect(stderr.split('\n')[0]).toBe(`skein serve: ${message}`);
    }
  });
});
