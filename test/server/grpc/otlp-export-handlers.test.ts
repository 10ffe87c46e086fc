/**
 * OTLP/gRPC Export of every signal through the real pipeline: grpc-js
 * server, Skein's handlers (in-flight bytes → decode → group commit on the
 * writer thread → SQLite), raw grpc-js and hand-framed HTTP/2 clients. The
 * bad-input list of issue 16 for logs and metrics: each the right status and
 * message, nothing stored, the server healthy after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { status as GrpcCode } from '@grpc/grpc-js';
import type { Client } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createIngestPipeline } from '../../../src/ingest/ingest-pipeline.js';
import { resolveIngestSettings } from '../../../src/ingest/ingest-settings.js';
import { IngestOverloadedError } from '../../../src/ingest/trace-ingest.js';
import type { SignalIngest } from '../../../src/ingest/trace-ingest.js';
import { decodeStatus, encodeTraceRequest } from '../../../src/otlp/index.js';
import { DecodePool } from '../../../src/server/decode-pool.js';
import { RETRY_INFO_TYPE_URL, STATUS_DETAILS_KEY } from '../../../src/server/grpc/grpc-status.js';
import { createOtlpExportHandlers } from '../../../src/server/grpc/otlp-export-handlers.js';
import type { OtlpExportHandlersOptions } from '../../../src/server/grpc/otlp-export-handlers.js';
import { startOtlpGrpcServer } from '../../../src/server/grpc/otlp-grpc-server.js';
import { OTLP_EXPORT_PATHS } from '../../../src/server/grpc/otlp-services.js';
import { InflightBytes } from '../../../src/server/inflight-bytes.js';
import { MetricsRegistry } from '../../../src/server/metrics.js';
import { grpcOutcomeRecorder } from '../../../src/server/receiver-metrics.js';
import { openWritableStore } from '../../../src/store/sqlite/database-file.js';
import { SqliteOutbox } from '../../../src/store/sqlite/sqlite-outbox.js';
import type { SqliteTraceStore } from '../../../src/store/sqlite/sqlite-trace-store.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { T, malformedBody, signalBody } from '../signal-bodies.js';
import { grpcClient, http2Call, rawCall, retryDelay, statusDetails } from './grpc-test-helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Handlers = Partial<Omit<OtlpExportHandlersOptions, 'ingest'>> & { ingest?: SignalIngest };

/** A real pipeline on a file (commits on the writer thread) behind the gRPC server, unless `ingest` replaces it. */
async function start(options: Handlers & { maxBodyBytes?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'skein-grpc-signals-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'skein.db');
  const store: SqliteTraceStore = openWritableStore({ path: dbPath });
  cleanups.push(() => store.close());
  const pipeline = createIngestPipeline({ dbPath, store, outbox: new SqliteOutbox(store.database), settings: resolveIngestSettings({}) });
  cleanups.push(() => pipeline.close());
  const metrics = new MetricsRegistry();
  const { maxBodyBytes, ingest, ...rest } = options;
  const server = await startOtlpGrpcServer({
    port: 0,
    maxBodyBytes,
    handlers: createOtlpExportHandlers({ ingest: ingest ?? pipeline, onOutcome: grpcOutcomeRecorder(metrics), ...rest }),
  });
  cleanups.push(() => server.close());
  const client: Client = grpcClient(server.port);
  cleanups.push(() => client.close());
  const stored = async () => ({
    logs: (await store.listLogs({})).items.length,
    points: (await store.listMetricPoints({})).items.length,
    spans: (await store.getSpans({ limit: 100 })).items.length,
  });
  return { server, client, store, stored, metrics };
}

const SIGNALS = ['logs', 'metrics'] as const;

/** A good request of `signal` is still answered OK and stored. */
async function expectHealthy(client: Client, signal: 'logs' | 'metrics', stored: () => Promise<{ logs: number; points: number }>) {
  const answer = await rawCall(client, OTLP_EXPORT_PATHS[signal], signalBody(signal, 'protobuf', { items: 1 }));
  expect(answer.error).toBeNull();
  expect(await stored()).toMatchObject(signal === 'logs' ? { logs: 1 } : { points: 1 });
}

describe('OTLP/gRPC Export of every signal into the store', () => {
  it('stores traces, logs and metrics, plain and gzip; answers an empty Export*ServiceResponse once durable', async () => {
    const { server, client, store, stored, metrics } = await start();
    const span = makeRawSpan();
    const answers = await Promise.all([
      rawCall(client, OTLP_EXPORT_PATHS.traces, encodeTraceRequest([span], 'protobuf')),
      rawCall(client, OTLP_EXPORT_PATHS.logs, signalBody('logs', 'protobuf', { tag: ' plain' })),
      rawCall(client, OTLP_EXPORT_PATHS.metrics, signalBody('metrics', 'protobuf')),
    ]);
    expect(answers.map((a) => [a.error, a.body])).toEqual([[null, Buffer.alloc(0)], [null, Buffer.alloc(0)], [null, Buffer.alloc(0)]]);
    const gzipped = await http2Call(server.port, OTLP_EXPORT_PATHS.logs, gzipSync(signalBody('logs', 'protobuf', { items: 1, tag: ' gzip' })), { gzip: true });
    expect(gzipped.status).toBe('0');

    expect(await stored()).toEqual({ logs: 3, points: 2, spans: 1 });
    const logs = (await store.listLogs({})).items;
    expect(logs.map((r) => [r.body, r.timeUnixNano, r.eventName, r.sessionId])).toEqual([
      ['said 0 plain', T, 'gen_ai.user.message', 's-1'],
      ['said 0 gzip', T, 'gen_ai.user.message', 's-1'],
      ['said 1 plain', T + 1n, 'gen_ai.user.message', 's-1'],
    ]);
    const points = (await store.listMetricPoints({ name: 'gen_ai.client.token.usage' })).items;
    expect(points.map((p) => [p.type, p.temporality, p.monotonic, p.value, p.timeUnixNano])).toEqual([
      ['sum', 'cumulative', true, 100n, T],
      ['sum', 'cumulative', true, 101n, T + 1n],
    ]);
    const text = metrics.render();
    expect(text).toContain('skein_grpc_requests_total{signal="logs",code="OK"} 2');
    expect(text).toContain('skein_log_records_accepted_total 3');
    expect(text).toContain('skein_metric_points_accepted_total 2');
    expect(text).toContain('skein_spans_accepted_total 1');
  });

  it.each(SIGNALS)('%s: an item rejected one by one comes back in partial_success; the rest are stored', async (signal) => {
    const { client, stored } = await start();
    const answer = await rawCall(client, OTLP_EXPORT_PATHS[signal], signalBody(signal, 'protobuf', { rejected: true }));
    expect(answer.error).toBeNull();
    // Export{Logs,Metrics}ServiceResponse { partial_success (1) { rejected_* (1) = 1, error_message (2) } }.
    const body = answer.body ?? Buffer.alloc(0);
    expect([body[0], body[2], body[3], body[4]]).toEqual([0x0a, 0x08, 0x01, 0x12]);
    expect(body.subarray(6).toString()).toMatch(signal === 'logs' ? /1 log record rejected: .*severityNumber 99/ : /1 data point rejected: .*timeUnixNano is missing/);
    expect(await stored()).toMatchObject(signal === 'logs' ? { logs: 2 } : { points: 2 });
  });
});

describe.each(SIGNALS)('OTLP/gRPC %s: bad input', (signal) => {
  const path = OTLP_EXPORT_PATHS[signal];

  it('malformed protobuf is INVALID_ARGUMENT naming the problem; nothing stored; healthy after', async () => {
    const { client, stored } = await start();
    const answer = await rawCall(client, path, malformedBody(signal, 'protobuf'));
    expect(answer.error?.code).toBe(GrpcCode.INVALID_ARGUMENT);
    expect(answer.error?.details).toMatch(/^truncated protobuf: the value at byte offset 1 needs \d+ bytes but only \d+ remain/);
    expect(await stored()).toEqual({ logs: 0, points: 0, spans: 0 });
    await expectHealthy(client, signal, stored);
  });

  it('a truncated frame is INVALID_ARGUMENT; nothing stored; healthy after', async () => {
    const { server, client, stored } = await start();
    const answer = await http2Call(server.port, path, new Uint8Array(0), { gzip: false, frame: Buffer.from([0, 0, 0, 0, 100, 0x0a, 2, 3]) });
    expect([answer.status, answer.message]).toEqual([String(GrpcCode.INVALID_ARGUMENT), 'no complete request message arrived (a truncated or missing frame)']);
    expect(await stored()).toEqual({ logs: 0, points: 0, spans: 0 });
    await expectHealthy(client, signal, stored);
  });

  it('a message over the cap, and a gzip bomb, are RESOURCE_EXHAUSTED; nothing stored; healthy after', async () => {
    const { server, client, stored } = await start({ maxBodyBytes: 65_536 });
    const big = await rawCall(client, path, new Uint8Array(70_000));
    expect([big.error?.code, big.error?.details]).toEqual([GrpcCode.RESOURCE_EXHAUSTED, expect.stringMatching(/larger than max \(70000 vs 65536\)/)]);
    const bomb = await http2Call(server.port, path, gzipSync(new Uint8Array(10 * 1024 * 1024)), { gzip: true });
    expect([bomb.status, bomb.message]).toEqual([String(GrpcCode.RESOURCE_EXHAUSTED), expect.stringMatching(/decompresses to a size larger than 65536/)]);
    expect(await stored()).toEqual({ logs: 0, points: 0, spans: 0 });
    await expectHealthy(client, signal, stored);
  });

  it('a wrong content-type is refused by grpc-js (HTTP 415); an unknown method is UNIMPLEMENTED; nothing stored; healthy after', async () => {
    const { server, client, stored } = await start();
    const json = await http2Call(server.port, path, signalBody(signal, 'json'), { gzip: false, contentType: 'application/json' });
    expect([json.httpStatus, json.status]).toEqual([415, undefined]);
    const unknown = await rawCall(client, path.replace(/\/Export$/, '/Exports'), signalBody(signal, 'protobuf'));
    expect(unknown.error?.code).toBe(GrpcCode.UNIMPLEMENTED);
    expect(unknown.error?.details).toContain('/Exports');
    expect(await stored()).toEqual({ logs: 0, points: 0, spans: 0 });
    await expectHealthy(client, signal, stored);
  });

  it('a message larger than the whole in-flight byte budget is RESOURCE_EXHAUSTED', async () => {
    const { client, stored } = await start({ inflight: new InflightBytes({ maxBytes: 64 }) });
    const answer = await rawCall(client, path, signalBody(signal, 'protobuf', { items: 5 }));
    expect([answer.error?.code, answer.error?.details]).toEqual([
      GrpcCode.RESOURCE_EXHAUSTED,
      "request body needs more than the collector's in-flight limit of 64 bytes",
    ]);
    expect(await stored()).toEqual({ logs: 0, points: 0, spans: 0 });
  });
});

/** A pipeline stub: refuses `refusals` times for overload (or fails with `failure`), then records. */
function flakyIngest(refusals: number, failure?: Error) {
  let calls = 0;
  const accepted: number[] = [];
  const take = (n: number) => {
    calls++;
    if (failure) return Promise.reject(failure);
    if (calls <= refusals) return Promise.reject(new IngestOverloadedError('the store is 9 items behind (limit 5); retry later', 2));
    accepted.push(n);
    return Promise.resolve();
  };
  const ingest: SignalIngest = { ingest: (s) => take(s.length), ingestLogs: (r) => take(r.length), ingestMetrics: (m) => take(m.length) };
  return { ingest, accepted, calls: () => calls };
}

describe('OTLP/gRPC overload and store failures', () => {
  it('waits for an overloaded pipeline (the JS gRPC exporters never retry) and answers OK once it takes the request', async () => {
    const flaky = flakyIngest(3);
    const { client } = await start({ ingest: flaky.ingest });
    const answer = await rawCall(client, OTLP_EXPORT_PATHS.logs, signalBody('logs', 'protobuf'));
    expect(answer.error).toBeNull();
    expect([flaky.calls(), flaky.accepted]).toEqual([4, [2]]);
  });

  it('past maxOverloadWaitMillis it is UNAVAILABLE with a RetryInfo of the pipeline\'s Retry-After', async () => {
    const flaky = flakyIngest(Number.MAX_SAFE_INTEGER);
    const { client } = await start({ ingest: flaky.ingest, maxOverloadWaitMillis: 0 });
    const answer = await rawCall(client, OTLP_EXPORT_PATHS.metrics, signalBody('metrics', 'protobuf'));
    expect([answer.error?.code, answer.error?.details]).toEqual([GrpcCode.UNAVAILABLE, 'the store is 9 items behind (limit 5); retry later']);
    const [statusBytes] = answer.error?.metadata.get(STATUS_DETAILS_KEY) as Buffer[];
    const [detail] = statusDetails(statusBytes);
    expect(detail.typeUrl).toBe(RETRY_INFO_TYPE_URL);
    expect(retryDelay(detail.value)).toEqual({ seconds: 2, nanos: 0 });
    expect(flaky.calls()).toBe(1);
  });

  it('a failed commit is UNAVAILABLE naming the signal, retry in 5 s, and logged (not INTERNAL: nothing was stored, a retry may work)', async () => {
    const { client } = await start({ ingest: flakyIngest(0, new Error('database or disk is full')).ingest });
    const original = console.error;
    const logged: unknown[] = [];
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      const answer = await rawCall(client, OTLP_EXPORT_PATHS.logs, signalBody('logs', 'protobuf'));
      expect([answer.error?.code, answer.error?.details]).toEqual([GrpcCode.UNAVAILABLE, 'could not store the log records: database or disk is full']);
      const [statusBytes] = answer.error?.metadata.get(STATUS_DETAILS_KEY) as Buffer[];
      expect(decodeStatus(statusBytes, 'protobuf').message).toBe('could not store the log records: database or disk is full');
      expect(retryDelay(statusDetails(statusBytes)[0].value)).toEqual({ seconds: 5, nanos: 0 });
      expect(logged).toHaveLength(1);
    } finally {
      console.error = original;
    }
  });

  it('decodes big messages on the decode pool, with the same result', async () => {
    const pool = new DecodePool({ threads: 1 });
    cleanups.push(() => pool.close());
    const { client, store } = await start({ decodePool: pool, offThreadDecodeBytes: 0 });
    for (const signal of SIGNALS) {
      const answer = await rawCall(client, OTLP_EXPORT_PATHS[signal], signalBody(signal, 'protobuf', { items: 3, rejected: true }));
      expect(answer.error).toBeNull();
      expect(answer.body?.byteLength).toBeGreaterThan(0);
    }
    expect((await store.listLogs({})).items.map((r) => r.body)).toEqual(['said 0', 'said 1', 'said 2']);
    expect((await store.listMetricPoints({})).items.map((p) => p.value)).toEqual([100n, 101n, 102n]);
  });

  it('rejects a maxOverloadWaitMillis that is not a number, naming it', () => {
    expect(() => createOtlpExportHandlers({ ingest: flakyIngest(0).ingest, maxOverloadWaitMillis: Number.NaN })).toThrow(
      /createOtlpExportHandlers: maxOverloadWaitMillis/,
    );
  });
});
