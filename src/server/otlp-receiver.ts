import { Hono } from 'hono';
import type { Context } from 'hono';
import { OtlpDecodeError, decodeTraceRequest, encodeExportResponse, encodeStatus } from '../otlp/index.js';
import type { OtlpFormat } from '../otlp/index.js';
import {
  BadEncodingError,
  BodyTooLargeError,
  decompressLimited,
  parseContentEncoding,
  readBodyLimited,
} from './request-body.js';
import { IngestOverloadedError } from './trace-ingest.js';
import type { TraceIngest } from './trace-ingest.js';

export interface OtlpReceiverOptions {
  ingest: TraceIngest;
  /** Limit on the body, before and after decompression. Default 64 MiB. */
  maxBodyBytes?: number;
  /** Called once per request with its outcome, for metrics. */
  onOutcome?: (outcome: ReceiveOutcome) => void;
}

export interface ReceiveOutcome {
  status: number;
  acceptedSpans: number;
  rejectedSpans: number;
  durationMillis: number;
}

const CONTENT_TYPES: Record<OtlpFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

const STORE_FAILURE_RETRY_AFTER_SECONDS = 5;

/** google.rpc.Code values used in Status bodies (the OTLP spec lets servers omit it; we set it). */
const RPC_CODE = { invalidArgument: 3, resourceExhausted: 8, unavailable: 14, internal: 13, unimplemented: 12 } as const;

export function parseOtlpContentType(header: string | undefined): OtlpFormat | null {
  const mediaType = (header ?? '').split(';', 1)[0].trim().toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return null;
}

/**
 * `POST /v1/traces` to the OTLP/HTTP specification: protobuf and JSON on one
 * route, gzip/deflate, bodies capped before and after decompression, a
 * `google.rpc.Status` body on every error, `partial_success` for spans
 * rejected one by one, and an answer only once the spans are durable.
 */
export function createOtlpReceiver(options: OtlpReceiverOptions): Hono {
  const { ingest, maxBodyBytes = 64 * 1024 * 1024, onOutcome } = options;
  const app = new Hono();

  app.post('/v1/traces', async function receiveTraces(c) {
    const startedAt = performance.now();
    let accepted = 0;
    let rejected = 0;
    const finish = (response: Response): Response => {
      onOutcome?.({
        status: response.status,
        acceptedSpans: accepted,
        rejectedSpans: rejected,
        durationMillis: performance.now() - startedAt,
      });
      return response;
    };

    const format = parseOtlpContentType(c.req.header('content-type'));
    if (format === null) {
      const got = c.req.header('content-type') ?? '(none)';
      return finish(
        statusResponse(c, 'json', 415, RPC_CODE.invalidArgument,
          `unsupported content type ${got}: send application/x-protobuf or application/json`),
      );
    }
    const encoding = parseContentEncoding(c.req.header('content-encoding'));
    if (encoding === null) {
      return finish(
        statusResponse(c, format, 415, RPC_CODE.invalidArgument,
          `unsupported content encoding ${c.req.header('content-encoding')}: send gzip, deflate or identity`),
      );
    }

    let body: Uint8Array;
    try {
      const declared = Number(c.req.header('content-length'));
      if (Number.isFinite(declared) && declared > maxBodyBytes) throw new BodyTooLargeError(maxBodyBytes, 'body');
      body = await readBodyLimited(c.req.raw.body, maxBodyBytes);
      body = await decompressLimited(body, encoding, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        return finish(statusResponse(c, format, 413, RPC_CODE.resourceExhausted, error.message));
      }
      if (error instanceof BadEncodingError) {
        return finish(statusResponse(c, format, 400, RPC_CODE.invalidArgument, error.message));
      }
      throw error;
    }

    let decoded;
    try {
      decoded = decodeTraceRequest(body, format);
    } catch (error) {
      if (error instanceof OtlpDecodeError) {
        return finish(statusResponse(c, format, 400, RPC_CODE.invalidArgument, error.message));
      }
      throw error;
    }
    rejected = decoded.rejectedSpans;

    try {
      if (decoded.spans.length > 0) await ingest.ingest(decoded.spans);
    } catch (error) {
      if (error instanceof IngestOverloadedError) {
        c.header('Retry-After', String(error.retryAfterSeconds));
        return finish(statusResponse(c, format, 503, RPC_CODE.unavailable, error.message));
      }
      // Nothing was committed (disk full, a lock held too long): the client
      // keeps the spans and retries, which 503 tells every OTLP exporter to do.
      console.error('skein: could not store spans:', error);
      const reason = error instanceof Error ? error.message : String(error);
      c.header('Retry-After', String(STORE_FAILURE_RETRY_AFTER_SECONDS));
      return finish(statusResponse(c, format, 503, RPC_CODE.unavailable, `could not store the spans: ${reason}`));
    }
    accepted = decoded.spans.length;

    const partial =
      decoded.rejectedSpans > 0
        ? { rejectedSpans: decoded.rejectedSpans, errorMessage: decoded.rejectionMessage ?? 'spans rejected' }
        : undefined;
    return finish(binary(c, format, 200, encodeExportResponse(format, partial)));
  });

  app.all('/v1/traces', function methodNotAllowed(c) {
    c.header('Allow', 'POST');
    return statusResponse(c, 'json', 405, RPC_CODE.unimplemented, `method ${c.req.method} not allowed on /v1/traces: use POST`);
  });

  return app;
}

function statusResponse(c: Context, format: OtlpFormat, status: number, code: number, message: string): Response {
  return binary(c, format, status, encodeStatus(format, code, message));
}

function binary(c: Context, format: OtlpFormat, status: number, bytes: Uint8Array): Response {
  c.header('Content-Type', CONTENT_TYPES[format]);
  // Hono's body() takes an ArrayBuffer view; a copy is not needed.
  return c.body(bytes as Uint8Array<ArrayBuffer>, status as 200);
}
