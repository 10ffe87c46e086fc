/**
 * The official OTel JS SDK as the sender: log records and metrics recorded
 * through the real SDKs, serialized by the exporters' own serializers
 * (@opentelemetry/otlp-transformer, what exporter-logs/metrics-otlp-* send),
 * read back by Skein's decoders, in both encodings.
 */
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ROOT_CONTEXT, ValueType, trace } from '@opentelemetry/api';
// Not direct dependencies: they come with the OTLP exporters, and are what they send.
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { type OtlpFormat, decodeLogsRequest, decodeMetricsRequest } from '../../src/otlp/index.js';
import { CollectingReader, SPAN_CONTEXT as SPAN } from '../helpers/sdk-senders.js';

const resource = resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.0.1' });

function emitLogs() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('com.anthropic.claude_code.events', '2.0.1');
  logger.emit({
    eventName: 'claude_code.api_request',
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: 'claude_code.api_request',
    attributes: { 'session.id': 's-1', cost_usd: 0.0123, input_tokens: 1200, 'prompt.parts': ['a', 'b'] },
    timestamp: [1_764_000_000, 123_456_789],
    context: trace.setSpanContext(ROOT_CONTEXT, SPAN),
  });
  logger.emit({ body: { role: 'assistant', content: [{ type: 'text', n: 2 }], ok: true }, severityNumber: SeverityNumber.WARN2 });
  return exporter.getFinishedLogRecords();
}

async function recordMetrics(): Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({
    resource,
    readers: [reader],
    views: [{ instrumentName: 'latency.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('agent-meter', '1.0');
  meter.createCounter('claude_code.cost.usage', { unit: 'USD' }).add(0.25, { model: 'opus' });
  meter.createUpDownCounter('active.sessions', { valueType: ValueType.INT }).add(3);
  meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.5, 2] } }).record(1.5);
  const exp = meter.createHistogram('latency.exp');
  // The JS SDK drops negative histogram values, so its negative buckets stay empty (metrics-decode.test.ts covers them).
  for (const v of [0, 2, 8, 3]) exp.record(v);
  meter.createObservableGauge('queue.depth').addCallback((result) => result.observe(7.5));
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics;
}

describe.each<OtlpFormat>(['protobuf', 'json'])('the OTel JS SDK as sender, %s', (format) => {
  it('log records come back field by field', () => {
    const serializer = format === 'protobuf' ? ProtobufLogsSerializer : JsonLogsSerializer;
    const body = serializer.serializeRequest(emitLogs())!;
    const { records, rejectedRecords } = decodeLogsRequest(body, format);
    expect(rejectedRecords).toBe(0);
    expect(records).toHaveLength(2);
    const [event, plain] = records;
    expect(event).toMatchObject({
      timeUnixNano: 1_764_000_000_123_456_789n,
      severityNumber: 9,
      severityText: 'INFO',
      body: 'claude_code.api_request',
      attributes: { 'session.id': 's-1', cost_usd: 0.0123, input_tokens: 1200, 'prompt.parts': ['a', 'b'] },
      droppedAttributesCount: 0,
      flags: 1,
      traceId: SPAN.traceId,
      spanId: SPAN.spanId,
      eventName: 'claude_code.api_request',
      scope: { name: 'com.anthropic.claude_code.events', version: '2.0.1' },
    });
    expect(event.resource.attributes).toMatchObject({ 'service.name': 'claude-code', 'service.version': '2.0.1' });
    expect(event.observedTimeUnixNano).toBeGreaterThan(0n);
    expect(plain).toMatchObject({
      severityNumber: 14,
      body: { role: 'assistant', content: [{ type: 'text', n: 2 }], ok: true },
      traceId: null,
      spanId: null,
      eventName: '',
    });
  });

  it('metrics of every kind the SDK makes come back field by field', async () => {
    const serializer = format === 'protobuf' ? ProtobufMetricsSerializer : JsonMetricsSerializer;
    const body = serializer.serializeRequest(await recordMetrics())!;
    const decoded = decodeMetricsRequest(body, format);
    expect(decoded.rejectedDataPoints).toBe(0);
    const byName = new Map(decoded.metrics.map((m) => [m.name, m]));
    expect(byName.get('claude_code.cost.usage')).toMatchObject({
      type: 'sum',
      unit: 'USD',
      temporality: 'delta',
      monotonic: true,
      points: [{ attributes: { model: 'opus' }, value: 0.25 }],
      scope: { name: 'agent-meter', version: '1.0' },
    });
    expect(byName.get('active.sessions')).toMatchObject({ type: 'sum', temporality: 'cumulative', monotonic: false, points: [{ value: 3n }] });
    expect(byName.get('gen_ai.client.operation.duration')).toMatchObject({
      type: 'histogram',
      temporality: 'cumulative',
      points: [{ count: 1n, sum: 1.5, min: 1.5, max: 1.5, bucketCounts: [0n, 1n, 0n], explicitBounds: [0.5, 2] }],
    });
    const exp = byName.get('latency.exp');
    expect(exp).toMatchObject({ type: 'exponentialHistogram', temporality: 'cumulative', points: [{ count: 4n, zeroCount: 1n, sum: 13, min: 0, max: 8 }] });
    if (exp?.type !== 'exponentialHistogram') throw new Error('not an exponential histogram');
    const [point] = exp.points;
    expect(point.negative.bucketCounts.reduce((a, b) => a + b, 0n)).toBe(0n);
    expect(point.positive.bucketCounts.reduce((a, b) => a + b, 0n)).toBe(3n);
    expect(point.scale).toBeGreaterThan(0);
    expect(byName.get('queue.depth')).toMatchObject({ type: 'gauge', points: [{ value: 7.5 }] });
    for (const metric of decoded.metrics) {
      for (const p of metric.points) expect(p.timeUnixNano).toBeGreaterThan(0n);
    }
  });
});
