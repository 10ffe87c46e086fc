import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeTraceRequest, readRpcStatus } from '../../../src/otlp/index.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { closeAll, openRaw, parseRawResponse, startTestCollector } from './http-helpers.js';

afterEach(closeAll);

interface Answer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

/** One request with a Host header of the test's choosing (fetch would not let it be set). */
function send(
  collector: RunningCollector,
  method: string,
  path: string,
  host: string,
  options: { body?: Uint8Array; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: collector.port, method, path, headers: { host, ...options.headers } },
      (res) => {
        // A live stream that was let through would never end: what matters is its status.
        if (res.headers['content-type']?.startsWith('text/event-stream')) {
          res.destroy();
          resolve({ status: res.statusCode!, contentType: res.headers['content-type'], body: Buffer.alloc(0) });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'], body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const EVIL = 'evil.example.com';

/** Posts spans in one session with an allowed Host, returns the session id. */
async function seed(collector: RunningCollector, host = `127.0.0.1:${collector.port}`): Promise<string> {
  const span = makeRawSpan({
    attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.conversation.id': 'conv-secret', 'gen_ai.request.model': 'gpt-4o' },
  });
  const stored = await send(collector, 'POST', '/v1/traces', host, {
    body: encodeTraceRequest([span], 'protobuf'),
    headers: { 'content-type': 'application/x-protobuf' },
  });
  expect(stored.status).toBe(200);
  const sessions = await collector.store.listSessions({ limit: 10 });
  expect(sessions.items).toHaveLength(1);
  return sessions.items[0].sessionId;
}

function otlpPost(spanCount = 1) {
  return {
    body: encodeTraceRequest(Array.from({ length: spanCount }, () => makeRawSpan()), 'protobuf'),
    headers: { 'content-type': 'application/x-protobuf' },
  };
}

describe('the DNS-rebinding guard (no token)', () => {
  it('refuses every route family for a foreign Host, and writes and deletes nothing', async () => {
    const collector = await startTestCollector();
    const session = await seed(collector);

    const ingest = await send(collector, 'POST', '/v1/traces', EVIL, otlpPost(3));
    expect(ingest.status).toBe(403);
    expect(ingest.contentType).toBe('application/x-protobuf');
    const status = readRpcStatus(ingest.body, ingest.contentType ?? null);
    expect(status.code).toBe(7);
    expect(status.message).toContain(`Host '${EVIL}'`);
    expect(status.message).toContain(`--allow-host ${EVIL}`);

    const reads: Array<[string, string]> = [
      ['GET', '/api/search?q=chat'],
      ['GET', '/api/sessions'],
      ['GET', `/api/sessions/${encodeURIComponent(session)}/export`],
      ['DELETE', `/api/sessions/${encodeURIComponent(session)}`],
      ['GET', '/api/live'],
      ['GET', '/'],
      ['GET', '/healthz'],
    ];
    for (const [method, path] of reads) {
      const answer = await send(collector, method, path, `${EVIL}:${collector.port}`);
      expect([method, path, answer.status]).toEqual([method, path, 403]);
      expect(answer.contentType).toMatch(/^application\/json/);
      const body = JSON.parse(answer.body.toString('utf8')) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('host_not_allowed');
      expect(body.error.message).toContain(`Host '${EVIL}:${collector.port}'`);
      expect(body.error.message).toContain('--allow-host evil.example.com');
      expect(answer.body.toString('utf8')).not.toContain('conv-secret');
    }

    // Nothing was written, nothing deleted.
    const spans = await collector.store.getSpans({ limit: 100 });
    expect(spans.items).toHaveLength(1);
    expect((await collector.store.listSessions({ limit: 10 })).items.map((s) => s.sessionId)).toEqual([session]);
  });

  it('an OTLP/JSON export gets a JSON Status', async () => {
    const collector = await startTestCollector();
    const answer = await send(collector, 'POST', '/v1/traces', EVIL, {
      body: encodeTraceRequest([makeRawSpan()], 'json'),
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(403);
    expect(answer.contentType).toBe('application/json');
    expect(readRpcStatus(answer.body, 'application/json').code).toBe(7);
    expect((await collector.store.getSpans({ limit: 10 })).items).toHaveLength(0);
  });

  it('an absolute-form request target is judged by its host too', async () => {
    const collector = await startTestCollector();
    const raw = await openRaw(collector.port);
    raw.socket.write(`GET http://${EVIL}/api/sessions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    expect(parseRawResponse(await raw.closed)?.status).toBe(403);
  });

  it('answers loopback names and IP addresses, with or without a port', async () => {
    const collector = await startTestCollector();
    const session = await seed(collector, 'localhost:4318');
    const hosts = [
      'localhost',
      'localhost:4318',
      'localhost.:4318',
      `127.0.0.1:${collector.port}`,
      '127.0.0.1',
      '127.1.2.3:4318',
      '[::1]:4318',
      '[::1]',
      'viewer.localhost:4318',
      '192.168.1.20:4318',
    ];
    for (const host of hosts) {
      const answer = await send(collector, 'GET', `/api/sessions/${encodeURIComponent(session)}`, host);
      expect([host, answer.status]).toEqual([host, 200]);
    }
    expect((await send(collector, 'POST', '/v1/traces', `127.0.0.1:${collector.port}`, otlpPost())).status).toBe(200);
    expect((await send(collector, 'GET', '/', 'localhost:4318')).status).toBe(200);
    expect((await send(collector, 'DELETE', `/api/sessions/${encodeURIComponent(session)}`, '[::1]:4318')).status).toBe(204);
    // Look-alikes are names, and foreign ones.
    for (const host of ['localhost.evil.example.com', 'evillocalhost', '127.0.0.1.evil.example.com']) {
      expect([host, (await send(collector, 'GET', '/api/sessions', host)).status]).toEqual([host, 403]);
    }
    // No Host (HTTP/1.0) or an empty one: no browser sends that, so it is no rebinding; it is
    // judged as the bind address.
    expect((await send(collector, 'GET', '/api/sessions', '')).status).toBe(200);
    const raw = await openRaw(collector.port);
    raw.socket.write('GET /healthz HTTP/1.0\r\n\r\n');
    expect(parseRawResponse(await raw.closed)?.status).toBe(200);
    // A malformed one is refused by the HTTP adapter before any route.
    expect((await send(collector, 'GET', '/api/sessions', '[::1]evil')).status).toBe(400);
  });

  it('accepts the names given in allowHosts (exact, and *.domain for subdomains)', async () => {
    const collector = await startTestCollector({ allowHosts: ['Skein.Internal', '*.corp.example'] });
    for (const host of ['skein.internal', 'skein.internal:4318', 'a.corp.example:4318', 'b.c.corp.example']) {
      expect([host, (await send(collector, 'GET', '/api/sessions', host)).status]).toEqual([host, 200]);
    }
    for (const host of ['corp.example', 'other.internal', EVIL]) {
      expect([host, (await send(collector, 'GET', '/api/sessions', host)).status]).toEqual([host, 403]);
    }
    expect((await send(collector, 'POST', '/v1/traces', 'skein.internal:4318', otlpPost())).status).toBe(200);
    expect((await send(collector, 'POST', '/v1/traces', EVIL, otlpPost())).status).toBe(403);
    expect((await collector.store.getSpans({ limit: 10 })).items).toHaveLength(1);
  });

  it('allowHosts "*" turns the check off', async () => {
    const collector = await startTestCollector({ allowHosts: ['*'] });
    expect((await send(collector, 'GET', '/api/sessions', EVIL)).status).toBe(200);
  });
});

describe('with a token', () => {
  it('the token protects whatever the Host: 401 without it, 200 with it', async () => {
    const collector = await startTestCollector({ token: 's3cret' });
    expect((await send(collector, 'GET', '/api/sessions', EVIL)).status).toBe(401);
    expect((await send(collector, 'POST', '/v1/traces', EVIL, otlpPost())).status).toBe(401);
    const authorized = { headers: { authorization: 'Bearer s3cret' } };
    expect((await send(collector, 'GET', '/api/sessions', 'skein.example.net', authorized)).status).toBe(200);
    const post = otlpPost();
    expect(
      (await send(collector, 'POST', '/v1/traces', 'skein.example.net', { ...post, headers: { ...post.headers, ...authorized.headers } })).status,
    ).toBe(200);
    expect((await collector.store.getSpans({ limit: 10 })).items).toHaveLength(1);
  });
});
