import { gzipSync, deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawSpan } from '../../src/model/types.js';
import { encodeTraceRequest, readRpcStatus } from '../../src/otlp/index.js';
import type { OtlpFormat } from '../../src/otlp/index.js';
import { DecodePool } from '../../src/server/decode-pool.js';
import { createOtlpReceiver } from '../../src/server/otlp-receiver.js';
import type { ReceiveOutcome } from '../../src/server/otlp-receiver.js';
import { IngestOverloadedError } from '../../src/ingest/trace-ingest.js';
import type { TraceIngest } from '../../src/ingest/trace-ingest.js';
import { makeRawSpan } from '../helpers/raw-spans.js';

const TYPES: Record<OtlpFormat, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

function setup(ingestImpl?: TraceIngest['ingest'], maxBodyBytes?: number) {
  const received: RawSpan[][] = [];
  const outcomes: ReceiveOutcome[] = [];
  const app = createOtlpReceiver({
    ingest: {
      ingest: ingestImpl ?? (async (spans) => void received.push([...spans])),
    },
    maxBodyBytes,
    onOutcome: (o) => outcomes.push(o),
  });
  const post = (body: Uint8Array | string, headers: Record<string, string>) =>
    app.request('/v1/traces', { method: 'POST', body, headers });
  return { app, received, outcomes, post };
}

async function bodyOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

describe('OTLP/HTTP receiver', () => {
  for (const format of ['protobuf', 'json'] as const) {
    describe(format, () => {
      it('accepts a request and answers in the request content type', async () => {
        const { post, received } = setup();
        const spans = [makeRawSpan(), makeRawSpan()];
        const res = await post(encodeTraceRequest(spans, format), { 'content-type': TYPES[format] });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe(TYPES[format]);
        expect(received).toHaveLength(1);
        expect(received[0].map((s) => s.spanId)).toEqual(spans.map((s) => s.spanId));
        // An ExportTraceServiceResponse with nothing rejected: no partial_success.
        const body = await bodyOf(res);
        if (format === 'json') expect(JSON.parse(new TextDecoder().decode(body))).toEqual({});
        else expect(body.byteLength).toBe(0);
      });

      it('accepts gzip and deflate bodies', async () => {
        const { post, received } = setup();
        const bytes = encodeTraceRequest([makeRawSpan()], format);
        const gz = await post(gzipSync(bytes), { 'content-type': TYPES[format], 'content-encoding': 'gzip' });
        const df = await post(deflateSync(bytes), { 'content-type': TYPES[format], 'content-encoding': 'deflate' });
        expect([gz.status, df.status]).toEqual([200, 200]);
        expect(received).toHaveLength(2);
      });

      it('answers malformed bodies with 400 and a Status naming the problem', async () => {
        const { post, received } = setup();
        const garbage = format === 'json' ? '{"resourceSpans": [' : new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1]);
        const res = await post(garbage, { 'content-type': TYPES[format] });
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toBe(TYPES[format]);
        const status = readRpcStatus(await bodyOf(res), res.headers.get('content-type'));
        expect(status.code).toBe(3);
        expect(status.message.length).toBeGreaterThan(10);
        expect(received).toHaveLength(0);
      });

      it('rejects bad spans one by one with partial_success', async () => {
        const { post, received } = setup();
        const good = makeRawSpan();
        const bad = makeRawSpan({ spanId: '0000000000000000' });
        const res = await post(encodeTraceRequest([good, bad], format), { 'content-type': TYPES[format] });
        expect(res.status).toBe(200);
        expect(received[0].map((s) => s.spanId)).toEqual([good.spanId]);
        if (format === 'json') {
          const json = JSON.parse(new TextDecoder().decode(await bodyOf(res)));
          expect(json.partialSuccess.rejectedSpans).toBe('1');
          expect(json.partialSuccess.errorMessage).toMatch(/span/i);
        } else {
          expect((await bodyOf(res)).byteLength).toBeGreaterThan(0);
        }
      });

      it('answers 503 with Retry-After when the writer cannot keep up', async () => {
        const { post } = setup(async () => {
          throw new IngestOverloadedError('store is 100000 spans behind', 7);
        });
        const res = await post(encodeTraceRequest([makeRawSpan()], format), { 'content-type': TYPES[format] });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('7');
        const status = readRpcStatus(await bodyOf(res), res.headers.get('content-type'));
        expect(status.message).toContain('behind');
      });
    });
  }

  it('answers a failed commit with 503 and a Status, so the client keeps the spans and retries', async () => {
    const { post } = setup(async () => {
      throw new Error('database or disk is full');
    });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      const res = await post(encodeTraceRequest([makeRawSpan()], 'protobuf'), { 'content-type': 'application/x-protobuf' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(readRpcStatus(await bodyOf(res), res.headers.get('content-type')).message).toBe(
        'could not store the spans: database or disk is full',
      );
      expect(errors).toHaveLength(1);
    } finally {
      console.error = original;
    }
  });

  it('treats an empty body as an empty request (200)', async () => {
    const { post, received } = setup();
    const res = await post(new Uint8Array(0), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    expect(received).toHaveLength(0);
  });

  it('answers other content types with 415', async () => {
    const { post } = setup();
    const res = await post('hello', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(readRpcStatus(await bodyOf(res), res.headers.get('content-type')).message).toContain('text/plain');
  });

  it('answers other content encodings with 415', async () => {
    const { post } = setup();
    const res = await post(new Uint8Array([1, 2, 3]), { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(res.status).toBe(415);
    expect(readRpcStatus(await bodyOf(res), res.headers.get('content-type')).message).toContain('br');
  });

  it('answers other methods with 405 and Allow: POST', async () => {
    const { app } = setup();
    const res = await app.request('/v1/traces', { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('answers a body over the limit with 413', async () => {
    const { post, received } = setup(undefined, 1024);
    const res = await post(new Uint8Array(4096), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(413);
    expect(readRpcStatus(await bodyOf(res), res.headers.get('content-type')).message).toContain('1024');
    expect(received).toHaveLength(0);
  });

  it('stops a gzip bomb at the limit instead of inflating it', async () => {
    const { post } = setup(undefined, 1024 * 1024);
    // 64 MiB of zeros compresses to ~64 KiB: under the limit on the wire, far over it inflated.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.byteLength).toBeLessThan(1024 * 1024);
    const res = await post(bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(readRpcStatus(await bodyOf(res), res.headers.get('content-type')).message).toContain('after decompression');
  });

  it('answers a body that is not the gzip it claims with 400', async () => {
    const { post } = setup();
    const res = await post(new Uint8Array([1, 2, 3, 4]), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(readRpcStatus(await bodyOf(res), res.headers.get('content-type')).message).toContain('gzip');
  });

  it('reports each outcome for metrics', async () => {
    const { post, outcomes } = setup();
    await post(encodeTraceRequest([makeRawSpan(), makeRawSpan({ traceId: '0'.repeat(32) })], 'json'), {
      'content-type': 'application/json',
    });
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ signal: 'traces', status: 200, accepted: 1, rejected: 1 });
  });
});

describe('OTLP/HTTP receiver, decoding off the main thread', () => {
  const pool = new DecodePool({ threads: 1, maxHeapMib: 48 });
  afterAll(() => pool.close());

  function receiver(offThread: boolean) {
    const received: RawSpan[][] = [];
    const app = createOtlpReceiver({
      ingest: { ingest: async (spans) => void received.push([...spans]) },
      decodePool: pool,
      offThreadDecodeBytes: offThread ? 0 : Number.MAX_SAFE_INTEGER,
    });
    const post = async (body: Uint8Array | string, headers: Record<string, string>) => {
      const res = await app.request('/v1/traces', { method: 'POST', body, headers });
      return { status: res.status, type: res.headers.get('content-type'), body: await bodyOf(res) };
    };
    return { post, received };
  }

  for (const format of ['protobuf', 'json'] as const) {
    it(`answers ${format} exactly as inline decoding does: success, partial success, bad bodies`, async () => {
      const good = makeRawSpan();
      const bodies: Array<Uint8Array | string> = [
        encodeTraceRequest([good], format),
        encodeTraceRequest([good, makeRawSpan({ spanId: '0000000000000000' })], format),
        format === 'json' ? '{"resourceSpans": [' : new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1]),
        format === 'json' ? '{"resourceSpans": [{"scopeSpans": [{"spans": [{"kind": "SPAN_KIND_SERVER"}]}]}]}' : new Uint8Array([0x0a, 0x02, 0x12]),
      ];
      const inline = receiver(false);
      const offThread = receiver(true);
      for (const body of bodies) {
        const headers = { 'content-type': TYPES[format] };
        const copy = typeof body === 'string' ? body : new Uint8Array(body);
        expect(await offThread.post(copy, headers)).toEqual(await inline.post(body, headers));
      }
      expect(offThread.received).toEqual(inline.received);
      expect(offThread.received.map((spans) => spans.map((s) => s.spanId))).toEqual([[good.spanId], [good.spanId]]);
    });
  }

  it('answers 500 when the decode thread dies with the request, and decodes the next one', async () => {
    const { post, received } = receiver(true);
    // Its parse tree outgrows the thread's 48 MiB heap.
    const hungry = `{"padding":[${'{"a":[1,2,3]},'.repeat(1_200_000)}{}],"resourceSpans":[]}`;
    const died = await post(hungry, { 'content-type': 'application/json' });
    expect(died.status).toBe(500);
    const status = readRpcStatus(died.body, died.type);
    expect(status.code).toBe(13);
    expect(status.message).toMatch(/decode thread failed/);

    const span = makeRawSpan();
    const next = await post(encodeTraceRequest([span], 'protobuf'), { 'content-type': TYPES.protobuf });
    expect(next.status).toBe(200);
    expect(received.flat().map((s) => s.spanId)).toEqual([span.spanId]);
  });
});
