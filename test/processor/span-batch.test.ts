import { describe, expect, it } from 'vitest';
import { captureSpans, remoteParent } from './span-capture.js';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { decodeSpanBatch } from '../../src/ingest/span-batch-decoder.js';
import { withPlainValues } from '../../src/processor/plain-values.js';
import { SpanBatchEncoder } from '../../src/processor/span-batch-encoder.js';
import type { EncodedBatch } from '../../src/processor/span-batch-encoder.js';
import { readableSpanToRaw } from '../../src/processor/readable-span-to-raw.js';
import { INTS_PER_SPAN } from '../../src/ingest/encoded-batch.js';

const setup = () => captureSpans({ 'service.name': 'agent-app' });


/** Through postMessage's structured clone, as the writer thread gets it. */
function acrossThreads(batch: EncodedBatch): EncodedBatch {
  return structuredClone(batch);
}

describe('SpanBatchEncoder / decodeSpanBatch', () => {
  it('decodes every span of a batch exactly as readableSpanToRaw converts it, open and ended', () => {
    const { exporter, starts, tracer, provider } = setup();
    const other = provider.getTracer('scope-b');
    const parent = tracer.startSpan('invoke_agent', { attributes: { 'gen_ai.conversation.id': 's-1' } }, trace.setSpanContext(ROOT_CONTEXT, remoteParent));
    const child = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          text: 'héllo wörld ✓ 😀',
          empty: '',
          int: 42,
          float: -0.5,
          nan: Number.NaN,
          yes: true,
          no: false,
          strings: ['stop', 'length'],
          numbers: [1.5, 2, 3],
        },
        links: [{ context: remoteParent, attributes: { why: 'follows' } }],
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    // Past the SDK's checks, as an instrumentation writing the object directly would.
    Object.assign((child as unknown as { attributes: Attributes }).attributes, { mixed: ['a', 1, true, null, undefined] });
    child.addEvent('gen_ai.choice', { index: 0, 'gen_ai.message': 'hi' });
    child.addEvent('empty');
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    child.end();
    const fromOtherTracer = other.startSpan('tool search');
    fromOtherTracer.end();

    const ended = exporter.getFinishedSpans();
    const encoder = new SpanBatchEncoder();
    encoder.add(parent as unknown as ReadableSpan, false);
    for (const span of ended) encoder.add(span, true);
    expect(encoder.size).toBe(3);
    const decoded = decodeSpanBatch(acrossThreads(encoder.finish()));

    const expected = [readableSpanToRaw(starts.started[0], true), ...ended.map((span) => readableSpanToRaw(span))];
    expect(decoded).toEqual(expected);
    expect(decoded[1].attributes.mixed).toEqual(['a', 1, true, null, null]);
    expect(decoded[0].endTimeUnixNano).toBeNull();
    expect(decoded[0].parentSpanId).toBe(remoteParent.spanId);
    expect(decoded[2].scope.name).toBe('scope-b');
    // finish() starts an empty batch.
    expect(encoder.size).toBe(0);
    expect(decodeSpanBatch(acrossThreads(encoder.finish()))).toEqual([]);
  });

  it('carries values the flat form cannot (bigint, nested arrays, bytes) through the values side list', () => {
    const { exporter, tracer } = setup();
    const span = tracer.startSpan('odd');
    const attributes = span as unknown as { attributes: Attributes };
    Object.assign(attributes.attributes, { big: 12n, nested: [['a'], ['b']], bytes: new Uint8Array([1, 2]) });
    span.end();
    const encoder = new SpanBatchEncoder();
    encoder.add(exporter.getFinishedSpans()[0], true);
    const [raw] = decodeSpanBatch(acrossThreads(encoder.finish()));
    expect(raw.attributes.big).toBe(12n);
    expect(raw.attributes.nested).toEqual([['a'], ['b']]);
    expect(raw.attributes.bytes).toEqual(new Uint8Array([1, 2]));
  });

  it('turns values structured clone refuses into strings with withPlainValues', () => {
    const { exporter, tracer } = setup();
    const span = tracer.startSpan('fn');
    Object.assign((span as unknown as { attributes: Attributes }).attributes, { callback: [() => 1] });
    span.end();
    const encoder = new SpanBatchEncoder();
    encoder.add(exporter.getFinishedSpans()[0], true);
    const batch = encoder.finish();
    expect(() => structuredClone(batch)).toThrow();
    const [raw] = decodeSpanBatch(acrossThreads(withPlainValues(batch)));
    expect(raw.attributes.callback).toEqual(['() => 1']);
  });

  it('refuses a batch that does not decode to its end instead of misreading it', () => {
    const { exporter, tracer } = setup();
    tracer.startSpan('one', { attributes: { a: 'x' } }).end();
    const encoder = new SpanBatchEncoder();
    encoder.add(exporter.getFinishedSpans()[0], true);
    const batch = encoder.finish();
    expect(() => decodeSpanBatch({ ...batch, strings: [...batch.strings, 'extra'] })).toThrow(/did not decode to its end/);
    expect(() => decodeSpanBatch({ ...batch, spans: 2 })).toThrow(/ends early/);
  });

  it('sends a short string repeated by consecutive spans once, and decodes each span whole', () => {
    const { exporter, tracer } = setup();
    const root = tracer.startSpan('invoke_agent');
    const parent = trace.setSpan(ROOT_CONTEXT, root);
    const long = 'x'.repeat(65);
    for (let n = 0; n < 3; n++) {
      tracer
        .startSpan('chat', { attributes: { 'gen_ai.request.model': 'gpt-4o', session: 's-1', id: `call-${n}`, reasons: ['stop'], text: long } }, parent)
        .end();
    }
    // A different value in the same slot is sent, and the slot then holds it.
    tracer.startSpan('chat', { attributes: { 'gen_ai.request.model': 'gpt-4o-mini', session: 's-1' } }, parent).end();
    root.end();
    const ended = exporter.getFinishedSpans();
    const encoder = new SpanBatchEncoder();
    for (const span of ended) encoder.add(span, true);
    const batch = encoder.finish();
    const count = (value: string) => batch.strings.filter((s) => s === value).length;
    expect(count(root.spanContext().traceId)).toBe(1);
    expect(count(root.spanContext().spanId)).toBe(2); // the root's own id, and once as the parent of the four
    expect(count('gpt-4o')).toBe(1);
    expect(count('gpt-4o-mini')).toBe(1);
    expect(count('s-1')).toBe(1);
    expect(count('stop')).toBe(1);
    expect(count('chat')).toBe(1);
    expect(count('call-2')).toBe(1);
    expect(count(long)).toBe(3); // past 64 characters: not compared, always sent
    expect(decodeSpanBatch(acrossThreads(batch))).toEqual(ended.map((span) => readableSpanToRaw(span)));
  });

  it('forgets the strings of a span that failed half-way, so the next span does not name them', () => {
    const { exporter, tracer } = setup();
    tracer.startSpan('first', { attributes: { model: 'm-1' } }).end();
    // Another trace: its trace id and model are new strings when the span fails.
    tracer.startSpan('second', { attributes: { model: 'm-2' } }).end();
    tracer.startSpan('second', { attributes: { model: 'm-2' } }).end();
    const [first, second, again] = exporter.getFinishedSpans();
    const failing = { ...second, spanContext: () => second.spanContext(), attributes: { ...second.attributes } } as unknown as ReadableSpan;
    Object.defineProperty(failing.attributes, 'late', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    });
    // The same trace as the failed span, so its strings repeat the ones dropped.
    const sameTrace = { ...again, spanContext: () => ({ ...again.spanContext(), traceId: second.spanContext().traceId }) } as unknown as ReadableSpan;
    const encoder = new SpanBatchEncoder();
    encoder.add(first, true);
    expect(() => encoder.add(failing, true)).toThrow('getter');
    encoder.add(sameTrace, true);
    const decoded = decodeSpanBatch(acrossThreads(encoder.finish()));
    const withoutFailure = new SpanBatchEncoder();
    withoutFailure.add(first, true);
    withoutFailure.add(sameTrace, true);
    expect(decoded).toEqual(decodeSpanBatch(acrossThreads(withoutFailure.finish())));
    expect(decoded[0]).toEqual(readableSpanToRaw(first));
    expect(decoded[1].traceId).toBe(second.spanContext().traceId);
    expect(decoded[1].attributes.model).toBe('m-2');
  });

  it('refuses a string index that skips ahead of the strings read so far', () => {
    const { exporter, tracer } = setup();
    tracer.startSpan('one').end();
    const encoder = new SpanBatchEncoder();
    encoder.add(exporter.getFinishedSpans()[0], true);
    const batch = encoder.finish();
    const ints = batch.ints.slice();
    // The first string after the span's fixed ints is its trace id, string 0.
    ints[INTS_PER_SPAN] = 1;
    expect(() => decodeSpanBatch({ ...batch, ints })).toThrow(/names string 1 before string 0/);
  });

  it('leaves the batch as it was when a span cannot be encoded', () => {
    const { exporter, tracer } = setup();
    tracer.startSpan('good', { attributes: { a: 'x' } }).end();
    const good = exporter.getFinishedSpans()[0];
    const broken = { ...good, spanContext: () => good.spanContext(), resource: undefined } as unknown as ReadableSpan;
    const encoder = new SpanBatchEncoder();
    encoder.add(good, true);
    expect(() => encoder.add(broken, true)).toThrow();
    encoder.add(good, true);
    const decoded = decodeSpanBatch(encoder.finish());
    expect(decoded).toHaveLength(2);
    expect(decoded[1]).toEqual(readableSpanToRaw(good));
  });
});
