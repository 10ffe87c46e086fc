/**
 * The app thread's encoder: SDK spans straight to an OTLP trace request, read
 * back by the collector's own decoder on the writer thread.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, HrTime } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { decodeProtobufTraceRequest } from '../../src/otlp/decode-protobuf.js';
import { encodeProtobufTraceRequest } from '../../src/otlp/encode-protobuf.js';
import { readableSpanToRaw } from '../../src/processor/readable-span-to-raw.js';
import { SpanProtobufEncoder } from '../../src/processor/span-protobuf-encoder.js';
import { captureSpans, remoteParent } from './span-capture.js';

const setup = () => captureSpans({ 'service.name': 'agent-app', 'deployment.environment': 'test' });

function encode(spans: readonly ReadableSpan[], ended = true): Uint8Array {
  const encoder = new SpanProtobufEncoder();
  for (const span of spans) encoder.add(span, ended);
  return encoder.finish();
}

/** Every attribute kind the OTel API allows, with strings on both sides of every length guess the encoder makes. */
const EVERY_KIND: Attributes = {
  text: 'héllo wörld ✓ 😀',
  empty: '',
  ascii127: 'a'.repeat(127),
  ascii128: 'a'.repeat(128),
  // 100 characters, 200 bytes: the one-byte length guess is wrong and the bytes move.
  twoByte: 'é'.repeat(100),
  threeByte: '✓'.repeat(50),
  long: `${'the quick brown fox '.repeat(2000)}🦊`,
  int: 42,
  zero: 0,
  negative: -7,
  minSafe: Number.MIN_SAFE_INTEGER,
  maxSafe: Number.MAX_SAFE_INTEGER,
  above32: 2 ** 40 + 3,
  float: -0.5,
  negativeZero: -0,
  huge: 1e300,
  nan: Number.NaN,
  infinity: Number.POSITIVE_INFINITY,
  yes: true,
  no: false,
  strings: ['stop', 'length', ''],
  numbers: [1.5, 2, -3],
  booleans: [true, false],
  emptyArray: [],
  withNulls: ['a', null, undefined, 'b'],
};

describe('SpanProtobufEncoder', () => {
  it('encodes every span as readableSpanToRaw reads it, byte for byte what encodeProtobufTraceRequest writes, open and ended', () => {
    const { exporter, starts, tracer, provider } = setup();
    const other = provider.getTracer('scope-b');
    const parent = tracer.startSpan('invoke_agent', { attributes: { 'gen_ai.conversation.id': 's-1' } }, trace.setSpanContext(ROOT_CONTEXT, remoteParent));
    const child = tracer.startSpan(
      'chat gpt-4o ✓',
      {
        kind: SpanKind.CLIENT,
        attributes: EVERY_KIND,
        links: [{ context: remoteParent, attributes: { why: 'follows', n: 3 } }, { context: parent.spanContext() }],
        startTime: [1_764_979_200, 123_456_789],
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    child.addEvent('gen_ai.choice', { index: 0, 'gen_ai.message': 'hi' }, [1_764_979_200, 999_999_999]);
    child.addEvent('empty', undefined, [1_764_979_201, 0]);
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    child.end([1_764_979_201, 1]);
    const fromOtherTracer = other.startSpan('tool search', { startTime: [4_294_967_295, 999_999_999] });
    fromOtherTracer.end([4_294_967_295, 999_999_999]);
    const afterIt = tracer.startSpan('back to scope-a');
    afterIt.end();

    const ended = exporter.getFinishedSpans();
    const encoder = new SpanProtobufEncoder();
    encoder.add(starts.started[0], false);
    for (const span of ended) encoder.add(span, true);
    expect(encoder.size).toBe(4);
    const request = encoder.finish();
    expect(encoder.size).toBe(0);

    const expected = [readableSpanToRaw(starts.started[0], true), ...ended.map((span) => readableSpanToRaw(span))];
    expect(Buffer.from(request).equals(Buffer.from(encodeProtobufTraceRequest(expected)))).toBe(true);
    const decoded = decodeProtobufTraceRequest(request);
    expect(decoded.rejectedSpans).toBe(0);
    // An array's missing items are null, as readableSpanToRaw makes them.
    expect(expected[1].attributes.withNulls).toEqual(['a', null, null, 'b']);
    // -0 is a double on the wire and comes back -0; an integral number is an intValue.
    expect(Object.is(decoded.spans[1].attributes.negativeZero, -0)).toBe(true);
    expect(decoded.spans).toEqual(expected);

    const [open, chat, search, back] = decoded.spans;
    expect(open.endTimeUnixNano).toBeNull();
    expect(open.parentSpanId).toBe(remoteParent.spanId);
    expect(chat.startTimeUnixNano).toBe(1_764_979_200_123_456_789n);
    expect(chat.endTimeUnixNano).toBe(1_764_979_201_000_000_001n);
    expect(chat.events.map((e) => e.timeUnixNano)).toEqual([1_764_979_200_999_999_999n, 1_764_979_201_000_000_000n]);
    expect(chat.links[0].traceState).toBe('vendor=abc');
    expect(search.startTimeUnixNano).toBe(4_294_967_295_999_999_999n);
    expect([search.scope.name, back.scope.name]).toEqual(['scope-b', 'scope-a']);
  });

  it('writes exact nanoseconds for any whole time, as BigInt arithmetic gives them', () => {
    const { exporter, tracer } = setup();
    let seed = 7;
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * below);
    };
    const times: HrTime[] = [[0, 1], [1, 0], [4_294_967_295, 999_999_999], [2_147_483_648, 500_000_000]];
    for (let i = 0; i < 300; i++) times.push([random(2 ** 32), random(1e9)]);
    for (const time of times) tracer.startSpan('t', { startTime: time }).end(time);
    const decoded = decodeProtobufTraceRequest(encode(exporter.getFinishedSpans())).spans;
    expect(decoded.map((s) => s.startTimeUnixNano)).toEqual(times.map(([s, n]) => BigInt(s) * 1_000_000_000n + BigInt(n)));
    expect(decoded.map((s) => s.endTimeUnixNano)).toEqual(decoded.map((s) => s.startTimeUnixNano));
  });

  it('groups consecutive runs of resource and scope as encodeGrouped does, across two providers', () => {
    const a = setup();
    const b = captureSpans({ 'service.name': 'other-app' });
    const spans: ReadableSpan[] = [];
    for (const [i, tracer] of [a.tracer, a.tracer, b.tracer, a.provider.getTracer('scope-c'), a.tracer].entries()) {
      const span = tracer.startSpan(`s${i}`, { attributes: { i } });
      span.end();
    }
    spans.push(...a.exporter.getFinishedSpans(), ...b.exporter.getFinishedSpans());
    // In the order they ended, interleaved: a, a, (a: scope-c), a, then b.
    const ordered = [spans[0], spans[1], spans[4], spans[2], spans[3]];
    const request = encode(ordered);
    const raws = ordered.map((span) => readableSpanToRaw(span));
    expect(Buffer.from(request).equals(Buffer.from(encodeProtobufTraceRequest(raws)))).toBe(true);
    expect(decodeProtobufTraceRequest(request).spans).toEqual(raws);
  });

  it('writes a lone surrogate, which UTF-8 cannot hold, as U+FFFD, short or long', () => {
    const { exporter, tracer } = setup();
    tracer.startSpan('\ud83d', { attributes: { short: 'a\ud800b', long: `${'x'.repeat(60)}\udc00`, pair: '\ud83d\ude00' } }).end();
    const [raw] = decodeProtobufTraceRequest(encode(exporter.getFinishedSpans())).spans;
    expect(raw.name).toBe('\ufffd');
    expect(raw.attributes).toEqual({ short: 'a\ufffdb', long: `${'x'.repeat(60)}\ufffd`, pair: '😀' });
  });

  it('sends values forced past the API as an exporter would: bigint as int64, bytes, nested arrays and objects, anything else as its string', () => {
    const { exporter, tracer } = setup();
    const span = tracer.startSpan('odd');
    class Thing {
      toString(): string {
        return 'a thing';
      }
    }
    Object.assign((span as unknown as { attributes: Record<string, unknown> }).attributes, {
      small: 12n,
      big: 2n ** 62n,
      tooBig: 2n ** 70n,
      bytes: new Uint8Array([0, 1, 255]),
      nested: [['a'], [1, [true]]],
      object: { model: 'gpt-4o', usage: { input: 3 } },
      callback: function callback() {},
      thing: new Thing(),
    });
    span.end();
    const [raw] = decodeProtobufTraceRequest(encode(exporter.getFinishedSpans())).spans;
    expect(raw.attributes.small).toBe(12);
    expect(raw.attributes.big).toBe(2n ** 62n);
    expect(raw.attributes.tooBig).toBe(Number(2n ** 70n));
    expect(raw.attributes.bytes).toEqual(new Uint8Array([0, 1, 255]));
    expect(raw.attributes.nested).toEqual([['a'], [1, [true]]]);
    expect(raw.attributes.object).toEqual({ model: 'gpt-4o', usage: { input: 3 } });
    expect(raw.attributes.callback).toContain('function callback');
    expect(raw.attributes.thing).toBe('a thing');
  });

  it('sends an object that contains itself as a string past 32 levels instead of overflowing the stack', () => {
    const { exporter, tracer } = setup();
    const span = tracer.startSpan('cycle');
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    (span as unknown as { attributes: Record<string, unknown> }).attributes.cycle = cycle;
    span.end();
    const [raw] = decodeProtobufTraceRequest(encode(exporter.getFinishedSpans())).spans;
    let level = raw.attributes.cycle as Record<string, unknown>;
    let depth = 0;
    while (typeof level.self === 'object') {
      level = level.self as Record<string, unknown>;
      depth++;
    }
    expect(depth).toBe(31);
    expect(level.self).toBe('[object Object]');
  });

  it('leaves the batch as it was when a span cannot be encoded', () => {
    const { exporter, tracer } = setup();
    tracer.startSpan('good', { attributes: { a: 'x' } }).end();
    tracer.startSpan('half', { attributes: { a: 'y' } }).end();
    const [good, half] = exporter.getFinishedSpans();
    const noResource = { ...good, spanContext: () => good.spanContext(), resource: undefined } as unknown as ReadableSpan;
    // Fails halfway: after its ids and name are written, at its end time.
    const badTime = Object.assign(Object.create(Object.getPrototypeOf(half) as object) as object, half, { endTime: [1.5, 0] }) as ReadableSpan;
    const encoder = new SpanProtobufEncoder();
    expect(() => encoder.add(noResource, true)).toThrow();
    encoder.add(good, true);
    expect(() => encoder.add(badTime, true)).toThrow(RangeError);
    encoder.add(good, true);
    expect(encoder.size).toBe(2);
    const decoded = decodeProtobufTraceRequest(encoder.finish()).spans;
    expect(decoded).toEqual([readableSpanToRaw(good), readableSpanToRaw(good)]);
  });

  it('writes a value repeated span after span the same in every batch, after earlier batches\' buffers were transferred away', () => {
    const { exporter, tracer } = setup();
    for (let i = 0; i < 50; i++) tracer.startSpan(`s${i}`, { attributes: { 'gen_ai.conversation.id': 'same', n: 7, i } }).end();
    const encoder = new SpanProtobufEncoder();
    const requests: Uint8Array[] = [];
    for (const span of exporter.getFinishedSpans()) {
      encoder.add(span, true);
      if (encoder.size === 7) {
        const request = encoder.finish();
        // As the writer thread gets it: the buffer leaves this thread.
        requests.push(structuredClone(request, { transfer: [request.buffer as ArrayBuffer] }));
      }
    }
    requests.push(encoder.finish());
    const decoded = requests.flatMap((request) => decodeProtobufTraceRequest(request).spans);
    expect(decoded.map((s) => s.attributes)).toEqual(exporter.getFinishedSpans().map((span) => readableSpanToRaw(span).attributes));
  });

  it('writes a later batch in a buffer given back, and never again in one it handed out', () => {
    const { exporter, tracer } = setup();
    for (let i = 0; i < 3; i++) tracer.startSpan(`s${i}`).end();
    const [s0, s1, s2] = exporter.getFinishedSpans();
    const encoder = new SpanProtobufEncoder();
    encoder.add(s0, true);
    const first = encoder.finish();
    encoder.add(s1, true);
    const second = encoder.finish();
    expect(second.buffer).not.toBe(first.buffer);
    const givenBack = new ArrayBuffer(1 << 16);
    encoder.recycle(givenBack);
    encoder.add(s2, true);
    // The batch after the next: the one being written when the buffer came back keeps its own.
    const third = encoder.finish();
    encoder.add(s0, true);
    const fourth = encoder.finish();
    expect(fourth.buffer).toBe(givenBack);
    expect([first, second, third, fourth].map((r) => decodeProtobufTraceRequest(r).spans[0].name)).toEqual(['s0', 's1', 's2', 's0']);
  });

  it('encodes a resource whose attributes are still pending as an empty one, and the settled one after', async () => {
    // Not SimpleSpanProcessor: it holds a span back until its resource settles; SkeinSpanProcessor does not.
    const ended: ReadableSpan[] = [];
    const capture: SpanProcessor = { onStart: () => {}, onEnd: (span) => ended.push(span), forceFlush: async () => {}, shutdown: async () => {} };
    let settle: (value: string) => void = () => {};
    const host = new Promise<string>((resolve) => {
      settle = resolve;
    });
    const resource = resourceFromAttributes({ 'service.name': 'slow', 'host.name': host });
    const provider = new BasicTracerProvider({ resource, spanProcessors: [capture] });
    const tracer = provider.getTracer('t');
    const encoder = new SpanProtobufEncoder();
    tracer.startSpan('early').end();
    expect(ended[0].resource.asyncAttributesPending).toBe(true);
    encoder.add(ended[0], true);
    const [early] = decodeProtobufTraceRequest(encoder.finish()).spans;
    expect(early.resource.attributes).toEqual({});
    settle('box-1');
    await resource.waitForAsyncAttributes?.();
    tracer.startSpan('late').end();
    encoder.add(ended[1], true);
    const [late] = decodeProtobufTraceRequest(encoder.finish()).spans;
    expect(late.resource.attributes).toEqual({ 'service.name': 'slow', 'host.name': 'box-1' });
  });
});
