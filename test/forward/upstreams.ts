/**
 * Real upstreams for the forwarder's tests, recording what arrives: an
 * OTLP/HTTP server (path, headers, bytes) and an OTLP/gRPC server on grpc-js
 * (method, metadata, bytes), each answering as the test says. And payloads
 * of every signal, encoded by the protobufjs oracle, with a reader that
 * names their items so a test can check what was delivered, in what order.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Metadata, Server, ServerCredentials } from '@grpc/grpc-js';
import type { ServerErrorResponse, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { OtlpSignal } from '../../src/model/signals.js';
import { decodeLogsRequest, decodeMetricsRequest, decodeTraceRequest, encodeTraceRequest } from '../../src/otlp/index.js';
import { exportServiceDefinition } from '../../src/server/grpc/otlp-services.js';
import { opentelemetry } from '../oracle/otlp/generated/otlp.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { long } from '../otlp/oracle-longs.js';

const LogsRequest = opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
const MetricsRequest = opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

export interface Payload {
  signal: OtlpSignal;
  bytes: Uint8Array;
  /** What `itemsOf` reads back: span ids, log bodies, metric names. */
  items: string[];
}

let serial = 0;

/** An Export request of `signal` with `count` items, each named uniquely. */
export function payloadOf(signal: OtlpSignal, count: number): Payload {
  const names = Array.from({ length: count }, () => `${signal}-${++serial}`);
  if (signal === 'traces') {
    const spans = names.map(() => makeRawSpan());
    return { signal, bytes: new Uint8Array(encodeTraceRequest(spans, 'protobuf')), items: spans.map((s) => s.spanId) };
  }
  const time = { timeUnixNano: long(BigInt(Date.now()) * 1_000_000n) };
  if (signal === 'logs') {
    const logRecords = names.map((name) => ({ ...time, body: { stringValue: name } }));
    return { signal, bytes: new Uint8Array(LogsRequest.encode({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] }).finish()), items: names };
  }
  const metrics = names.map((name) => ({ name, gauge: { dataPoints: [{ ...time, asDouble: 1 }] } }));
  return { signal, bytes: new Uint8Array(MetricsRequest.encode({ resourceMetrics: [{ scopeMetrics: [{ metrics }] }] }).finish()), items: names };
}

/** The item names in an Export request of `signal` (throws when the bytes are not one). */
export function itemsOf(signal: OtlpSignal, bytes: Uint8Array): string[] {
  if (signal === 'traces') return decodeTraceRequest(bytes, 'protobuf').spans.map((s) => s.spanId);
  if (signal === 'logs') return decodeLogsRequest(bytes, 'protobuf').records.map((r) => String(r.body));
  return decodeMetricsRequest(bytes, 'protobuf').metrics.map((m) => m.name);
}

export interface Received {
  /** HTTP: the path; gRPC: the Export method's signal. */
  signal: OtlpSignal | null;
  path: string;
  headers: IncomingHttpHeaders | Record<string, string>;
  body: Uint8Array;
}

interface Recorder {
  received: Received[];
  /** The items of every request, in arrival order. */
  items(): string[];
  close(): Promise<void>;
}

const HTTP_SIGNALS: Record<string, OtlpSignal> = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' };

export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

export async function startHttpUpstream(
  reply: (index: number) => HttpReply = () => ({ status: 200 }),
): Promise<Recorder & { url: string; port: number }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Uint8Array = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const path = req.url ?? '';
      const answer = reply(received.length);
      const signal = HTTP_SIGNALS[path.split('?')[0]] ?? null;
      received.push({ signal, path, headers: req.headers, body: new Uint8Array(body) });
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    items: () => received.filter((r) => r.signal !== null).flatMap((r) => itemsOf(r.signal!, r.body)),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a gRPC upstream answers one call with: OK (no `code`, an optional response body) or an error status. */
export interface GrpcReply {
  response?: Uint8Array;
  code?: number;
  details?: string;
  /** A `google.rpc.Status` for `grpc-status-details-bin`. */
  statusDetails?: Uint8Array;
}

/** A grpc-js server with the three Export methods; `port` 0 picks a free one. */
export async function startGrpcUpstream(
  reply: (index: number, signal: OtlpSignal) => GrpcReply = () => ({}),
  port = 0,
): Promise<Recorder & { address: string; port: number }> {
  const received: Received[] = [];
  const server = new Server();
  for (const signal of ['traces', 'logs', 'metrics'] as const) {
    server.addService(exportServiceDefinition(signal), {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        const answer = reply(received.length, signal);
        const headers = Object.fromEntries(Object.entries(call.metadata.getMap()).map(([k, v]) => [k, String(v)]));
        received.push({ signal, path: call.getPath(), headers, body: new Uint8Array(call.request) });
        if (answer.code !== undefined) {
          const details = answer.details ?? '';
          const error: ServerErrorResponse = Object.assign(new Error(details), { code: answer.code, details });
          if (answer.statusDetails !== undefined) {
            error.metadata = new Metadata();
            error.metadata.set('grpc-status-details-bin', Buffer.from(answer.statusDetails));
          }
          callback(error);
        } else {
          callback(null, Buffer.from(answer.response ?? new Uint8Array()));
        }
      },
    });
  }
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${bound}`,
    port: bound,
    received,
    items: () => received.flatMap((r) => itemsOf(r.signal!, r.body)),
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** A port nothing listens on now (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
