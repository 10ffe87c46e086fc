import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { status as GrpcCode } from '@grpc/grpc-js';
import type { Client } from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { IngestOverloadedError } from '../../../src/ingest/trace-ingest.js';
import type { RawSpan } from '../../../src/model/types.js';
import { decodeStatus, decodeTraceRequest, encodeExportResponse, encodeTraceRequest } from '../../../src/otlp/index.js';
import { readableSpanToRaw } from '../../../src/processor/readable-span-to-raw.js';
import { RETRY_INFO_TYPE_URL, STATUS_DETAILS_KEY } from '../../../src/server/grpc/grpc-status.js';
import { startOtlpGrpcServer } from '../../../src/server/grpc/otlp-grpc-server.js';
import type { OtlpExportHandler, OtlpGrpcServerOptions, RunningOtlpGrpcServer } from '../../../src/server/grpc/otlp-grpc-server.js';
import { OTLP_EXPORT_PATHS } from '../../../src/server/grpc/otlp-services.js';
import { withOtelEnv } from '../../helpers/sdk-senders.js';
import { grpcClient, http2Call, rawCall, recordingGrpcProxy, retryDelay, statusDetails } from './grpc-test-helpers.js';

const TOKEN = 'grpc-token';
const TRACES = OTLP_EXPORT_PATHS.traces;

const servers: RunningOtlpGrpcServer[] = [];
const clients: Client[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** What a traces handler saw: every request's spans, decoded by Skein's protobuf decoder. */
interface Received {
  requests: RawSpan[][];
  bodies: Uint8Array[];
}

/** A traces handler like the receiver's: decode (throws OtlpDecodeError on bad bytes), record, answer success. */
function decodingHandler(received: Received): OtlpExportHandler {
  return (body) => {
    const decoded = decodeTraceRequest(body, 'protobuf');
    received.bodies.push(Uint8Array.from(body));
    received.requests.push(decoded.spans);
    return Promise.resolve(encodeExportResponse('protobuf'));
  };
}

async function start(options: Partial<OtlpGrpcServerOptions> = {}): Promise<{ server: RunningOtlpGrpcServer; received: Received; client: Client }> {
  const received: Received = { requests: [], bodies: [] };
  const server = await startOtlpGrpcServer({
    port: 0,
    handlers: options.handlers ?? { traces: decodingHandler(received) },
    token: options.token,
    maxBodyBytes: options.maxBodyBytes,
    closeGraceMs: options.closeGraceMs,
    onInternalError: options.onInternalError,
  });
  servers.push(server);
  const client = grpcClient(server.port);
  clients.push(client);
  return { server, received, client };
}

const SPAN: RawSpan = {
  traceId: '5b8efff798038103d269b633813fc60c',
  spanId: 'eee19b7ec3c1b174',
  parentSpanId: null,
  traceState: '',
  flags: 1,
  name: 'chat claude',
  kind: 3,
  startTimeUnixNano: 1_700_000_000_000_000_001n,
  endTimeUnixNano: 1_700_000_001_000_000_002n,
  attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 12 },
  droppedAttributesCount: 0,
  events: [],
  droppedEventsCount: 0,
  links: [],
  droppedLinksCount: 0,
  statusCode: 0,
  statusMessage: '',
  resource: { attributes: { 'service.name': 'grpc-test' }, droppedAttributesCount: 0, schemaUrl: '' },
  scope: { name: 'raw', version: '1', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
};
const ONE_SPAN = Uint8Array.from(encodeTraceRequest([SPAN], 'protobuf'));

/** The server still answers a good, authorized request with OK after whatever came before. */
async function expectHealthy(client: Client, token?: string): Promise<void> {
  const answer = await rawCall(client, TRACES, ONE_SPAN, token);
  expect(answer.error).toBeNull();
  expect(answer.body).toEqual(Buffer.alloc(0));
}

/** An exporter decorator that keeps every export result (SimpleSpanProcessor only logs failures). */
function recording(exporter: SpanExporter): { exporter: SpanExporter; results: ExportResult[] } {
  const results: ExportResult[] = [];
  return {
    results,
    exporter: {
      export: (spans, done) =>
        exporter.export(spans, (result) => {
          results.push(result);
          done(result);
        }),
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    },
  };
}

/** Two spans (agent → model call) with typed attributes, an event and an error status, through a real provider. */
async function sendSpans(exporter: SpanExporter): Promise<{ sent: ReadableSpan[]; flushError: unknown }> {
  const sent: ReadableSpan[] = [];
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'grpc-interop' }),
    spanProcessors: [
      new SimpleSpanProcessor(exporter),
      { onStart: () => {}, onEnd: (span) => void sent.push(span), forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() },
    ],
  });
  const tracer = provider.getTracer('grpc-scope', '0.1.0');
  const root = tracer.startSpan('invoke_agent planner', { kind: SpanKind.INTERNAL, attributes: { 'gen_ai.agent.name': 'planner' } });
  const llm = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: [1_700_000_000, 223_456_789],
      attributes: {
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.request.temperature': 0.25,
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        'test.bool': true,
      },
    },
    trace.setSpan(context.active(), root),
  );
  llm.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'plan the trip' }, [1_700_000_000, 300_000_001]);
  llm.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream said no' });
  llm.end([1_700_000_001, 999_999_999]);
  root.end();
  // SimpleSpanProcessor's forceFlush rejects with a failed export's error.
  const flushError: unknown = await provider.forceFlush().then(() => undefined, (error: unknown) => error);
  await provider.shutdown();
  return { sent, flushError };
}

/**
 * The gRPC exporter reads endpoint, headers, compression and timeout from
 * OTEL_EXPORTER_OTLP_* when it is constructed, so the tests set those and
 * construct it with no options.
 */
function exporterFromEnv(port: number, env: { token?: string; compression: 'gzip' | 'none' }): OTLPTraceExporter {
  return withOtelEnv(
    {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_COMPRESSION: env.compression,
      OTEL_EXPORTER_OTLP_TIMEOUT: '20000',
      OTEL_EXPORTER_OTLP_HEADERS: env.token === undefined ? '' : `authorization=Bearer%20${env.token}`,
    },
    () => new OTLPTraceExporter(),
  );
}

describe('startOtlpGrpcServer with the official OTLP/gRPC trace exporter', () => {
  for (const compression of ['gzip', 'none'] as const) {
    it(`delivers the spans, decoded by Skein's decoder field by field (compression ${compression}, token required)`, async () => {
      const { server, received, client } = await start({ token: TOKEN });
      const proxy = await recordingGrpcProxy(server.port);
      closers.push(proxy.close);
      const { exporter, results } = recording(exporterFromEnv(proxy.port, { token: TOKEN, compression }));
      const { sent, flushError } = await sendSpans(exporter);

      // What the exporter put on the wire: the method, the token, and gzip when asked for.
      expect(proxy.seen.length).toBeGreaterThan(0);
      for (const call of proxy.seen) {
        expect(call.path).toBe(TRACES);
        expect(call.authorization).toBe(`Bearer ${TOKEN}`);
        expect(call.compressedFlags).toEqual([compression === 'gzip' ? 1 : 0]);
        if (compression === 'gzip') expect(call.grpcEncoding).toBe('gzip');
      }
      expect(flushError).toBeUndefined();

      expect(results.map((r) => [r.code, r.error?.message])).toEqual(sent.map(() => [ExportResultCode.SUCCESS, undefined]));
      const got = received.requests.flat();
      expect(got.map((s) => s.name).sort()).toEqual(['chat gpt-4o', 'invoke_agent planner']);
      for (const span of sent) {
        const expected = readableSpanToRaw(span);
        const arrived = got.find((s) => s.spanId === expected.spanId);
        expect(arrived, span.name).toBeDefined();
        for (const field of Object.keys(expected) as Array<keyof RawSpan>) {
          expect([field, arrived![field]]).toEqual([field, expected[field]]);
        }
      }
      const llm = got.find((s) => s.name === 'chat gpt-4o')!;
      const root = got.find((s) => s.name === 'invoke_agent planner')!;
      expect(llm.traceId).toBe(root.traceId);
      expect(llm.parentSpanId).toBe(root.spanId);
      expect(llm.kind).toBe(3);
      expect(llm.startTimeUnixNano).toBe(1_700_000_000_223_456_789n);
      expect(llm.attributes).toEqual({
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.request.temperature': 0.25,
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        'test.bool': true,
      });
      expect(llm.events.map((e) => [e.name, e.timeUnixNano, e.attributes])).toEqual([
        ['gen_ai.content.prompt', 1_700_000_000_300_000_001n, { 'gen_ai.prompt': 'plan the trip' }],
      ]);
      expect([llm.statusCode, llm.statusMessage]).toEqual([2, 'upstream said no']);
      expect(llm.resource.attributes['service.name']).toBe('grpc-interop');
      expect([llm.scope.name, llm.scope.version]).toEqual(['grpc-scope', '0.1.0']);
      await expectHealthy(client, TOKEN);
    });
  }

  it('without the token the export fails UNAUTHENTICATED and nothing reaches the handler', async () => {
    const { server, received, client } = await start({ token: TOKEN });
    const { exporter, results } = recording(exporterFromEnv(server.port, { compression: 'gzip' }));
    const { flushError } = await sendSpans(exporter);

    // forceFlush rejects with the failed exports' errors (an array of them in sdk-trace-base 2.x).
    const flushErrors = ([] as unknown[]).concat(flushError);
    expect(flushErrors.length).toBeGreaterThan(0);
    expect(flushErrors.map((e) => (e as { code?: number }).code)).toEqual(flushErrors.map(() => GrpcCode.UNAUTHENTICATED));
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) {
      expect(result.code).toBe(ExportResultCode.FAILED);
      expect((result.error as { code?: number } | undefined)?.code).toBe(GrpcCode.UNAUTHENTICATED);
    }
    expect(received.requests).toEqual([]);
    await expectHealthy(client, TOKEN);
  });
});

describe('startOtlpGrpcServer: answers a raw client gets', () => {
  it('passes the request bytes to the handler untouched and the handler answer out untouched (partial_success)', async () => {
    const seen: Uint8Array[] = [];
    const partial = Uint8Array.from(encodeExportResponse('protobuf', { rejectedSpans: 3, errorMessage: 'three spans had no id' }));
    const { client } = await start({ handlers: { traces: (body) => (seen.push(Uint8Array.from(body)), Promise.resolve(partial)) } });
    const answer = await rawCall(client, TRACES, ONE_SPAN);
    expect(answer.error).toBeNull();
    expect(seen).toEqual([ONE_SPAN]);
    expect(new Uint8Array(answer.body!)).toEqual(partial);
  });

  it('a wrong token is UNAUTHENTICATED as well', async () => {
    const { client, received } = await start({ token: TOKEN });
    const wrong = await rawCall(client, TRACES, ONE_SPAN, 'not-the-token');
    expect([wrong.error?.code, wrong.error?.details]).toEqual([GrpcCode.UNAUTHENTICATED, 'missing or wrong bearer token (authorization metadata)']);
    expect(received.requests).toEqual([]);
    await expectHealthy(client, TOKEN);
  });

  it('the token is checked on the metadata, before the message is read: an unauthenticated gzip bomb is UNAUTHENTICATED', async () => {
    const { server, client, received } = await start({ token: TOKEN, maxBodyBytes: 65_536 });
    const bomb = gzipSync(new Uint8Array(10 * 1024 * 1024));
    const answer = await http2Call(server.port, TRACES, bomb, { gzip: true });
    expect([answer.status, answer.message]).toEqual([String(GrpcCode.UNAUTHENTICATED), 'missing or wrong bearer token (authorization metadata)']);
    const withToken = await http2Call(server.port, TRACES, bomb, { gzip: true, token: TOKEN });
    expect(withToken.status).toBe(String(GrpcCode.RESOURCE_EXHAUSTED));
    expect(received.requests).toEqual([]);
    await expectHealthy(client, TOKEN);
  });

  it('a gzip-compressed message (grpc-encoding: gzip, compressed flag set) is inflated before the handler sees it', async () => {
    const { server, received, client } = await start();
    const answer = await http2Call(server.port, TRACES, gzipSync(ONE_SPAN), { gzip: true });
    expect(answer.status).toBe('0');
    expect(received.bodies).toEqual([ONE_SPAN]);
    expect(received.requests[0].map((s) => [s.traceId, s.spanId, s.name, s.attributes])).toEqual([
      [SPAN.traceId, SPAN.spanId, SPAN.name, SPAN.attributes],
    ]);
    // And through grpc-js's own client with gzip on.
    const gzipClient = grpcClient(server.port, 'gzip');
    clients.push(gzipClient);
    expect((await rawCall(gzipClient, TRACES, ONE_SPAN)).error).toBeNull();
    expect(received.bodies).toHaveLength(2);
    await expectHealthy(client);
  });

  it('a message over maxBodyBytes is RESOURCE_EXHAUSTED, plain or as a gzip bomb, and never reaches the handler', async () => {
    const { server, received, client } = await start({ maxBodyBytes: 65_536 });
    const big = await rawCall(client, TRACES, new Uint8Array(70_000));
    expect(big.error?.code).toBe(GrpcCode.RESOURCE_EXHAUSTED);
    expect(big.error?.details).toMatch(/larger than max \(70000 vs 65536\)/);

    const bomb = gzipSync(new Uint8Array(10 * 1024 * 1024)); // 10 MiB of zeros in ~10 KB
    expect(bomb.byteLength).toBeLessThan(20_000);
    const inflated = await http2Call(server.port, TRACES, bomb, { gzip: true });
    expect(inflated.status).toBe(String(GrpcCode.RESOURCE_EXHAUSTED));
    expect(inflated.message).toMatch(/decompresses to a size larger than 65536/);

    expect(received.requests).toEqual([]);
    await expectHealthy(client);
  });

  it('malformed protobuf is INVALID_ARGUMENT with the decoder message naming the problem', async () => {
    const { client, received } = await start();
    const truncated = await rawCall(client, TRACES, Uint8Array.of(0x0a, 0xff, 0x01));
    expect(truncated.error?.code).toBe(GrpcCode.INVALID_ARGUMENT);
    expect(truncated.error?.details).toBe('truncated protobuf: the value at byte offset 1 needs 255 bytes but only 0 remain');
    const garbage = await rawCall(client, TRACES, Buffer.from('not protobuf at all'));
    expect(garbage.error?.code).toBe(GrpcCode.INVALID_ARGUMENT);
    expect(garbage.error?.details).toMatch(/^malformed protobuf: .*wire type/);
    expect(received.requests).toEqual([]);
    await expectHealthy(client);
  });

  it('a truncated frame, a missing message or two messages on the unary Export are INVALID_ARGUMENT, not grpc-js\'s UNIMPLEMENTED', async () => {
    const { server, client, received } = await start();
    const cases: Array<[string, Buffer]> = [
      ['a frame that promises 100 bytes and carries 3', Buffer.from([0, 0, 0, 0, 100, 1, 2, 3])],
      ['no frame at all', Buffer.alloc(0)],
      ['two messages', Buffer.concat([Buffer.from([0, 0, 0, 0, ONE_SPAN.byteLength]), ONE_SPAN, Buffer.from([0, 0, 0, 0, ONE_SPAN.byteLength]), ONE_SPAN])],
    ];
    const answers = [];
    for (const [name, frame] of cases) {
      const answer = await http2Call(server.port, TRACES, new Uint8Array(0), { gzip: false, frame });
      answers.push([name, answer.status, answer.message]);
    }
    expect(answers).toEqual([
      [cases[0][0], String(GrpcCode.INVALID_ARGUMENT), 'no complete request message arrived (a truncated or missing frame)'],
      [cases[1][0], String(GrpcCode.INVALID_ARGUMENT), 'no complete request message arrived (a truncated or missing frame)'],
      [cases[2][0], String(GrpcCode.INVALID_ARGUMENT), 'more than one request message on the unary Export call'],
    ]);
    expect(received.requests).toEqual([]);
    await expectHealthy(client);
  });

  it('what grpc-js answers itself: a wrong content-type is HTTP 415; bytes that are not gzip are INTERNAL', async () => {
    const { server, client, received } = await start();
    const json = await http2Call(server.port, TRACES, ONE_SPAN, { gzip: false, contentType: 'application/json' });
    expect([json.httpStatus, json.status]).toEqual([415, undefined]);
    // grpc-js's own status for a message it cannot inflate; the OTLP spec would rather have INVALID_ARGUMENT.
    const notGzip = await http2Call(server.port, TRACES, ONE_SPAN, { gzip: true });
    expect([notGzip.status, notGzip.message]).toEqual([String(GrpcCode.INTERNAL), 'Failed to decompress message']);
    expect(received.requests).toEqual([]);
    await expectHealthy(client);
  });

  it('an overloaded handler is UNAVAILABLE with a google.rpc.RetryInfo detail in grpc-status-details-bin', async () => {
    let overloaded = true;
    const received: Received = { requests: [], bodies: [] };
    const decode = decodingHandler(received);
    const { client } = await start({
      handlers: {
        traces: (body) => (overloaded ? Promise.reject(new IngestOverloadedError('the writer is behind: 512 batches queued', 2.5)) : decode(body)),
      },
    });
    const answer = await rawCall(client, TRACES, ONE_SPAN);
    expect([answer.error?.code, answer.error?.details]).toEqual([GrpcCode.UNAVAILABLE, 'the writer is behind: 512 batches queued']);

    const [statusBytes, ...more] = answer.error!.metadata.get(STATUS_DETAILS_KEY) as Buffer[];
    expect(more).toEqual([]);
    expect(decodeStatus(statusBytes, 'protobuf')).toEqual({ code: GrpcCode.UNAVAILABLE, message: 'the writer is behind: 512 batches queued' });
    const details = statusDetails(statusBytes);
    expect(details.map((d) => d.typeUrl)).toEqual([RETRY_INFO_TYPE_URL]);
    expect(retryDelay(details[0].value)).toEqual({ seconds: 2, nanos: 500_000_000 });

    overloaded = false;
    await expectHealthy(client);
    expect(received.requests).toHaveLength(1);
  });

  it('any other handler failure is INTERNAL with a fixed message: neither the error message nor its stack goes out', async () => {
    const logged: unknown[] = [];
    const failure = new Error('SQLITE_FULL at /home/someone/.skein/skein.db');
    let fail = true;
    const { client } = await start({
      handlers: { traces: () => (fail ? Promise.reject(failure) : Promise.resolve(new Uint8Array(0))) },
      onInternalError: (error) => logged.push(error),
    });
    const answer = await rawCall(client, TRACES, ONE_SPAN);
    expect(answer.error?.code).toBe(GrpcCode.INTERNAL);
    expect(answer.error?.details).toBe('internal error while handling the export (see the collector log)');
    expect(answer.error?.metadata.get(STATUS_DETAILS_KEY)).toEqual([]);
    expect(logged).toEqual([failure]);
    fail = false;
    await expectHealthy(client);
  });

  it('an unknown method, and a signal without a handler, are UNIMPLEMENTED; a signal with one is served', async () => {
    const logs: Uint8Array[] = [];
    const received: Received = { requests: [], bodies: [] };
    const { client } = await start({
      handlers: { traces: decodingHandler(received), logs: (body) => (logs.push(Uint8Array.from(body)), Promise.resolve(new Uint8Array(0))) },
    });
    for (const path of ['/opentelemetry.proto.collector.trace.v1.TraceService/Exports', '/no.such.Service/Export', OTLP_EXPORT_PATHS.metrics]) {
      const answer = await rawCall(client, path, ONE_SPAN);
      expect([path, answer.error?.code]).toEqual([path, GrpcCode.UNIMPLEMENTED]);
    }
    const logAnswer = await rawCall(client, OTLP_EXPORT_PATHS.logs, Uint8Array.of(1, 2, 3));
    expect(logAnswer.error).toBeNull();
    expect(logs).toEqual([Uint8Array.of(1, 2, 3)]);
    expect(received.requests).toEqual([]);
    await expectHealthy(client);
  });
});

describe('startOtlpGrpcServer: lifecycle and options', () => {
  it('close() lets an in-flight call finish within the grace', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const inHandler = new Promise<void>((resolve) => (arrived = resolve));
    const { server, client } = await start({
      closeGraceMs: 60_000,
      handlers: { traces: () => (arrived(), gate.then(() => encodeExportResponse('protobuf'))) },
    });
    const call = rawCall(client, TRACES, ONE_SPAN);
    await inHandler;
    const closed = server.close();
    release();
    expect((await call).error).toBeNull();
    await closed;
    const after = await rawCall(client, TRACES, ONE_SPAN);
    expect(after.error?.code).toBe(GrpcCode.UNAVAILABLE);
  });

  it('close() cancels a call still running when the grace is over, and resolves', async () => {
    let arrived!: () => void;
    const inHandler = new Promise<void>((resolve) => (arrived = resolve));
    const { server, client } = await start({ closeGraceMs: 50, handlers: { traces: () => (arrived(), new Promise<Uint8Array>(() => {})) } });
    const call = rawCall(client, TRACES, ONE_SPAN);
    await inHandler;
    await server.close();
    expect((await call).error).not.toBeNull();
    expect(server.close()).toBe(server.close()); // idempotent: the same promise
  });

  it('rejects options that are not valid numbers, naming the option', async () => {
    await expect(startOtlpGrpcServer({ port: 0, handlers: {}, maxBodyBytes: Number.NaN })).rejects.toThrow(/startOtlpGrpcServer: maxBodyBytes/);
    await expect(startOtlpGrpcServer({ port: 70_000, handlers: {} })).rejects.toThrow(/startOtlpGrpcServer: port/);
    await expect(startOtlpGrpcServer({ port: 0, handlers: {}, closeGraceMs: -1 })).rejects.toThrow(/startOtlpGrpcServer: closeGraceMs/);
  });

  it('a port already taken is an error naming the address', async () => {
    const { server } = await start();
    await expect(startOtlpGrpcServer({ port: server.port, handlers: {} })).rejects.toThrow(
      new RegExp(`startOtlpGrpcServer: cannot listen on 127\\.0\\.0\\.1:${server.port}`),
    );
  });
});
