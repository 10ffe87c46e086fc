/**
 * `/v1/logs` and `/v1/metrics` follow exactly the rules of `/v1/traces`
 * (otlp-receiver.test.ts): the same handler, parameterised by signal. Here
 * the pipeline is a recording stub; otlp-signals-store.test.ts goes into a
 * real SQLite store.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawLogRecord } from '../../src/model/log-types.js';
import type { RawMetric } from '../../src/model/metric-types.js';
import { readRpcStatus } from '../../src/otlp/index.js';
import type { OtlpFormat } from '../../src/otlp/index.js';
import { DecodePool } from '../../src/server/decode-pool.js';
import { createOtlpReceiver } from '../../src/server/otlp-receiver.js';
import type { ReceiveOutcome } from '../../src/server/otlp-receiver.js';
import { IngestOverloadedError, SpansRefusedError } from '../../src/ingest/trace-ingest.js';
import type { SignalIngest } from '../../src/ingest/trace-ingest.js';
import { T, malformedBody, signalBody } from './signal-bodies.js';

const TYPES: Record<OtlpFormat, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };
const SIGNALS = ['logs', 'metrics'] as const;
const REJECTED_FIELD = { logs: 'rejectedLogRecords', metrics: 'rejectedDataPoints' } as const;

function setup(options: { fail?: () => Promise<void>; maxBodyBytes?: number; decodePool?: DecodePool; offThread?: boolean } = {}) {
  const logs: RawLogRecord[][] = [];
  const metrics: RawMetric[][] = [];
  const outcomes: ReceiveOutcome[] = [];
  const ingest: SignalIngest = {
    ingest: () => Promise.reject(new Error('no spans expected')),
    ingestLogs: async (records) => (options.fail ? options.fail() : void logs.push([...records])),
    ingestMetrics: async (items) => (options.fail ? options.fail() : void metrics.push([...items])),
  };
  const app = createOtlpReceiver({
    ingest,
    maxBodyBytes: options.maxBodyBytes,
    decodePool: options.decodePool,
    offThreadDecodeBytes: options.offThread ? 0 : undefined,
    onOutcome: (o) => outcomes.push(o),
  });
  const post = async (path: string, body: Uint8Array | string, headers: Record<string, string>) => {
    const res = await app.request(path, { method: 'POST', body, headers });
    return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
  };
  return { app, logs, metrics, outcomes, post, stored: () => logs.length + metrics.length };
}

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe.each(SIGNALS)('OTLP/HTTP /v1/%s', (signal) => {
  const path = `/v1/${signal}`;

  describe.each<OtlpFormat>(['protobuf', 'json'])('%s', (format) => {
    it('accepts a request, hands every item to the pipeline and answers in the request content type', async () => {
      const s = setup();
      const res = await s.post(path, signalBody(signal, format), { 'content-type': TYPES[format] });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(TYPES[format]);
      if (format === 'json') expect(JSON.parse(text(res.body))).toEqual({});
      else expect(res.body.byteLength).toBe(0);
      if (signal === 'logs') {
        expect(s.logs.flat().map((r) => [r.body, r.timeUnixNano, r.eventName])).toEqual([
          ['said 0', T, 'gen_ai.user.message'],
          ['said 1', T + 1n, 'gen_ai.user.message'],
        ]);
      } else {
        const [metric] = s.metrics.flat();
        expect(metric).toMatchObject({ name: 'gen_ai.client.token.usage', type: 'sum', temporality: 'cumulative', monotonic: true });
        expect(metric.points.map((p) => ('value' in p ? p.value : null))).toEqual([100n, 101n]);
      }
      expect(s.outcomes).toEqual([expect.objectContaining({ signal, status: 200, accepted: 2, rejected: 0 })]);
    });

    it('accepts gzip, and the trailing-slash path', async () => {
      const s = setup();
      const gz = await s.post(path, gzipSync(signalBody(signal, format)), { 'content-type': TYPES[format], 'content-encoding': 'gzip' });
      const slash = await s.post(`${path}/`, signalBody(signal, format), { 'content-type': TYPES[format] });
      expect([gz.status, slash.status]).toEqual([200, 200]);
      expect(s.stored()).toBe(2);
    });

    it('answers malformed bodies with 400 and a Status naming the problem; nothing reaches the pipeline', async () => {
      const s = setup();
      const res = await s.post(path, malformedBody(signal, format), { 'content-type': TYPES[format] });
      expect(res.status).toBe(400);
      const status = readRpcStatus(res.body, res.headers.get('content-type'));
      expect(status.code).toBe(3);
      expect(status.message).toMatch(format === 'json' ? /JSON/ : /protobuf|offset|length/i);
      expect(s.stored()).toBe(0);
      // Healthy after: the next request goes through.
      expect((await s.post(path, signalBody(signal, format), { 'content-type': TYPES[format] })).status).toBe(200);
    });

    it(`rejects a bad item one by one with partial_success (${REJECTED_FIELD[signal]})`, async () => {
      const s = setup();
      const res = await s.post(path, signalBody(signal, format, { rejected: true }), { 'content-type': TYPES[format] });
      expect(res.status).toBe(200);
      if (format === 'json') {
        const { partialSuccess } = JSON.parse(text(res.body)) as { partialSuccess: Record<string, string> };
        expect(partialSuccess[REJECTED_FIELD[signal]]).toBe('1');
        expect(partialSuccess.errorMessage).toMatch(signal === 'logs' ? /severityNumber 99/ : /timeUnixNano is missing/);
        expect(Object.keys(partialSuccess).sort()).toEqual([REJECTED_FIELD[signal], 'errorMessage'].sort());
      } else {
        // ExportLogsPartialSuccess / ExportMetricsPartialSuccess: field 1 { 1: int64 rejected, 2: message }.
        expect([...res.body.subarray(0, 1)]).toEqual([0x0a]);
        expect([...res.body.subarray(2, 4)]).toEqual([0x08, 0x01]);
      }
      expect(s.outcomes[0]).toMatchObject({ signal, accepted: 2, rejected: 1 });
    });

    it('answers 503 with Retry-After when the pipeline is overloaded', async () => {
      const s = setup({ fail: () => Promise.reject(new IngestOverloadedError('the store is 9 items behind (limit 5); retry later', 3)) });
      const res = await s.post(path, signalBody(signal, format), { 'content-type': TYPES[format] });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('3');
      expect(readRpcStatus(res.body, res.headers.get('content-type'))).toEqual({ code: 14, message: 'the store is 9 items behind (limit 5); retry later' });
    });
  });

  it('answers 400 (no retry) when the store refuses these items for good, naming them', async () => {
    const noun = signal === 'logs' ? 'log records' : 'metric points';
    const s = setup({ fail: () => Promise.reject(new SpansRefusedError(new RangeError('too big'), noun)) });
    const res = await s.post(path, signalBody(signal, 'protobuf'), { 'content-type': TYPES.protobuf });
    expect(res.status).toBe(400);
    expect(readRpcStatus(res.body, res.headers.get('content-type'))).toEqual({ code: 3, message: `the store refused these ${noun}: too big` });
    expect(s.outcomes[0]).toMatchObject({ signal, status: 400, accepted: 0, rejected: 2 });
  });

  it('answers a failed commit with 503 naming the signal, so the client retries', async () => {
    const s = setup({ fail: () => Promise.reject(new Error('database or disk is full')) });
    const original = console.error;
    console.error = () => undefined;
    try {
      const res = await s.post(path, signalBody(signal, 'json'), { 'content-type': TYPES.json });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      const noun = signal === 'logs' ? 'log records' : 'metric points';
      expect(readRpcStatus(res.body, res.headers.get('content-type')).message).toBe(`could not store the ${noun}: database or disk is full`);
    } finally {
      console.error = original;
    }
  });

  it('answers a wrong content type with 415, other methods with 405 + Allow, an empty body with 200', async () => {
    const s = setup();
    const wrong = await s.post(path, 'hello', { 'content-type': 'text/plain' });
    expect(wrong.status).toBe(415);
    expect(readRpcStatus(wrong.body, wrong.headers.get('content-type')).message).toBe(
      'unsupported content type text/plain: send application/x-protobuf or application/json',
    );
    const get = await s.app.request(path, { method: 'GET' });
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect(readRpcStatus(new Uint8Array(await get.arrayBuffer()), get.headers.get('content-type')).message).toBe(
      `method GET not allowed on ${path}: use POST`,
    );
    expect((await s.post(path, new Uint8Array(0), { 'content-type': TYPES.protobuf })).status).toBe(200);
    expect(s.stored()).toBe(0);
  });

  it('answers a body over the cap, and a gzip bomb, with 413; nothing reaches the pipeline', async () => {
    const s = setup({ maxBodyBytes: 64 * 1024 });
    const big = await s.post(path, new Uint8Array(128 * 1024), { 'content-type': TYPES.protobuf });
    expect(big.status).toBe(413);
    expect(readRpcStatus(big.body, big.headers.get('content-type')).message).toContain('65536');
    const bomb = await s.post(path, gzipSync(Buffer.alloc(8 * 1024 * 1024)), { 'content-type': TYPES.protobuf, 'content-encoding': 'gzip' });
    expect(bomb.status).toBe(413);
    expect(readRpcStatus(bomb.body, bomb.headers.get('content-type')).message).toContain('after decompression');
    expect(s.stored()).toBe(0);
  });
});

describe('OTLP/HTTP logs and metrics decoded off the main thread', () => {
  const pool = new DecodePool({ threads: 1, sliceSpans: 1 });
  afterAll(() => pool.close());

  it.each(SIGNALS)('%s: the same answers and items as inline decoding, in slices of one', async (signal) => {
    const inline = setup();
    const offThread = setup({ decodePool: pool, offThread: true });
    const path = `/v1/${signal}`;
    for (const format of ['protobuf', 'json'] as const) {
      const bodies = [signalBody(signal, format, { items: 3 }), signalBody(signal, format, { rejected: true }), malformedBody(signal, format)];
      for (const body of bodies) {
        const headers = { 'content-type': TYPES[format] };
        const there = await offThread.post(path, new Uint8Array(body), headers);
        const here = await inline.post(path, body, headers);
        expect({ status: there.status, body: there.body }).toEqual({ status: here.status, body: here.body });
      }
    }
    expect(offThread.logs).toEqual(inline.logs);
    expect(offThread.metrics).toEqual(inline.metrics);
    expect(offThread.stored()).toBe(4);
  });
});

describe('a pipeline that takes spans only', () => {
  it('serves /v1/traces alone: /v1/logs and /v1/metrics are not routes', async () => {
    const app = createOtlpReceiver({ ingest: { ingest: async () => undefined } });
    for (const signal of SIGNALS) {
      const res = await app.request(`/v1/${signal}`, { method: 'POST', body: signalBody(signal, 'json'), headers: { 'content-type': TYPES.json } });
      expect(res.status).toBe(404);
    }
  });
});
