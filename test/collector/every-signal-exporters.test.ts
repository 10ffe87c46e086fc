/**
 * The official OTel JS exporters as clients of a real `skein serve` process,
 * every signal (traces, logs, metrics) over every transport (gRPC,
 * HTTP/protobuf, HTTP/JSON), configured only through `OTEL_EXPORTER_OTLP_*`
 * environment variables, with the token in OTEL_EXPORTER_OTLP_HEADERS and
 * gzip for some. What arrived is read back field by field through the query
 * API. Then the token on gRPC: no `authorization` metadata is UNAUTHENTICATED.
 */
import { status as GrpcCode } from '@grpc/grpc-js';
import { OTLPLogExporter as GrpcLogs } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogs } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogs } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as GrpcMetrics } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetrics } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetrics } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as GrpcTraces } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraces } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraces } from '@opentelemetry/exporter-trace-otlp-proto';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecordJson, MetricPointJson } from '../../src/model/log-view.js';
import type { OtlpSignal } from '../../src/model/signals.js';
import { OTLP_EXPORT_PATHS } from '../../src/otlp/otlp-endpoints.js';
import { cleanup } from '../cli/serve/helpers.js';
import { grpcClient, rawCall, recordingGrpcProxy } from '../server/grpc/grpc-test-helpers.js';
import { SPAN_CONTEXT, recordingHttpProxy, sendLogs, sendMetrics, sendTraces, withOtelEnv } from '../helpers/sdk-senders.js';
import { startServe } from './serve-child.js';
import type { RunningServe } from './serve-child.js';
import { exportBody, storedCount } from './signal-probes.js';

const TOKEN = 'interop-token-7';
let serve: RunningServe;
// Pass-throughs in front of serve that record what the exporters really sent (path, gzip, token).
let grpcProxy: Awaited<ReturnType<typeof recordingGrpcProxy>>;
let httpProxy: Awaited<ReturnType<typeof recordingHttpProxy>>;
beforeAll(async () => {
  serve = await startServe([], { token: TOKEN });
  grpcProxy = await recordingGrpcProxy(serve.grpcPort!);
  httpProxy = await recordingHttpProxy(serve.url);
});
afterAll(async () => {
  await Promise.all([grpcProxy.close(), httpProxy.close()]);
  await cleanup();
});

const TRANSPORTS = ['grpc', 'http/protobuf', 'http/json'] as const;
type Transport = (typeof TRANSPORTS)[number];
const EXPORTERS = {
  grpc: { traces: GrpcTraces, logs: GrpcLogs, metrics: GrpcMetrics },
  'http/protobuf': { traces: ProtoTraces, logs: ProtoLogs, metrics: ProtoMetrics },
  'http/json': { traces: JsonTraces, logs: JsonLogs, metrics: JsonMetrics },
};

/** Constructs the exporter with no options: everything comes from the environment. */
function exporterFor<S extends OtlpSignal>(signal: S, transport: Transport, gzip: boolean): InstanceType<(typeof EXPORTERS)[Transport][S]> {
  const Exporter = EXPORTERS[transport][signal];
  return withOtelEnv(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: transport === 'grpc' ? `http://127.0.0.1:${grpcProxy.port}` : httpProxy.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: transport,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${TOKEN}`,
      OTEL_EXPORTER_OTLP_COMPRESSION: gzip ? 'gzip' : 'none',
    },
    () => new Exporter() as InstanceType<(typeof EXPORTERS)[Transport][S]>,
  );
}

/** Exports `signal` through the exporter the environment configures, and checks on the wire how it went out. */
async function exportThrough<S extends OtlpSignal, T>(
  signal: S,
  transport: Transport,
  gzip: boolean,
  send: (exporter: InstanceType<(typeof EXPORTERS)[Transport][S]>) => Promise<T>,
): Promise<T> {
  const grpcBefore = grpcProxy.seen.length;
  const httpBefore = httpProxy.seen.length;
  const result = await send(exporterFor(signal, transport, gzip));
  if (transport === 'grpc') {
    const calls = grpcProxy.seen.slice(grpcBefore);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call).toMatchObject({ path: OTLP_EXPORT_PATHS[signal], grpcEncoding: gzip ? 'gzip' : undefined, authorization: `Bearer ${TOKEN}` });
      expect(call.compressedFlags).toEqual([gzip ? 1 : 0]);
    }
  } else {
    const requests = httpProxy.seen.slice(httpBefore);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request).toEqual({
        path: `/v1/${signal}`,
        contentType: transport === 'http/json' ? 'application/json' : 'application/x-protobuf',
        contentEncoding: gzip ? 'gzip' : undefined,
        authorization: `Bearer ${TOKEN}`,
      });
    }
  }
  return result;
}

interface SpanJson {
  sessionId: string | null;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  [field: string]: unknown;
}

describe.each(TRANSPORTS.map((transport, t) => ({ transport, t })))('the official $transport exporters, configured by OTEL_EXPORTER_OTLP_*', ({ transport, t }) => {
  const name = transport.replace('/', '-');

  it('traces: every span with its ids, names, attributes, events and status', async () => {
    const id = `interop-${name}-traces`;
    const traceId = await exportThrough('traces', transport, t % 2 === 0, (exporter) => sendTraces(exporter, id));
    const { spans } = await serve.api<{ spans: SpanJson[] }>(`/traces/${traceId}`);
    expect(spans.map((s) => s.name)).toEqual(['invoke_agent planner', 'chat gpt-4o']);
    const [root, chat] = spans;
    expect(root).toMatchObject({
      sessionId: id,
      traceId,
      parentSpanId: null,
      kind: 1, // OTLP SPAN_KIND_INTERNAL
      startTimeUnixNano: '1764000000000000100',
      endTimeUnixNano: '1764000002000000000',
      status: 'unset',
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner', 'gen_ai.conversation.id': id },
      resource: { 'service.name': id, 'service.version': '1.2.3' },
      scope: { name: 'interop-tracer', version: '0.9.0' },
    });
    expect(root.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(chat).toMatchObject({
      sessionId: id,
      parentSpanId: root.spanId,
      kind: 3, // OTLP SPAN_KIND_CLIENT
      startTimeUnixNano: '1764000000200000001',
      endTimeUnixNano: '1764000001000000005',
      status: 'error',
      statusMessage: 'rate limited',
      requestModel: 'gpt-4o',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.request.temperature': 0.25,
        'gen_ai.response.finish_reasons': ['stop'],
        'test.bool': true,
      },
      events: [{ name: 'retry', timeUnixNano: '1764000000300000000', attributes: { attempt: 2 } }],
    });
  });

  it('logs: body (string and map), severity, event name, attributes, trace and span ids, resource and scope', async () => {
    const id = `interop-${name}-logs`;
    await exportThrough('logs', transport, (t + 1) % 2 === 0, (exporter) => sendLogs(exporter, id));
    const { items } = await serve.api<{ items: LogRecordJson[] }>(`/logs?session=${id}`);
    expect(items).toHaveLength(2);
    const [message, choice] = items;
    expect(message).toMatchObject({
      sessionId: id,
      traceId: SPAN_CONTEXT.traceId,
      spanId: SPAN_CONTEXT.spanId,
      timeUnixNano: '1764000000123456789',
      severityNumber: 9,
      severityText: 'INFO',
      eventName: 'gen_ai.user.message',
      body: 'plan a trip to Lisbon',
      attributes: { 'session.id': id, 'gen_ai.system': 'openai', turn: 3, ratio: 0.5, ok: true, parts: ['a', 'b'] },
      resource: { 'service.name': id },
      scope: { name: 'interop-logger', version: '3.1.0' },
    });
    expect(BigInt(message.observedTimeUnixNano)).toBeGreaterThan(0n);
    expect(choice).toMatchObject({
      traceId: null,
      spanId: null,
      timeUnixNano: '1764000001000000000',
      severityNumber: 14,
      severityText: '',
      eventName: 'gen_ai.choice',
      body: { role: 'assistant', content: [{ type: 'text', text: 'done' }], tokens: 12, final: true },
    });
    // The session's events read the same records.
    const events = await serve.api<{ items: LogRecordJson[] }>(`/sessions/${id}/events?minSeverity=warn`);
    expect(events.items.map((r) => r.id)).toEqual([choice.id]);
  });

  it('metrics: counter sum, up-down counter, gauge and histogram points with their names and attributes', async () => {
    const id = `interop-${name}-metrics`;
    await exportThrough('metrics', transport, t % 2 === 0, (exporter) => sendMetrics(exporter, id));
    const { items } = await serve.api<{ items: MetricPointJson[] }>(`/metrics?session=${id}`);
    const byName = new Map(items.map((p) => [p.name, p]));
    expect([...byName.keys()].sort()).toEqual(['agent.active', 'agent.cost', 'agent.latency', 'agent.queue.depth']);
    expect(items).toHaveLength(4);
    const common = {
      sessionId: id,
      attributes: { 'session.id': id, 'gen_ai.token.type': 'input' },
      resource: { 'service.name': id },
      scope: { name: 'interop-meter', version: '4.0.0' },
    };
    expect(byName.get('agent.cost')).toMatchObject({
      ...common, type: 'sum', unit: 'USD', description: 'money spent', temporality: 'cumulative', monotonic: true, value: 0.75,
    });
    expect(byName.get('agent.active')).toMatchObject({ ...common, type: 'sum', temporality: 'cumulative', monotonic: false, value: '3' });
    expect(byName.get('agent.queue.depth')).toMatchObject({ ...common, type: 'gauge', value: 7.5, temporality: null });
    expect(byName.get('agent.latency')).toMatchObject({
      ...common,
      type: 'histogram',
      unit: 's',
      temporality: 'cumulative',
      value: null,
      count: '3',
      sum: 55.5,
      min: 0.5,
      max: 50,
      detail: { bucketCounts: ['1', '1', '1'], explicitBounds: [1, 10] },
    });
    for (const p of items) expect(BigInt(p.timeUnixNano)).toBeGreaterThan(0n);
  });
});

describe('the token on OTLP/gRPC', () => {
  it.each(['traces', 'logs', 'metrics'] as const)('%s: no authorization metadata is UNAUTHENTICATED and stores nothing; with it, stored', async (signal) => {
    const client = grpcClient(serve.grpcPort!);
    try {
      const tag = `token-${signal}`;
      const refused = await rawCall(client, OTLP_EXPORT_PATHS[signal], exportBody(signal, `${tag}-refused`));
      expect(refused.error?.code).toBe(GrpcCode.UNAUTHENTICATED);
      expect(refused.error?.details).toMatch(/bearer token/);
      const wrong = await rawCall(client, OTLP_EXPORT_PATHS[signal], exportBody(signal, `${tag}-refused`), 'not-the-token');
      expect(wrong.error?.code).toBe(GrpcCode.UNAUTHENTICATED);
      const accepted = await rawCall(client, OTLP_EXPORT_PATHS[signal], exportBody(signal, `${tag}-ok`), TOKEN);
      expect(accepted.error).toBeNull();
      expect(await storedCount(serve, signal, `${tag}-ok`)).toBeGreaterThan(0);
      expect(await storedCount(serve, signal, `${tag}-refused`)).toBe(0);
    } finally {
      client.close();
    }
  });

  it('an official exporter without the token fails its export; nothing is stored', async () => {
    const exporter = withOtelEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: serve.grpcUrl! }, () => new GrpcLogs());
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
    const errors: unknown[] = [];
    const original = exporter.export.bind(exporter);
    exporter.export = (records, done) => original(records, (result) => {
      if (result.error) errors.push(result.error);
      done(result);
    });
    provider.getLogger('no-token').emit({ body: 'no token here', attributes: { 'session.id': 'no-token-session' } });
    await provider.forceFlush();
    await provider.shutdown();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/UNAUTHENTICATED|bearer token/);
    expect((await serve.api<{ items: unknown[] }>('/logs?session=no-token-session')).items).toEqual([]);
  });
});
