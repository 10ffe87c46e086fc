import { describe, expect, it } from 'vitest';
import { captureSpans, remoteParent } from './span-capture.js';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { hrTimeToUnixNano, readableSpanToRaw } from '../../src/processor/readable-span-to-raw.js';

const setup = () => captureSpans({ 'service.name': 'agent-app', 'deployment.environment': 'test' });


describe('hrTimeToUnixNano', () => {
  it('is exact past 2^53', () => {
    expect(hrTimeToUnixNano([1_700_000_000, 123_456_789])).toBe(1_700_000_000_123_456_789n);
    expect(hrTimeToUnixNano([1_700_000_000, 1])).toBe(1_700_000_000_000_000_001n);
    expect(hrTimeToUnixNano([0, 0])).toBe(0n);
  });
});

describe('readableSpanToRaw', () => {
  it('maps every field of an ended SDK span', () => {
    const { exporter, tracer } = setup();
    const parentCtx = trace.setSpanContext(ROOT_CONTEXT, remoteParent);
    const link: SpanContext = { traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), traceFlags: 0, isRemote: true };
    const span = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        startTime: [1_700_000_000, 500_000_001],
        attributes: { 'gen_ai.request.model': 'gpt-4o', n: 3, ok: true, tags: ['a', 'b'], maybe: [null, 'x'] as string[] },
        links: [{ context: link, attributes: { why: 'retry' } }],
      },
      parentCtx,
    );
    span.addEvent('exception', { 'exception.message': 'boom' }, [1_700_000_001, 7]);
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
    span.end([1_700_000_002, 999_999_999]);

    const raw = readableSpanToRaw(exporter.getFinishedSpans()[0] as ReadableSpan);
    expect(raw.traceId).toBe(remoteParent.traceId);
    expect(raw.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(raw.parentSpanId).toBe(remoteParent.spanId);
    expect(raw.traceState).toBe('vendor=abc');
    // sampled | has-is-remote | is-remote
    expect(raw.flags).toBe(0x1 | 0x100 | 0x200);
    expect(raw.name).toBe('chat gpt-4o');
    expect(raw.kind).toBe(3);
    expect(raw.startTimeUnixNano).toBe(1_700_000_000_500_000_001n);
    expect(raw.endTimeUnixNano).toBe(1_700_000_002_999_999_999n);
    expect(raw.attributes).toEqual({ 'gen_ai.request.model': 'gpt-4o', n: 3, ok: true, tags: ['a', 'b'], maybe: [null, 'x'] });
    expect(raw.events).toEqual([
      { name: 'exception', timeUnixNano: 1_700_000_001_000_000_007n, attributes: { 'exception.message': 'boom' }, droppedAttributesCount: 0 },
    ]);
    expect(raw.links).toEqual([
      { traceId: link.traceId, spanId: link.spanId, traceState: '', attributes: { why: 'retry' }, droppedAttributesCount: 0, flags: 0x300 },
    ]);
    expect(raw.statusCode).toBe(2);
    expect(raw.statusMessage).toBe('failed');
    expect(raw.resource.attributes).toMatchObject({ 'service.name': 'agent-app', 'deployment.environment': 'test' });
    expect(raw.scope).toEqual({ name: 'scope-a', version: '2.1.0', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' });
    expect(raw.droppedAttributesCount).toBe(0);
    expect(raw.droppedEventsCount).toBe(0);
    expect(raw.droppedLinksCount).toBe(0);
  });

  it('takes an open snapshot at start that later changes to the live span do not reach', () => {
    const { starts, tracer } = setup();
    const span = tracer.startSpan('step', { attributes: { phase: 'start', list: ['a'] } });
    const raw = readableSpanToRaw(starts.started[0], true);
    span.setAttribute('phase', 'end');
    span.setAttribute('extra', 1);
    span.end();

    expect(raw.endTimeUnixNano).toBeNull();
    expect(raw.parentSpanId).toBeNull();
    expect(raw.kind).toBe(1);
    expect(raw.statusCode).toBe(0);
    expect(raw.flags).toBe(0x1 | 0x100);
    expect(raw.attributes).toEqual({ phase: 'start', list: ['a'] });
  });
});
