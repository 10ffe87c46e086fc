/**
 * The processor's writer-thread path end to end: SDK spans flattened on the
 * app thread, posted to the writer thread, read back there and stored,
 * against the same spans written on the app thread directly.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import { SkeinSpanProcessor } from '../../src/processor/skein-span-processor.js';
import type { StoredSpan } from '../../src/model/types.js';
import { openStore, removeTempDirs, tempDbPath } from './helpers.js';
import { remoteParent } from './span-capture.js';

afterEach(() => {
  setGlobalErrorHandler(loggingErrorHandler());
  removeTempDirs();
});

const EVERY_KIND: Attributes = {
  'gen_ai.conversation.id': 'bytes-1',
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.usage.input_tokens': 1200,
  'gen_ai.usage.output_tokens': 300,
  'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `héllo ✓ 😀 ${'x'.repeat(300)}` }] }]),
  text: 'é'.repeat(100),
  empty: '',
  int: 42,
  negative: -7,
  maxSafe: Number.MAX_SAFE_INTEGER,
  float: 0.25,
  negativeZero: -0,
  nan: Number.NaN,
  yes: true,
  no: false,
  strings: ['stop', 'length'],
  numbers: [1.5, 2, -3],
  booleans: [true, false],
  withNulls: ['a', null, undefined, 'b'],
};

async function storedSpans(dbPath: string): Promise<StoredSpan[]> {
  const store = openStore(dbPath);
  try {
    return (await store.getSpans({ sessionId: 'bytes-1', limit: 100 })).items.sort((a, b) => a.name.localeCompare(b.name));
  } finally {
    await store.close();
  }
}

describe('SkeinSpanProcessor with dbPath: spans through the writer thread', () => {
  it('stores every attribute kind, events, links, status and exact nanoseconds as the app-thread path stores them', async () => {
    const overThread = tempDbPath();
    const inThread = tempDbPath();
    const inThreadStore = openStore(inThread);
    const processors = [
      new SkeinSpanProcessor({ dbPath: overThread, flushIntervalMillis: 60_000 }),
      new SkeinSpanProcessor({ store: inThreadStore, flushIntervalMillis: 60_000 }),
    ];
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'byte-path', 'service.version': '1.2.3' }),
      spanProcessors: processors,
    });
    const tracer = provider.getTracer('byte-path-test', '0.1.0');
    const root = tracer.startSpan('invoke_agent', { attributes: { 'gen_ai.conversation.id': 'bytes-1' }, startTime: [1_764_979_200, 1] }, trace.setSpanContext(ROOT_CONTEXT, remoteParent));
    const chat = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        attributes: EVERY_KIND,
        links: [{ context: remoteParent, attributes: { why: 'follows' } }],
        startTime: [1_764_979_200, 123_456_789],
      },
      trace.setSpan(ROOT_CONTEXT, root),
    );
    chat.addEvent('gen_ai.choice', { index: 0, message: 'hi' }, [1_764_979_200, 999_999_999]);
    chat.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    chat.end([1_764_979_201, 7]);
    const open = tracer.startSpan('still open', { attributes: { 'gen_ai.conversation.id': 'bytes-1' }, startTime: [1_764_979_201, 500] }, trace.setSpan(ROOT_CONTEXT, root));
    await provider.forceFlush();

    const viaBytes = await storedSpans(overThread);
    const direct = await storedSpans(inThread);
    expect(viaBytes.map((s) => s.name)).toEqual(['chat gpt-4o', 'invoke_agent', 'still open']);
    expect(viaBytes).toEqual(direct);
    const stored = viaBytes[0];
    expect(stored.startTimeUnixNano).toBe(1_764_979_200_123_456_789n);
    expect(stored.endTimeUnixNano).toBe(1_764_979_201_000_000_007n);
    expect(stored.raw.events[0].timeUnixNano).toBe(1_764_979_200_999_999_999n);
    expect(stored.raw.links[0]).toMatchObject({ spanId: remoteParent.spanId, traceState: 'vendor=abc', attributes: { why: 'follows' } });
    expect(stored.raw.attributes.withNulls).toEqual(['a', null, null, 'b']);
    expect(stored.raw.attributes.text).toBe('é'.repeat(100));
    expect(viaBytes[2].endTimeUnixNano).toBeNull();

    open.end();
    root.end();
    await provider.shutdown();
    await inThreadStore.close();
    expect((await storedSpans(overThread)).map((s) => s.endTimeUnixNano === null)).toEqual([false, false, false]);
  });
});
