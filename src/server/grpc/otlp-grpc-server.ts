/**
 * OTLP/gRPC receiver: `TraceService/Export`, and `LogsService/Export` and
 * `MetricsService/Export` when handlers for them are given, on grpc-js with
 * pass-through serializers (otlp-services.ts), so the bytes reach Skein's own
 * decoders. grpc-js does the framing, gzip/deflate (`grpc-encoding`) within
 * the receive cap, and answers `UNIMPLEMENTED` for a method not registered.
 *
 * The handlers that go through Skein's ingest pipeline: otlp-export-handlers.ts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Metadata, Server, ServerCredentials, ServerInterceptingCall, status as GrpcCode } from '@grpc/grpc-js';
import type { ServerInterceptor, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { numberOption } from '../../model/option-values.js';
import { exportErrorToGrpc, grpcError } from './grpc-status.js';
import { asBuffer, exportServiceDefinition } from './otlp-services.js';
import type { OtlpSignal } from './otlp-services.js';

/**
 * Takes one Export request's protobuf bytes (inflated) and resolves with the
 * encoded `Export*ServiceResponse` (empty for full success; with
 * `partial_success` when some items were rejected), once the data is durable.
 * Rejects with `OtlpDecodeError` for malformed data, with an error carrying a
 * numeric `retryAfterSeconds` (`IngestOverloadedError`) when overloaded.
 */
export type OtlpExportHandler = (body: Uint8Array, call?: OtlpExportCall) => Promise<Uint8Array>;

/** What a handler may ask of its call: whether the client has gone (cancelled, or past its deadline). */
export interface OtlpExportCall {
  readonly cancelled: boolean;
}

export interface OtlpGrpcServerOptions {
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Port to bind; 0 picks a free one (see `RunningOtlpGrpcServer.port`). */
  port: number;
  /** One handler per signal; a signal without one answers `UNIMPLEMENTED`. */
  handlers: { traces?: OtlpExportHandler; logs?: OtlpExportHandler; metrics?: OtlpExportHandler };
  /** When set, every call needs `authorization: Bearer <token>` metadata, else `UNAUTHENTICATED`. */
  token?: string;
  /** Largest request message, after inflating; over it `RESOURCE_EXHAUSTED`. Default 64 MiB, as on HTTP. */
  maxBodyBytes?: number;
  /** How long `close()` lets in-flight calls finish before cancelling them. Default 5000 ms. */
  closeGraceMs?: number;
  /** Where errors that become `INTERNAL` are reported. Default: console.error. */
  onInternalError?: (error: unknown) => void;
}

export interface RunningOtlpGrpcServer {
  host: string;
  /** The bound port (the free one chosen when `port` was 0). */
  port: number;
  /** Stops accepting calls, lets in-flight ones finish within the grace, then cancels the rest. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
const SIGNALS: readonly OtlpSignal[] = ['traces', 'logs', 'metrics'];

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time check of `authorization: Bearer <token>` (both sides hashed, so lengths do not leak). */
function bearerChecker(token: string): (values: readonly unknown[]) => boolean {
  const expected = digest(token);
  return (values) => {
    if (values.length !== 1 || typeof values[0] !== 'string') return false;
    const match = /^Bearer\s+(.+)$/i.exec(values[0].trim());
    return match !== null && timingSafeEqual(digest(match[1]), expected);
  };
}

const UNAUTHENTICATED_MESSAGE = 'missing or wrong bearer token (authorization metadata)';

/**
 * Answers `UNAUTHENTICATED` as soon as the call's metadata is in, so the
 * message of a client without the token is never read or inflated (an
 * unauthenticated client cannot make the server gunzip up to the cap).
 * Interceptors run only for registered methods: an unknown one is
 * `UNIMPLEMENTED` with or without the token.
 */
function tokenInterceptor(authorized: (values: readonly unknown[]) => boolean): ServerInterceptor {
  return (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            if (authorized(metadata.get('authorization'))) pass(metadata);
            else call.sendStatus({ code: GrpcCode.UNAUTHENTICATED, details: UNAUTHENTICATED_MESSAGE, metadata: new Metadata() });
          },
        }),
    });
}

/**
 * grpc-js answers a unary call whose request message never completed (a
 * truncated or missing frame), or that carried two, with `UNIMPLEMENTED`
 * and a message about "server streaming"; a client would read that as "no
 * such method". The OTLP spec's status for malformed data is
 * `INVALID_ARGUMENT`, with a message naming the problem.
 */
function framingStatusInterceptor(): ServerInterceptor {
  return (_method, call) =>
    new ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        if (status.code === GrpcCode.UNIMPLEMENTED && status.details.startsWith('Received no request message')) {
          next({ ...status, code: GrpcCode.INVALID_ARGUMENT, details: 'no complete request message arrived (a truncated or missing frame)' });
        } else if (status.code === GrpcCode.UNIMPLEMENTED && status.details.startsWith('Received a second request message')) {
          next({ ...status, code: GrpcCode.INVALID_ARGUMENT, details: 'more than one request message on the unary Export call' });
        } else {
          next(status);
        }
      },
    });
}

function bindAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Binds `host:port` and serves the Export methods of the signals that have a
 * handler. Resolves once listening, with the bound port; rejects with an
 * error naming the address when it cannot bind, and with `OptionValueError`
 * for an option that is not a valid number.
 */
export async function startOtlpGrpcServer(options: OtlpGrpcServerOptions): Promise<RunningOtlpGrpcServer> {
  const owner = 'startOtlpGrpcServer';
  const host = options.host ?? '127.0.0.1';
  const requestedPort = numberOption(owner, 'port', options.port, 0, { min: 0, max: 65_535, integer: true });
  const maxBodyBytes = numberOption(owner, 'maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, {
    min: 1,
    max: 2 ** 31 - 1, // grpc-js keeps message lengths in an int32
    integer: true,
  });
  const closeGraceMs = numberOption(owner, 'closeGraceMs', options.closeGraceMs, 5000, { min: 0, integer: true });
  const onInternalError = options.onInternalError ?? ((error: unknown) => console.error('skein: gRPC export failed:', error));
  const authorized = options.token === undefined ? undefined : bearerChecker(options.token);

  const server = new Server({
    'grpc.max_receive_message_length': maxBodyBytes,
    interceptors: authorized === undefined ? [framingStatusInterceptor()] : [tokenInterceptor(authorized), framingStatusInterceptor()],
  });

  for (const signal of SIGNALS) {
    const handler = options.handlers[signal];
    if (handler === undefined) continue;
    server.addService(exportServiceDefinition(signal), {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        // grpc-js enforces the cap already (after inflating); this keeps the promise if that ever changes.
        if (call.request.byteLength > maxBodyBytes) {
          callback(grpcError(GrpcCode.RESOURCE_EXHAUSTED, `request of ${call.request.byteLength} bytes is over the ${maxBodyBytes}-byte limit`));
          return;
        }
        // A handler that throws instead of rejecting is answered the same way (not grpc-js's UNKNOWN).
        new Promise<Uint8Array>((resolve) => resolve(handler(call.request, call))).then(
          (answer) => callback(null, asBuffer(answer)),
          (error: unknown) => callback(exportErrorToGrpc(error, onInternalError)),
        );
      },
    });
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(bindAddress(host, requestedPort), ServerCredentials.createInsecure(), (error, bound) => {
      if (error) {
        server.forceShutdown();
        reject(new Error(`${owner}: cannot listen on ${bindAddress(host, requestedPort)}: ${error.message}`));
      } else {
        resolve(bound);
      }
    });
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => server.forceShutdown(), closeGraceMs);
      force.unref();
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    return closing;
  };

  return { host, port, close };
}
