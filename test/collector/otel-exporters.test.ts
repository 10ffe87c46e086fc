import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import { readableSpanToRaw } from '../../src/processor/readable-span-to-raw.js';
import { REPO_ROOT, cleanup, readAllSpans, tempDir } from '../cli/serve/helpers.js';
import { recordingHttpProxy, withOtelEnv } from '../helpers/sdk-senders.js';

const TOKEN = 'exporter-token';

const collectors: RunningCollector[] = [];
/** Pass-throughs in front of the collector that record how each request was encoded: proof that the exporter really sent gzip/protobuf/JSON as configured. */
const proxies: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all([...collectors.splice(0), ...proxies.splice(0)].map((c) => c.close()));
  await cleanup();
});

/** Spans with every field OTLP carries: attribute types, events, links, status, kinds, nanosecond times. */
function produceSpans(exporter: SpanExporter) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'exporter-interop', 'deployment.environment.name': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter), new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('interop-scope', '2.3.4');
  const start: [number, number] = [1_700_000_000, 123_456_789];
  const root = tracer.startSpan('invoke_agent planner', {
    kind: SpanKind.INTERNAL,
    startTime: start,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'planner',
      'gen_ai.conversation.id': 'conv-interop',
    },
  });
  const linked = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  };
  const llm = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: [1_700_000_000, 223_456_789],
      links: [{ context: linked, attributes: { 'link.reason': 'retry-of', 'link.n': 2 } }],
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.request.temperature': 0.25,
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 345,
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        'test.flags': [true, false],
        'test.numbers': [1, 2.5, 3],
        'test.bool': true,
      },
    },
    trace.setSpan(context.active(), root),
  );
  llm.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'plan the trip' }, [1_700_000_000, 300_000_001]);
  llm.recordException(new Error('rate limited once'), [1_700_000_000, 400_000_002]);
  llm.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream said no' });
  llm.end([1_700_000_001, 999_999_999]);
  root.setStatus({ code: SpanStatusCode.OK });
  root.end([1_700_000_002, 5]);
  return { provider, memory };
}

type ExporterCase = {
  name: string;
  protocol: 'json' | 'protobuf';
  gzip: boolean;
  configuredBy: 'code' | 'env';
};

const CASES: ExporterCase[] = [];
for (const protocol of ['json', 'protobuf'] as const) {
  for (const gzip of [false, true]) {
    for (const configuredBy of ['code', 'env'] as const) {
      CASES.push({ name: `${protocol}${gzip ? ' + gzip' : ''}, configured in ${configuredBy}`, protocol, gzip, configuredBy });
    }
  }
}

function makeExporter(c: ExporterCase, url: string): SpanExporter {
  const Exporter = c.protocol === 'json' ? OtlpHttpJsonExporter : OtlpProtoExporter;
  if (c.configuredBy === 'code') {
    return new Exporter({
      url: `${url}/v1/traces`,
      compression: (c.gzip ? 'gzip' : 'none') as never,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
  }
  // Half the env cases use the base endpoint (the exporter appends /v1/traces), half the per-signal one.
  const endpoint: Record<string, string> = c.gzip ? { OTEL_EXPORTER_OTLP_ENDPOINT: url } : { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${url}/v1/traces` };
  return withOtelEnv(
    { ...endpoint, OTEL_EXPORTER_OTLP_COMPRESSION: c.gzip ? 'gzip' : 'none', OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${TOKEN}` },
    () => new Exporter(),
  );
}

describe('the official OTLP exporters against skein serve', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const collector = await startCollector({ dbPath: join(tempDir(), 'skein.db'), port: 0, token: TOKEN });
      collectors.push(collector);
      const proxy = await recordingHttpProxy(collector.url);
      proxies.push(proxy);
      const exporter = makeExporter(c, proxy.url);
      const { provider, memory } = produceSpans(exporter);
      await provider.forceFlush();
      const sent = memory.getFinishedSpans(); // before shutdown(), which empties the memory exporter
      await provider.shutdown();

      expect(proxy.seen.length).toBeGreaterThan(0);
      for (const seen of proxy.seen) {
        expect(seen.path).toBe('/v1/traces');
        expect(seen.contentType).toBe(c.protocol === 'json' ? 'application/json' : 'application/x-protobuf');
        expect(seen.contentEncoding).toBe(c.gzip ? 'gzip' : undefined);
        expect(seen.authorization).toBe(`Bearer ${TOKEN}`);
      }

      expect(sent).toHaveLength(2);
      await collector.close();
      const stored = await readAllSpans(collector.dbPath);
      expect(stored).toHaveLength(sent.length);
      for (const span of sent) {
        const expected = readableSpanToRaw(span);
        const got = stored.find((s) => s.spanId === expected.spanId);
        expect(got, `span ${span.name}`).toBeDefined();
        // Field by field, so a failure names the field that was lost.
        for (const field of Object.keys(expected) as Array<keyof typeof expected>) {
          expect([field, got!.raw[field]]).toEqual([field, expected[field]]);
        }
      }
      const llm = stored.find((s) => s.name === 'chat gpt-4o')!;
      expect(llm).toMatchObject({
        stepType: 'llm',
        requestModel: 'gpt-4o',
        provider: 'openai',
        isError: true,
        usage: { input: 1200, output: 345 },
        resolvedSessionId: 'conv-interop',
      });
      expect(llm.raw.startTimeUnixNano).toBe(1_700_000_000_223_456_789n);
      expect(llm.raw.attributes['gen_ai.request.temperature']).toBe(0.25);
    });
  }
});

describe('the opentelemetry-proto examples/trace.json sample', () => {
  it('is accepted byte for byte as published, as `curl --data-binary @trace.json` sends it', async () => {
    const bytes = readFileSync(join(REPO_ROOT, 'test/fixtures/otlp/trace.json'));
    const collector = await startCollector({ dbPath: join(tempDir(), 'skein.db'), port: 0 });
    collectors.push(collector);
    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bytes,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({});
    await collector.close();

    const [span, ...rest] = await readAllSpans(collector.dbPath);
    expect(rest).toEqual([]);
    expect(span.raw).toMatchObject({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: 'eee19b7ec3c1b173',
      name: "I'm a server span",
      kind: 2,
      startTimeUnixNano: 1544712660000000000n,
      endTimeUnixNano: 1544712661000000000n,
      attributes: { 'my.span.attr': 'some value' },
      resource: { attributes: { 'service.name': 'my.service' } },
      scope: { name: 'my.library', version: '1.0.0', attributes: { 'my.scope.attribute': 'some scope attribute' } },
    });
  });
});
