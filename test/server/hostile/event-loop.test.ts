import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { RawSpan } from '../../../src/model/types.js';
import { decodeTraceRequest, encodeTraceRequest } from '../../../src/otlp/index.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { closeAll, startTestCollector } from './http-helpers.js';

afterEach(closeAll);

const agents: Agent[] = [];
afterEach(() => {
  for (const agent of agents.splice(0)) agent.destroy();
});

function send(port: number, agent: Agent, method: string, path: string, body?: Uint8Array, contentType?: string) {
  const started = performance.now();
  return new Promise<{ status: number; millis: number }>((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (body) Object.assign(headers, { 'content-type': contentType ?? '', 'content-length': body.byteLength });
    const req = request({ agent, host: '127.0.0.1', port, path, method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, millis: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A JSON request that is slow to decode and cheap to store: a few spans, and
 * an unknown field the receiver must parse and then ignore (the spec says so),
 * full of integers past 2^53 that the big-integer pass must quote first.
 */
function slowJsonBody(spans: RawSpan[], paddingBytes: number): Buffer {
  const request = new TextDecoder().decode(encodeTraceRequest(spans, 'json'));
  const item = '{"intValue":9007199254740993},';
  const padding = `"padding":[${item.repeat(Math.floor(paddingBytes / item.length))}{}],`;
  return Buffer.from(`{${padding}${request.slice(1)}`);
}

describe('a big request does not stall the collector', () => {
  it('answers /healthz while a big JSON body is being decoded, and stores every span of it', async () => {
    const collector = await startTestCollector({ interruptAfterMillis: 0 });
    const spans = Array.from({ length: 200 }, () => makeRawSpan());
    const body = slowJsonBody(spans, 16 * 1024 * 1024);

    // How long decoding this body holds a thread, measured here on this machine, now.
    const decodeStarted = performance.now();
    expect(decodeTraceRequest(new Uint8Array(body), 'json').spans).toHaveLength(spans.length);
    const decodeMillis = performance.now() - decodeStarted;

    const bigAgent = new Agent({ keepAlive: true });
    const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(bigAgent, probeAgent);
    expect((await send(collector.port, probeAgent, 'GET', '/healthz')).status).toBe(200);

    let done = false;
    const big = send(collector.port, bigAgent, 'POST', '/v1/traces', body, 'application/json').finally(() => (done = true));
    // Back to back, so that whenever the collector's thread is held up a probe is waiting for it
    // (the test and the collector share that thread): the gap between two answers is the stall.
    const gaps: number[] = [];
    let last = performance.now();
    while (!done) {
      const probe = await send(collector.port, probeAgent, 'GET', '/healthz');
      expect(probe.status).toBe(200);
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }
    const answer = await big;

    expect(answer.status).toBe(200);
    // /healthz kept answering all along, never held up for more than a fraction of the decode
    // (decoding on the collector's thread held it up for the whole decode).
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...gaps)).toBeLessThan(decodeMillis / 4);

    const stored = await collector.store.getSpans({ limit: 1000 });
    expect(stored.items.map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
  });
});
