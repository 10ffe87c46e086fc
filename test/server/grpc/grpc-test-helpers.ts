/**
 * Clients for the OTLP/gRPC server tests: a raw grpc-js unary call (bytes in,
 * bytes out, status and trailers back), a hand-framed HTTP/2 call for what a
 * grpc-js client will not send (a gzip flag we set ourselves), a recording
 * HTTP/2 proxy (what an exporter really put on the wire), and a reader
 * for the `google.rpc.RetryInfo` detail of an `UNAVAILABLE` answer.
 */
import { connect, createServer } from 'node:http2';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Client, Metadata, credentials } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';

export interface CallAnswer {
  /** null when the call succeeded. */
  error: ServiceError | null;
  body: Buffer | undefined;
}

const identity = (bytes: Buffer): Buffer => bytes;

/** One unary call through grpc-js with pass-through serializers. */
export function rawCall(
  client: Client,
  path: string,
  body: Uint8Array,
  token?: string,
): Promise<CallAnswer> {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, Buffer.from(body), metadata, { deadline: Date.now() + 20_000 }, (error, answer) =>
      resolve({ error: error ?? null, body: answer }),
    );
  });
}

export function grpcClient(port: number, compression?: 'gzip'): Client {
  // 2 is gzip in grpc-js's compression algorithm numbering.
  return new Client(`127.0.0.1:${port}`, credentials.createInsecure(), compression === 'gzip' ? { 'grpc.default_compression_algorithm': 2 } : {});
}

export interface Http2Answer {
  /** The HTTP status (200 for every gRPC answer, whatever its grpc-status). */
  httpStatus: number | undefined;
  status: string | undefined;
  message: string | undefined;
  /** The response message (the length prefix removed), when one came. */
  body: Buffer | undefined;
}

/**
 * A gRPC call framed by hand over node:http2: with `gzip` the compressed flag
 * is set and `grpc-encoding: gzip` sent, so `payload` (gzip it first) goes as
 * a compressed message, exactly as the wire carries it. `frame` sends those
 * bytes instead of a well-formed frame; `contentType` replaces application/grpc.
 */
export function http2Call(
  port: number,
  path: string,
  payload: Uint8Array,
  options: { gzip: boolean; token?: string; contentType?: string; frame?: Uint8Array },
): Promise<Http2Answer> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const headers: Record<string, string> = {
      ':method': 'POST',
      ':path': path,
      'content-type': options.contentType ?? 'application/grpc',
      te: 'trailers',
    };
    if (options.gzip) headers['grpc-encoding'] = 'gzip';
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const stream = session.request(headers);
    const frame = options.frame ?? Buffer.alloc(5 + payload.byteLength);
    if (options.frame === undefined) {
      frame[0] = options.gzip ? 1 : 0;
      Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).writeUInt32BE(payload.byteLength, 1);
      frame.set(payload, 5);
    }
    let meta: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (meta = { ...meta, ...h }));
    stream.on('trailers', (h) => (meta = { ...meta, ...h }));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('close', () => {
      session.close();
      const data = Buffer.concat(chunks);
      const header = (name: string) => (typeof meta[name] === 'string' ? (meta[name] as string) : undefined);
      const message = header('grpc-message');
      const httpStatus = meta[':status'];
      resolve({
        httpStatus: typeof httpStatus === 'number' ? httpStatus : undefined,
        status: header('grpc-status'),
        message: message === undefined ? undefined : decodeURIComponent(message),
        body: data.byteLength >= 5 ? data.subarray(5, 5 + data.readUInt32BE(1)) : undefined,
      });
    });
    stream.end(frame);
  });
}

export interface StatusDetail {
  typeUrl: string;
  value: Uint8Array;
}

/** The `details` (field 3, `repeated google.protobuf.Any`) of a protobuf `google.rpc.Status`. */
export function statusDetails(status: Uint8Array): StatusDetail[] {
  const details: StatusDetail[] = [];
  const r = protobuf.Reader.create(status);
  while (r.pos < r.len) {
    const key = r.uint32();
    if (key >>> 3 !== 3) {
      r.skipType(key & 7);
      continue;
    }
    const any = protobuf.Reader.create(r.bytes());
    const detail: StatusDetail = { typeUrl: '', value: new Uint8Array(0) };
    while (any.pos < any.len) {
      const k = any.uint32();
      if (k >>> 3 === 1) detail.typeUrl = any.string();
      else if (k >>> 3 === 2) detail.value = any.bytes();
      else any.skipType(k & 7);
    }
    details.push(detail);
  }
  return details;
}

/** `google.rpc.RetryInfo.retry_delay` as `{ seconds, nanos }`. */
export function retryDelay(retryInfo: Uint8Array): { seconds: number; nanos: number } {
  const r = protobuf.Reader.create(retryInfo);
  const delay = { seconds: 0, nanos: 0 };
  while (r.pos < r.len) {
    const key = r.uint32();
    if (key >>> 3 !== 1) {
      r.skipType(key & 7);
      continue;
    }
    const d = protobuf.Reader.create(r.bytes());
    while (d.pos < d.len) {
      const k = d.uint32();
      if (k >>> 3 === 1) delay.seconds = Number(d.int64());
      else if (k >>> 3 === 2) delay.nanos = d.int32();
      else d.skipType(k & 7);
    }
  }
  return delay;
}

export interface SeenCall {
  path: string | undefined;
  grpcEncoding: string | undefined;
  authorization: string | undefined;
  /** The compressed flag of each length-prefixed message of the request. */
  compressedFlags: number[];
}

/** Headers without the HTTP/2 pseudo-headers (`:status`, `:path`…). */
function plain(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!name.startsWith(':')) out[name] = value;
  return out;
}

/**
 * A cleartext HTTP/2 pass-through in front of a gRPC server that records how
 * each request was encoded (`grpc-encoding`, each message's compressed flag),
 * so a test can tell an exporter really sent gzip. Answers are relayed as
 * they come: headers, messages, trailers.
 */
export async function recordingGrpcProxy(targetPort: number): Promise<{ port: number; seen: SeenCall[]; close(): Promise<void> }> {
  const seen: SeenCall[] = [];
  const upstream = connect(`http://127.0.0.1:${targetPort}`);
  const server = createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const compressedFlags: number[] = [];
      for (let at = 0; at + 5 <= body.byteLength; at += 5 + body.readUInt32BE(at + 1)) compressedFlags.push(body[at]);
      const header = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : undefined);
      seen.push({ path: header(':path'), grpcEncoding: header('grpc-encoding'), authorization: header('authorization'), compressedFlags });
      const forward = upstream.request({ ':method': 'POST', ':path': header(':path'), ...plain(headers) });
      let trailers: OutgoingHttpHeaders = {};
      forward.on('response', (h) => stream.respond({ ':status': h[':status'], ...plain(h) }, { waitForTrailers: true }));
      forward.on('data', (d: Buffer) => stream.write(d));
      forward.on('trailers', (t) => (trailers = plain(t)));
      stream.on('wantTrailers', () => stream.sendTrailers(trailers));
      forward.on('end', () => stream.end());
      forward.on('error', () => stream.close());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        upstream.close();
        server.close(() => resolve());
      }),
  };
}
