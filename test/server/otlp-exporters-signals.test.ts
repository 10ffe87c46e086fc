/**
 * The official OTel JS exporters as clients of Skein's receivers, every
 * signal on every transport: exporter-{trace,logs,metrics}-otlp-grpc against
 * the gRPC handlers, -proto (protobuf) and -http (JSON) against OTLP/HTTP.
 * Configured only through OTEL_EXPORTER_OTLP_* (endpoint, bearer token,
 * gzip), data recorded by the real SDKs, committed by the real pipeline
 * (writer thread, SQLite file), read back from the store field by field.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as HttpMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestPipeline } from '../../src/ingest/ingest-pipeline.js';
import type { IngestPipeline } from '../../src/ingest/ingest-pipeline.js';
import { resolveIngestSettings } from '../../src/ingest/ingest-settings.js';
import { createSkeinApp } from '../../src/server/app.js';
import { createOtlpExportHandlers } from '../../src/server/grpc/otlp-export-handlers.js';
import { startOtlpGrpcServer } from '../../src/server/grpc/otlp-grpc-server.js';
import type { RunningOtlpGrpcServer } from '../../src/server/grpc/otlp-grpc-server.js';
import { InflightBytes } from '../../src/server/inflight-bytes.js';
import { openWritableStore } from '../../src/store/sqlite/database-file.js';
import { SqliteOutbox } from '../../src/store/sqlite/sqlite-outbox.js';
import type { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { CollectingReader, SPAN_CONTEXT as SPAN, withOtelEnv } from '../helpers/sdk-senders.js';

const TOKEN = 'exporters-token';
const TRANSPORTS = ['grpc', 'proto', 'http'] as const;
type Transport = (typeof TRANSPORTS)[number];

let dir: string;
let store: SqliteTraceStore;
let pipeline: IngestPipeline;
let http: Server;
let grpc: RunningOtlpGrpcServer;
let httpPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skein-exporters-'));
  const dbPath = join(dir, 'skein.db');
  store = openWritableStore({ path: dbPath });
  pipeline = createIngestPipeline({ dbPath, store, outbox: new SqliteOutbox(store.database), settings: resolveIngestSettings({}) });
  const inflight = new InflightBytes();
  const { app } = createSkeinApp({ ingest: pipeline, token: TOKEN, inflight });
  http = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
  });
  httpPort = (http.address() as AddressInfo).port;
  grpc = await startOtlpGrpcServer({ port: 0, token: TOKEN, handlers: createOtlpExportHandlers({ ingest: pipeline, inflight }) });
});

afterAll(async () => {
  await grpc.close();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await pipeline.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Only the environment configures the exporters (as an agent's launch environment would). */
function configured<E>(transport: Transport, construct: () => E): E {
  return withOtelEnv(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${transport === 'grpc' ? grpc.port : httpPort}`,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${TOKEN}`,
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_TIMEOUT: '20000',
    },
    construct,
  );
}

interface Exporter<T> {
  export(items: T, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

async function exportWith<T>(exporter: Exporter<T>, items: T): Promise<ExportResult> {
  const result = await new Promise<ExportResult>((resolve) => exporter.export(items, resolve));
  await exporter.shutdown();
  return result;
}

function logRecords(transport: Transport): ReadableLogRecord[] {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.0.1' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('com.anthropic.claude_code.events', '2.0.1');
  logger.emit({
    eventName: 'claude_code.api_request',
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: `request via ${transport}`,
    attributes: { 'session.id': `s-${transport}`, cost_usd: 0.0123, input_tokens: 1200 },
    timestamp: [1_764_000_000, 123_456_789],
    context: trace.setSpanContext(ROOT_CONTEXT, SPAN),
  });
  logger.emit({ body: { role: 'assistant', content: 'done' }, severityNumber: SeverityNumber.WARN, attributes: { 'session.id': `s-${transport}` } });
  return exporter.getFinishedLogRecords();
}

async function resourceMetrics(transport: Transport): Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'codex' }), readers: [reader] });
  const meter = provider.getMeter('agent-meter', '1.0');
  meter.createCounter(`tokens.${transport}`, { unit: '{token}' }).add(42, { 'session.id': `m-${transport}`, type: 'input' });
  meter.createHistogram(`latency.${transport}`, { unit: 's', advice: { explicitBucketBoundaries: [0.5, 2] } }).record(1.5, { 'session.id': `m-${transport}` });
  return (await reader.collect()).resourceMetrics;
}

function spans(transport: Transport): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'agent' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const span = provider.getTracer('t').startSpan(`chat via ${transport}`, { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat', 'session.id': `t-${transport}` } });
  span.end();
  return exporter.getFinishedSpans();
}

describe.each(TRANSPORTS)('the official %s exporters, configured by OTEL_EXPORTER_OTLP_* only', (transport) => {
  it('log records arrive and are stored field by field', async () => {
    const exporter = configured(transport, () => (transport === 'grpc' ? new GrpcLogExporter() : transport === 'proto' ? new ProtoLogExporter() : new HttpLogExporter()));
    const result = await exportWith(exporter, logRecords(transport));
    expect([result.code, result.error?.message]).toEqual([ExportResultCode.SUCCESS, undefined]);
    const stored = (await store.listLogs({ sessionId: `s-${transport}` })).items;
    expect(stored).toHaveLength(2);
    const [event, plain] = stored;
    expect(event).toMatchObject({
      timeUnixNano: 1_764_000_000_123_456_789n,
      severityNumber: 9,
      severityText: 'INFO',
      body: `request via ${transport}`,
      attributes: { 'session.id': `s-${transport}`, cost_usd: 0.0123, input_tokens: 1200 },
      traceId: SPAN.traceId,
      spanId: SPAN.spanId,
      flags: 1,
      eventName: 'claude_code.api_request',
      sessionId: `s-${transport}`,
      scope: { name: 'com.anthropic.claude_code.events', version: '2.0.1' },
    });
    expect(event.resource.attributes).toMatchObject({ 'service.name': 'claude-code', 'service.version': '2.0.1' });
    expect(event.observedTimeUnixNano).toBeGreaterThan(0n);
    expect(plain).toMatchObject({ severityNumber: 13, body: { role: 'assistant', content: 'done' }, traceId: null, spanId: null, eventName: '' });
  });

  it('metrics arrive and are stored field by field', async () => {
    const exporter = configured(transport, () => (transport === 'grpc' ? new GrpcMetricExporter() : transport === 'proto' ? new ProtoMetricExporter() : new HttpMetricExporter()));
    const result = await exportWith(exporter, await resourceMetrics(transport));
    expect([result.code, result.error?.message]).toEqual([ExportResultCode.SUCCESS, undefined]);
    const [tokens] = (await store.listMetricPoints({ name: `tokens.${transport}` })).items;
    expect(tokens).toMatchObject({
      type: 'sum',
      unit: '{token}',
      temporality: 'delta',
      monotonic: true,
      value: 42,
      attributes: { 'session.id': `m-${transport}`, type: 'input' },
      sessionId: `m-${transport}`,
      scope: { name: 'agent-meter', version: '1.0' },
    });
    expect(tokens.resource.attributes['service.name']).toBe('codex');
    const [latency] = (await store.listMetricPoints({ name: `latency.${transport}` })).items;
    expect(latency).toMatchObject({ type: 'histogram', temporality: 'cumulative', count: 1n, sum: 1.5, min: 1.5, max: 1.5 });
    expect(latency.detail).toEqual({ bucketCounts: [0n, 1n, 0n], explicitBounds: [0.5, 2] });
  });

  it('spans arrive and are stored', async () => {
    const exporter = configured(transport, () => (transport === 'grpc' ? new GrpcTraceExporter() : transport === 'proto' ? new ProtoTraceExporter() : new HttpTraceExporter()));
    const sent = spans(transport);
    const result = await exportWith(exporter, sent);
    expect([result.code, result.error?.message]).toEqual([ExportResultCode.SUCCESS, undefined]);
    const stored = (await store.getSpans({ limit: 100 })).items.filter((s) => s.name === `chat via ${transport}`);
    expect(stored.map((s) => [s.spanId, s.traceId, s.sessionId])).toEqual([[sent[0].spanContext().spanId, sent[0].spanContext().traceId, `t-${transport}`]]);
  });
});
