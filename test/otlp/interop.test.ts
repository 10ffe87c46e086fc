import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import type { HrTime } from '@opentelemetry/api';
// Not a direct dependency: it comes with the OTLP exporters, and is what they send.
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AttributeValue, Attributes, RawSpan } from '../../src/model/types.js';
import { decodeTraceRequest, type OtlpFormat } from '../../src/otlp/index.js';

const REMOTE_PARENT = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: new TraceState('vendor=opaque,congo=t61rcWkgMzE'),
};

async function recordSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'interop', 'service.instance.id': 'i-1', 'process.pid': 4242 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('interop-scope', '1.2.3');
  const linked = tracer.startSpan('linked');
  linked.end();
  const remoteContext = trace.setSpanContext(ROOT_CONTEXT, REMOTE_PARENT);
  const agent = tracer.startSpan('invoke_agent', { kind: SpanKind.SERVER }, remoteContext);
  const agentContext = trace.setSpan(remoteContext, agent);
  const llm = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.request.temperature': 0.25,
        'gen_ai.request.stream': false,
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        'token.ids': [1, 2, 3],
        'flags.list': [true, false],
      },
      links: [{ context: linked.spanContext(), attributes: { 'link.kind': 'retry-of' } }],
    },
    agentContext,
  );
  llm.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'hello' }, [1_760_000_000, 123_456_789]);
  llm.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  llm.end();
  agent.setStatus({ code: SpanStatusCode.OK });
  agent.end();
  await provider.forceFlush();
  return exporter.getFinishedSpans();
}

/** HrTime → exact nanoseconds (core's hrTimeToNanoseconds returns a lossy number). */
function nanos(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

function attributes(source: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(source)) out[key] = value as AttributeValue;
  return out;
}

/** What a ReadableSpan should decode to, read from the SDK's own fields and the OTLP rules. */
function expectedRawSpan(span: ReadableSpan): RawSpan {
  const context = span.spanContext();
  const parent = span.parentSpanContext;
  // OTLP span flags: W3C flags, bit 8 "remote-ness known", bit 9 "parent is remote".
  const flags = (context.traceFlags & 0xff) | 0x100 | (parent?.isRemote ? 0x200 : 0);
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: parent?.spanId ?? null,
    traceState: context.traceState?.serialize() ?? '',
    flags,
    name: span.name,
    kind: (span.kind + 1) as RawSpan['kind'],
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: attributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({
      name: event.name,
      timeUnixNano: nanos(event.time),
      attributes: attributes(event.attributes ?? {}),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      traceState: link.context.traceState?.serialize() ?? '',
      attributes: attributes(link.attributes ?? {}),
      droppedAttributesCount: link.droppedAttributesCount ?? 0,
      flags: (link.context.traceFlags & 0xff) | 0x100 | (link.context.isRemote ? 0x200 : 0),
    })),
    droppedLinksCount: span.droppedLinksCount,
    statusCode: span.status.code as RawSpan['statusCode'],
    statusMessage: span.status.message ?? '',
    resource: { attributes: attributes(span.resource.attributes), droppedAttributesCount: 0, schemaUrl: span.resource.schemaUrl ?? '' },
    scope: {
      name: span.instrumentationScope.name,
      version: span.instrumentationScope.version ?? '',
      attributes: {},
      droppedAttributesCount: 0,
      schemaUrl: span.instrumentationScope.schemaUrl ?? '',
    },
  };
}

describe('bytes from the official @opentelemetry/otlp-transformer serializers', () => {
  let spans: ReadableSpan[];
  beforeAll(async () => {
    spans = await recordSpans();
  });

  it.each<[OtlpFormat, (s: ReadableSpan[]) => Uint8Array | undefined]>([
    ['protobuf', (s) => ProtobufTraceSerializer.serializeRequest(s)],
    ['json', (s) => JsonTraceSerializer.serializeRequest(s)],
  ])('%s decodes to the spans the SDK recorded', (format, serialize) => {
    const body = serialize(spans);
    expect(body).toBeInstanceOf(Uint8Array);
    const decoded = decodeTraceRequest(body!, format);
    expect(decoded.rejectedSpans).toBe(0);
    const byId = (a: RawSpan, b: RawSpan): number => a.spanId.localeCompare(b.spanId);
    expect([...decoded.spans].sort(byId)).toEqual(spans.map(expectedRawSpan).sort(byId));
  });

  it('the SDK-recorded details survive: remote parent, trace state, link, event time, flags', () => {
    const decoded = decodeTraceRequest(ProtobufTraceSerializer.serializeRequest(spans)!, 'protobuf').spans;
    const agent = decoded.find((s) => s.name === 'invoke_agent')!;
    expect(agent.parentSpanId).toBe(REMOTE_PARENT.spanId);
    expect(agent.traceId).toBe(REMOTE_PARENT.traceId);
    expect(agent.traceState).toBe('vendor=opaque,congo=t61rcWkgMzE');
    expect(agent.flags).toBe(0x301);
    const llm = decoded.find((s) => s.name === 'chat gpt-4o-mini')!;
    expect(llm.flags).toBe(0x101);
    expect(llm.events[0].timeUnixNano).toBe(1_760_000_000_123_456_789n);
    expect(llm.attributes['gen_ai.request.temperature']).toBe(0.25);
    expect(llm.links[0].attributes).toEqual({ 'link.kind': 'retry-of' });
  });

  it('protobuf and JSON from the same spans decode identically', () => {
    const fromProtobuf = decodeTraceRequest(ProtobufTraceSerializer.serializeRequest(spans)!, 'protobuf');
    const fromJson = decodeTraceRequest(JsonTraceSerializer.serializeRequest(spans)!, 'json');
    expect(fromJson).toEqual(fromProtobuf);
  });
});
