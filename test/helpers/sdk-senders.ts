/**
 * Telemetry recorded through the real OTel JS SDKs (traces, logs, metrics)
 * and handed to a given exporter, for the interop tests against `skein
 * serve` and the receivers; each resolves once its exporter has sent
 * everything. Plus `CollectingReader` for metrics recorded in memory, `withOtelEnv` to configure an exporter through
 * OTEL_EXPORTER_OTLP_* alone, and an HTTP pass-through that records how each
 * request was encoded.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, ValueType, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InstrumentType, MeterProvider, MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export const SPAN_CONTEXT = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };

/** A root span and a child model call (attributes of every type, an event, an error status); resolves with the trace id. */
export async function sendTraces(exporter: SpanExporter, id: string): Promise<string> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': id, 'service.version': '1.2.3' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('interop-tracer', '0.9.0');
  const root = tracer.startSpan('invoke_agent planner', {
    startTime: [1_764_000_000, 100],
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner', 'gen_ai.conversation.id': id },
  });
  const chat = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: [1_764_000_000, 200_000_001],
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.request.temperature': 0.25,
        'gen_ai.response.finish_reasons': ['stop'],
        'test.bool': true,
      },
    },
    trace.setSpan(context.active(), root),
  );
  chat.addEvent('retry', { attempt: 2 }, [1_764_000_000, 300_000_000]);
  chat.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  chat.end([1_764_000_001, 5]);
  root.end([1_764_000_002, 0]);
  await provider.forceFlush();
  await provider.shutdown();
  return root.spanContext().traceId;
}

/** An event with a string body tied to SPAN_CONTEXT, and one with a map body and no span. */
export async function sendLogs(exporter: LogRecordExporter, id: string): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': id }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('interop-logger', '3.1.0');
  logger.emit({
    eventName: 'gen_ai.user.message',
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: 'plan a trip to Lisbon',
    attributes: { 'session.id': id, 'gen_ai.system': 'openai', turn: 3, ratio: 0.5, ok: true, parts: ['a', 'b'] },
    timestamp: [1_764_000_000, 123_456_789],
    context: trace.setSpanContext(ROOT_CONTEXT, SPAN_CONTEXT),
  });
  logger.emit({
    eventName: 'gen_ai.choice',
    severityNumber: SeverityNumber.WARN2,
    body: { role: 'assistant', content: [{ type: 'text', text: 'done' }], tokens: 12, final: true },
    attributes: { 'session.id': id },
    timestamp: [1_764_000_001, 0],
  });
  await provider.forceFlush();
  await provider.shutdown();
}

/** A counter (two adds), an int up-down counter, a gauge and a histogram, every point with `session.id: id`; exported once. */
export async function sendMetrics(exporter: PushMetricExporter, id: string): Promise<void> {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': id }), readers: [reader] });
  const meter = provider.getMeter('interop-meter', '4.0.0');
  const attributes = { 'session.id': id, 'gen_ai.token.type': 'input' };
  const cost = meter.createCounter('agent.cost', { unit: 'USD', description: 'money spent' });
  cost.add(0.25, attributes);
  cost.add(0.5, attributes);
  meter.createUpDownCounter('agent.active', { valueType: ValueType.INT }).add(3, attributes);
  meter.createGauge('agent.queue.depth').record(7.5, attributes);
  const latency = meter.createHistogram('agent.latency', { unit: 's', advice: { explicitBucketBoundaries: [1, 10] } });
  for (const v of [0.5, 5, 50]) latency.record(v, attributes);
  // One export: shutdown() collects and exports once more (cumulative points again) after any forceFlush().
  await provider.shutdown();
}

/**
 * Runs `construct` with exactly these `OTEL_*` variables in process.env (every
 * other `OTEL_*` removed) and puts the environment back afterwards: the
 * exporters read their configuration when constructed.
 */
export function withOtelEnv<T>(vars: Record<string, string>, construct: () => T): T {
  const saved = Object.entries(process.env).filter(([key]) => key.startsWith('OTEL_'));
  for (const [key] of saved) delete process.env[key];
  try {
    Object.assign(process.env, vars);
    return construct();
  } finally {
    for (const key of Object.keys(vars)) delete process.env[key];
    for (const [key, value] of saved) process.env[key] = value;
  }
}

/** A reader whose `collect()` hands back what the SDK recorded, to give an exporter or serializer by hand: counters delta, the rest cumulative. */
export class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: (kind) => (kind === InstrumentType.COUNTER ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE) });
  }
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

export interface SeenRequest {
  path: string | undefined;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  authorization: string | undefined;
}

/** An HTTP pass-through to `target` that records each request's path and encoding headers. */
export async function recordingHttpProxy(target: string): Promise<{ url: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const relayed = ['content-type', 'content-encoding', 'authorization'] as const;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
      seen.push({ path: req.url, contentType: header('content-type'), contentEncoding: header('content-encoding'), authorization: header('authorization') });
      const headers: Record<string, string> = {};
      for (const name of relayed) if (header(name) !== undefined) headers[name] = header(name)!;
      fetch(target + req.url, { method: req.method, headers, body: Buffer.concat(chunks) })
        .then(async (answer) => {
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
          res.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
