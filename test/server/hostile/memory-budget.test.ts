import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import type { ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { RawSpan } from '../../../src/model/types.js';
import { encodeTraceRequest, readRpcStatus } from '../../../src/otlp/index.js';
import { InflightBytes } from '../../../src/server/inflight-bytes.js';
import { createOtlpReceiver } from '../../../src/server/otlp-receiver.js';
import type { OtlpReceiverOptions } from '../../../src/server/otlp-receiver.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';

const MIB = 1024 * 1024;
const servers: ServerType[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** The receiver alone on 127.0.0.1, port 0, storing what it is given in memory. */
async function startReceiver(options: Omit<OtlpReceiverOptions, 'ingest'>) {
  const stored: RawSpan[] = [];
  const app = createOtlpReceiver({
    ...options,
    ingest: { ingest: async (spans) => void stored.push(...spans) },
  });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return { port: (server.address() as AddressInfo).port, stored };
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: Buffer;
  contentType: string | undefined;
}

function post(port: number, agent: Agent, body: Uint8Array, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', headers: { ...headers, 'content-length': body.byteLength } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'],
            body: Buffer.concat(chunks),
            contentType: res.headers['content-type'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A tiny gzip body whose one span carries a string attribute of `bytes` bytes: it inflates `bytes` big. */
function inflatingBody(bytes: number): { span: RawSpan; body: Buffer } {
  const span = makeRawSpan({ attributes: { big: 'a'.repeat(bytes) } });
  return { span, body: gzipSync(encodeTraceRequest([span], 'json')) };
}

describe('the in-flight byte budget', () => {
  it('refuses what would pass it with 503 + Retry-After, and never holds more than it', async () => {
    const inflight = new InflightBytes({ maxBytes: 8 * MIB, maxWaitMillis: 0 });
    const { port, stored } = await startReceiver({ inflight });
    const requests = Array.from({ length: 8 }, () => inflatingBody(3 * MIB));
    // Each body is a few KiB on the wire: what the budget must catch is the inflation.
    expect(Math.max(...requests.map((r) => r.body.byteLength))).toBeLessThan(64 * 1024);

    const agent = new Agent({ keepAlive: true, maxSockets: requests.length });
    agents.push(agent);
    const answers = await Promise.all(
      requests.map(({ body }) => post(port, agent, body, { 'content-type': 'application/json', 'content-encoding': 'gzip' })),
    );

    const refused = answers.filter((a) => a.status === 503);
    const accepted = answers.filter((a) => a.status === 200);
    expect(refused.length + accepted.length).toBe(requests.length);
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(answer.retryAfter).toBe('1');
      expect(answer.contentType).toBe('application/json');
      const status = readRpcStatus(answer.body, answer.contentType ?? null);
      expect(status.code).toBe(14); // UNAVAILABLE: retry later
      expect(status.message).toMatch(/limit of 8388608 bytes/);
    }
    // What was accepted was stored whole; what was refused, not at all.
    expect(stored).toHaveLength(accepted.length);
    for (const span of stored) expect((span.attributes.big as string).length).toBe(3 * MIB);

    // The counter saw the inflated bytes (more than one body's worth), never past the budget, and all came back.
    expect(inflight.peakBytes).toBeGreaterThanOrEqual(3 * MIB);
    expect(inflight.peakBytes).toBeLessThanOrEqual(8 * MIB);
    expect(inflight.inUseBytes).toBe(0);
  });

  it('lets requests that hold nothing yet wait for room instead', async () => {
    const inflight = new InflightBytes({ maxBytes: 8 * MIB, maxWaitMillis: 30_000 });
    const { port, stored } = await startReceiver({ inflight });
    // Uncompressed 3 MiB bodies with Content-Length: each waits for its 3 MiB, then is read into one buffer.
    const spans = Array.from({ length: 6 }, () => makeRawSpan({ attributes: { big: 'b'.repeat(3 * MIB) } }));
    const agent = new Agent({ keepAlive: true, maxSockets: spans.length });
    agents.push(agent);
    const answers = await Promise.all(
      spans.map((span) => post(port, agent, encodeTraceRequest([span], 'protobuf'), { 'content-type': 'application/x-protobuf' })),
    );
    expect(answers.map((a) => a.status)).toEqual(spans.map(() => 200));
    expect(stored.map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
    expect(inflight.peakBytes).toBeLessThanOrEqual(8 * MIB);
    expect(inflight.peakBytes).toBeGreaterThanOrEqual(6 * MIB); // two at once: it did not serialize everything
    expect(inflight.inUseBytes).toBe(0);
  });

  it('answers 413 for a body that alone needs more than the whole budget', async () => {
    const inflight = new InflightBytes({ maxBytes: 2 * MIB, maxWaitMillis: 0 });
    const { port, stored } = await startReceiver({ inflight });
    const agent = new Agent({ keepAlive: true });
    agents.push(agent);
    const answer = await post(port, agent, inflatingBody(3 * MIB).body, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(answer.status).toBe(413);
    expect(readRpcStatus(answer.body, answer.contentType ?? null).code).toBe(8); // RESOURCE_EXHAUSTED
    expect(stored).toHaveLength(0);
    expect(inflight.inUseBytes).toBe(0);
  });

  it('leaves ordinary traffic alone under the default budget', async () => {
    const inflight = new InflightBytes();
    expect(inflight.maxBytes).toBe(256 * MIB);
    const { port, stored } = await startReceiver({ inflight });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    agents.push(agent);
    const batches = Array.from({ length: 64 }, () => Array.from({ length: 50 }, () => makeRawSpan()));
    const answers = await Promise.all(
      batches.map((spans, i) =>
        i % 2 === 0
          ? post(port, agent, gzipSync(encodeTraceRequest(spans, 'protobuf')), {
              'content-type': 'application/x-protobuf',
              'content-encoding': 'gzip',
            })
          : post(port, agent, encodeTraceRequest(spans, 'json'), { 'content-type': 'application/json' }),
      ),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(stored).toHaveLength(64 * 50);
    expect(inflight.peakBytes).toBeGreaterThan(0);
    expect(inflight.inUseBytes).toBe(0);
  });
});
