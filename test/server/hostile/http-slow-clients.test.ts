import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeTraceRequest } from '../../../src/otlp/index.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { closeAll, openRaw, parseRawResponse, postHead, startTestCollector } from './http-helpers.js';
import type { RawSocket } from './http-helpers.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeAll();
});

/** Short limits, so that a slow client is cut within the test; the live stream beats often. */
const SHORT = { headersTimeoutMillis: 300, requestTimeoutMillis: 600 } as const;

/**
 * Writes `text` one byte every 50 ms until it is all sent or the server closed the socket;
 * resolves true when the server closed it first. The whole trickle lasts far longer than
 * the limit under test (at least 10 times), so it ends only if the limit was not enforced.
 */
async function trickle(raw: RawSocket, bytes: Buffer): Promise<boolean> {
  let closed = false;
  void raw.closed.then(() => (closed = true));
  for (let i = 0; i < bytes.length; i++) {
    if (closed) return true;
    raw.socket.write(bytes.subarray(i, i + 1));
    await sleep(50);
  }
  return closed;
}

function postTraces(url: string) {
  const span = makeRawSpan();
  return {
    span,
    response: fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeTraceRequest([span], 'protobuf'),
    }),
  };
}

describe('slow clients', () => {
  it('a client trickling its headers is cut off (408) while a normal client is served', async () => {
    const collector = await startTestCollector(SHORT);
    const raw = await openRaw(collector.port);
    raw.socket.write('POST /v1/traces HTTP/1.1\r\nHost: localhost\r\n');
    // 200 bytes at 50 ms each: 10 s, about 30 times the headers timeout.
    const slow = trickle(raw, Buffer.from('X-Slow: ' + 'a'.repeat(192)));

    const { span, response } = postTraces(collector.url);
    expect((await response).status).toBe(200);
    expect(await slow).toBe(true);
    expect(raw.received().toString('latin1')).toMatch(/^HTTP\/1\.1 408 /);
    expect((await collector.store.getSpans({ limit: 10 })).items.map((s) => s.spanId)).toEqual([span.spanId]);
  });

  it('a connection that sends nothing at all is cut off by the headers timeout', async () => {
    const collector = await startTestCollector(SHORT);
    const raw = await openRaw(collector.port);
    const closed = await Promise.race([raw.closed.then(() => true), sleep(10_000).then(() => false)]);
    expect(closed).toBe(true);
  });

  it('a client trickling its body is cut off (408), nothing of it is stored, a normal client is served', async () => {
    const collector = await startTestCollector(SHORT);
    // 200 bytes announced: at 20 bytes a second, 10 s, about 16 times the request timeout.
    const body = Buffer.alloc(200, 0x0a);
    const raw = await openRaw(collector.port);
    raw.socket.write(postHead(body, 'localhost:4318'));
    const slow = trickle(raw, body);

    const { span, response } = postTraces(collector.url);
    expect((await response).status).toBe(200);
    expect(await slow).toBe(true);
    expect(raw.received().toString('latin1')).toMatch(/^HTTP\/1\.1 408 /);
    expect((await collector.store.getSpans({ limit: 10 })).items.map((s) => s.spanId)).toEqual([span.spanId]);
  });

  it('the live stream stays open well past the request timeout, and still delivers', async () => {
    const collector = await startTestCollector({ ...SHORT, liveHeartbeatMillis: 50, livePollIntervalMillis: 20 });
    const raw = await openRaw(collector.port);
    raw.socket.write(`GET /api/live HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n`);
    await raw.waitFor((b) => b.toString('latin1').includes('retry:'));
    expect(raw.received().toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    // Five request timeouts, by the stream's own heartbeats (every 50 ms when idle).
    const heartbeats = (b: Buffer) => b.toString('latin1').split(': heartbeat').length - 1;
    await raw.waitFor((b) => heartbeats(b) >= (5 * SHORT.requestTimeoutMillis) / 50);

    const { span, response } = postTraces(collector.url);
    expect((await response).status).toBe(200);
    await raw.waitFor((b) => b.toString('utf8').includes(span.spanId));
    expect(raw.socket.destroyed).toBe(false);
  });

  it('tells clients the keep-alive timeout (65 s by default)', async () => {
    const collector = await startTestCollector();
    const response = await fetch(`${collector.url}/healthz`);
    expect(response.headers.get('keep-alive')).toBe('timeout=65');
  });

  it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const collector = await startTestCollector({ keepAliveTimeoutMillis: 200 });
    const raw = await openRaw(collector.port);
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const answered = await raw.waitFor((b) => parseRawResponse(b) !== null);
    expect(parseRawResponse(answered)?.status).toBe(200);
    expect(parseRawResponse(answered)?.headers.connection).toBe('keep-alive');
    const closed = await Promise.race([raw.closed.then(() => true), sleep(10_000).then(() => false)]);
    expect(closed).toBe(true);
  });
});

describe('the connection cap', () => {
  it('closes connections beyond maxConnections at once; the open ones keep working; a freed slot is reused', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const collector = await startTestCollector({ maxConnections: 3 });
    const get = async (raw: RawSocket) => {
      const before = raw.received().length;
      raw.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      const all = await raw.waitFor((b) => parseRawResponse(b.subarray(before)) !== null);
      return parseRawResponse(all.subarray(before))!.status;
    };
    const open = [await openRaw(collector.port), await openRaw(collector.port), await openRaw(collector.port)];
    for (const raw of open) expect(await get(raw)).toBe(200);

    const refused = await openRaw(collector.port);
    refused.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect((await refused.closed).length).toBe(0);
    expect(errors.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/3 connections are open .*--max-connections.*refused 1/);

    for (const raw of open) expect(await get(raw)).toBe(200);

    open[0].socket.destroy();
    await open[0].closed;
    // The server counts the slot free once it has seen the close: wait for that.
    while ((await new Promise<number>((r, j) => collector.server.getConnections((e, n) => (e ? j(e) : r(n))))) > 2) {
      await sleep(10);
    }
    const next = await openRaw(collector.port);
    expect(await get(next)).toBe(200);
  });
});

describe('the limits', () => {
  it('default to 10 s for headers, 60 s for a request, 65 s keep-alive, 512 connections; half-open on', async () => {
    const collector = await startTestCollector();
    const server = collector.server as typeof collector.server & { httpAllowHalfOpen: boolean };
    expect({
      headersTimeout: server.headersTimeout,
      requestTimeout: server.requestTimeout,
      keepAliveTimeout: server.keepAliveTimeout,
      maxConnections: server.maxConnections,
      httpAllowHalfOpen: server.httpAllowHalfOpen,
    }).toEqual({
      headersTimeout: 10_000,
      requestTimeout: 60_000,
      keepAliveTimeout: 65_000,
      maxConnections: 512,
      httpAllowHalfOpen: true,
    });
  });

  it('are taken from the options; a request timeout below 10 s shortens the default headers timeout', async () => {
    const collector = await startTestCollector({ requestTimeoutMillis: 4_000, keepAliveTimeoutMillis: 7_000, maxConnections: 9 });
    expect([collector.server.headersTimeout, collector.server.requestTimeout]).toEqual([4_000, 4_000]);
    expect([collector.server.keepAliveTimeout, collector.server.maxConnections]).toEqual([7_000, 9]);
  });

  it('refuse bad values with an error naming the option', async () => {
    const cases: Array<[Record<string, number>, RegExp]> = [
      [{ headersTimeoutMillis: Number.NaN }, /startCollector: headersTimeoutMillis must be a whole number from 1 to \d+, got NaN/],
      [{ requestTimeoutMillis: 0 }, /requestTimeoutMillis must be a whole number from 1/],
      [{ keepAliveTimeoutMillis: 1.5 }, /keepAliveTimeoutMillis must be a whole number/],
      [{ maxConnections: 0 }, /maxConnections must be a whole number of at least 1, got 0/],
      [{ headersTimeoutMillis: 5_000, requestTimeoutMillis: 1_000 }, /headersTimeoutMillis \(5000\) must not exceed requestTimeoutMillis \(1000\)/],
    ];
    for (const [options, message] of cases) {
      await expect(startTestCollector(options)).rejects.toThrow(message);
    }
  });
});
