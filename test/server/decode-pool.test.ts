import { afterEach, describe, expect, it } from 'vitest';
import { OtlpDecodeError, decodeLogsRequest, decodeMetricsRequest, decodeTraceRequest, encodeTraceRequest } from '../../src/otlp/index.js';
import { DecodePool, DecodeThreadError } from '../../src/server/decode-pool.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { malformedBody, signalBody } from './signal-bodies.js';

const pools: DecodePool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function pool(options: ConstructorParameters<typeof DecodePool>[0] = {}): DecodePool {
  const p = new DecodePool(options);
  pools.push(p);
  return p;
}

/**
 * A JSON body whose parse tree needs far more heap than a 48 MiB thread has:
 * many small objects (the heap grows step by step, and the thread is ended at
 * its limit; one allocation far past the limit would end the process instead).
 */
function heapHungryBody(): Uint8Array {
  return new TextEncoder().encode(`{"padding":[${'{"a":[1,2,3]},'.repeat(1_200_000)}{}],"resourceSpans":[]}`);
}

describe('DecodePool', () => {
  it('decodes as inline decoding does, in slices, bigints, bytes and a __proto__ key included', async () => {
    const spans = Array.from({ length: 25 }, (_, i) =>
      makeRawSpan({ attributes: { ['__proto__']: 'own key', n: i, big: 2n ** 63n - 1n, bytes: new Uint8Array([1, 2]) } }),
    );
    const bad = makeRawSpan({ spanId: '0000000000000000' });
    for (const format of ['protobuf', 'json'] as const) {
      const body = encodeTraceRequest([...spans, bad], format);
      const inline = decodeTraceRequest(new Uint8Array(body), format);
      const decoded = await pool({ sliceSpans: 7 }).decode(new Uint8Array(body), format);
      expect(decoded).toEqual(inline);
      expect(decoded.rejectedSpans).toBe(1);
      expect(Object.prototype.hasOwnProperty.call(decoded.spans[0].attributes, '__proto__')).toBe(true);
      expect(Object.getPrototypeOf(decoded.spans[0].attributes)).toBe(Object.prototype);
    }
  });

  it('fails a bad body with the OtlpDecodeError inline decoding throws', async () => {
    const body = new TextEncoder().encode('{"resourceSpans": [');
    let inline: unknown;
    try {
      decodeTraceRequest(body, 'json');
    } catch (error) {
      inline = error;
    }
    const offThread = await pool()
      .decode(new Uint8Array(body), 'json')
      .catch((error: unknown) => error);
    expect(offThread).toBeInstanceOf(OtlpDecodeError);
    expect((offThread as Error).message).toBe((inline as Error).message);
  });

  it('fails the request of a thread that dies, and decodes the next one on a new thread', async () => {
    const p = pool({ threads: 1, maxHeapMib: 48 });
    const died = await p.decode(heapHungryBody(), 'json').catch((error: unknown) => error);
    expect(died).toBeInstanceOf(DecodeThreadError);
    expect((died as DecodeThreadError).closing).toBe(false);

    const span = makeRawSpan();
    const next = await p.decode(encodeTraceRequest([span], 'protobuf'), 'protobuf');
    expect(next.spans.map((s) => s.spanId)).toEqual([span.spanId]);
  });

  it('fails what it holds when closed, and everything after', async () => {
    const p = pool({ threads: 1 });
    const body = encodeTraceRequest([makeRawSpan()], 'json');
    const first = p.decode(new Uint8Array(body), 'json').catch((error: unknown) => error);
    const queued = p.decode(new Uint8Array(body), 'json').catch((error: unknown) => error);
    await p.close();
    for (const outcome of [await first, await queued, await p.decode(new Uint8Array(body), 'json').catch((e: unknown) => e)]) {
      expect(outcome).toBeInstanceOf(DecodeThreadError);
      expect((outcome as DecodeThreadError).closing).toBe(true);
    }
  });

  it('transfers the body: the caller\'s buffer is handed over, not copied', async () => {
    const body = new Uint8Array(encodeTraceRequest([makeRawSpan()], 'protobuf'));
    const decoded = await pool().decode(body, 'protobuf');
    expect(decoded.spans).toHaveLength(1);
    expect(body.byteLength).toBe(0);
  });

  it('decodes log and metric requests as their inline decoders do, in slices, counts and rejections included', async () => {
    const p = pool({ sliceSpans: 2 });
    for (const format of ['protobuf', 'json'] as const) {
      const logs = signalBody('logs', format, { items: 5, rejected: true });
      const metrics = signalBody('metrics', format, { items: 5, rejected: true });
      const decodedLogs = await p.decode(new Uint8Array(logs), format, 'logs');
      expect(decodedLogs).toEqual(decodeLogsRequest(logs, format));
      expect([decodedLogs.records.length, decodedLogs.rejectedRecords]).toEqual([5, 1]);
      const decodedMetrics = await p.decode(new Uint8Array(metrics), format, 'metrics');
      expect(decodedMetrics).toEqual(decodeMetricsRequest(metrics, format));
      expect([decodedMetrics.dataPoints, decodedMetrics.rejectedDataPoints]).toEqual([5, 1]);
      const bad = await p.decode(malformedBody('logs', format), format, 'logs').catch((error: unknown) => error);
      expect(bad).toBeInstanceOf(OtlpDecodeError);
    }
  });
});
