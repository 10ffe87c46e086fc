import { Hono } from 'hono';
import type { Context } from 'hono';
import { OtlpDecodeError, RPC_CODE, encodeStatus } from '../otlp/index.js';
import type { OtlpFormat } from '../otlp/index.js';
import { numberOption } from '../model/option-values.js';
import { OTLP_SIGNALS } from '../model/signals.js';
import type { OtlpSignal } from '../model/signals.js';
import { DecodePool, DecodeThreadError } from './decode-pool.js';
import { InflightBytes, InflightBytesBusyError, InflightBytesTooLargeError } from './inflight-bytes.js';
import type { BodyCharge } from './inflight-bytes.js';
import {
  BadEncodingError,
  BodyTooLargeError,
  decompressLimited,
  parseContentEncoding,
  readBodyLimited,
} from './request-body.js';
import type { ContentEncoding } from './request-body.js';
import { IngestOverloadedError, SpansRefusedError } from '../ingest/trace-ingest.js';
import type { SignalIngest, TraceIngest } from '../ingest/trace-ingest.js';
import { SIGNAL_NOUNS, decodeSignalRequest, encodeSignalResponse, partialSuccessOf } from './otlp-signals.js';
import type { OffThreadDecoding, SignalRequest } from './otlp-signals.js';

export interface OtlpReceiverOptions {
  /** The pipeline (`SignalIngest`: every signal is served); one that takes spans only serves `/v1/traces` alone. */
  ingest: SignalIngest | TraceIngest;
  /** Limit on the body, before and after decompression. Default 64 MiB. */
  maxBodyBytes?: number;
  /**
   * Bytes of request bodies held at once over all requests, compressed and
   * inflated (see InflightBytes). Past it a request waits up to a second for
   * room, then gets 503 + Retry-After. Default 256 MiB. Ignored when `inflight` is given.
   */
  maxInflightBytes?: number;
  /** The budget itself, to share it or to read its counters (tests, metrics). */
  inflight?: InflightBytes;
  /**
   * Where bodies of `offThreadDecodeBytes` or more are decoded. Default: a
   * pool of the receiver's own, whose idle threads never keep the process
   * alive; pass one to end its threads with the server (`close()`).
   */
  decodePool?: DecodePool;
  /** Bodies (after decompression) from this size on are decoded on the pool, whatever their signal. Default 256 KiB. */
  offThreadDecodeBytes?: number;
  /** Called once per request with its outcome, for metrics. */
  onOutcome?: (outcome: ReceiveOutcome) => void;
}

export interface ReceiveOutcome {
  signal: OtlpSignal;
  status: number;
  /** Spans, log records or metric data points durably accepted. */
  accepted: number;
  /** Items rejected (one by one, or the whole request's when the store refused them for good). */
  rejected: number;
  durationMillis: number;
}

const CONTENT_TYPES: Record<OtlpFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

const STORE_FAILURE_RETRY_AFTER_SECONDS = 5;

/**
 * Bodies from this size on (after decompression) decode on a thread of the
 * pool. Below it the hop costs more than decoding does (see the pool's bench
 * in the README); above it decoding would hold the API up for milliseconds.
 */
const DEFAULT_OFF_THREAD_DECODE_BYTES = 256 * 1024;

/** What a request without Content-Length waits for room for before its first byte is read. */
const UNKNOWN_LENGTH_ADMISSION_BYTES = 64 * 1024;

export function parseOtlpContentType(header: string | undefined): OtlpFormat | null {
  const mediaType = (header ?? '').split(';', 1)[0].trim().toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return null;
}

/** Whether the pipeline takes logs and metrics too (a spans-only ingest, as in some tests and benches, serves `/v1/traces` alone). */
function takesEverySignal(ingest: TraceIngest | SignalIngest): ingest is SignalIngest {
  return 'ingestLogs' in ingest && 'ingestMetrics' in ingest;
}

/**
 * `POST /v1/traces`, `/v1/logs` and `/v1/metrics` to the OTLP/HTTP
 * specification, one handler for the three: protobuf and JSON on one route,
 * gzip/deflate, bodies capped before and after decompression, a
 * `google.rpc.Status` body on every error, `partial_success` for items
 * rejected one by one, and an answer only once the data is durable.
 */
export function createOtlpReceiver(options: OtlpReceiverOptions): Hono {
  const { ingest, maxBodyBytes = 64 * 1024 * 1024, onOutcome } = options;
  const inflight = options.inflight ?? new InflightBytes({ maxBytes: options.maxInflightBytes });
  const fromBytes = numberOption('createOtlpReceiver', 'offThreadDecodeBytes', options.offThreadDecodeBytes,
    DEFAULT_OFF_THREAD_DECODE_BYTES, { min: 0 });
  let ownPool: DecodePool | undefined;
  const offThread: OffThreadDecoding = { pool: () => options.decodePool ?? (ownPool ??= new DecodePool()), fromBytes };
  const app = new Hono();

  async function receive(c: Context, signal: OtlpSignal, into: SignalIngest): Promise<Response> {
    const startedAt = performance.now();
    const noun = SIGNAL_NOUNS[signal];
    let accepted = 0;
    let rejected = 0;
    const finish = (response: Response): Response => {
      onOutcome?.({ signal, status: response.status, accepted, rejected, durationMillis: performance.now() - startedAt });
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

    // Held from the first byte read until the answer: the body as read and inflated, then,
    // at the inflated body's size, the items decoded from it until they are committed.
    const charge = inflight.open();
    try {
      let body: Uint8Array;
      try {
        body = await readBody(c, encoding, maxBodyBytes, charge);
      } catch (error) {
        if (error instanceof BodyTooLargeError || error instanceof InflightBytesTooLargeError) {
          return finish(statusResponse(c, format, 413, RPC_CODE.resourceExhausted, error.message));
        }
        if (error instanceof InflightBytesBusyError) {
          c.header('Retry-After', String(error.retryAfterSeconds));
          return finish(statusResponse(c, format, 503, RPC_CODE.unavailable, error.message));
        }
        if (error instanceof BadEncodingError) {
          return finish(statusResponse(c, format, 400, RPC_CODE.invalidArgument, error.message));
        }
        throw error;
      }

      let request: SignalRequest;
      try {
        request = await decodeSignalRequest(signal, body, format, offThread);
      } catch (error) {
        if (error instanceof OtlpDecodeError) {
          return finish(statusResponse(c, format, 400, RPC_CODE.invalidArgument, error.message));
        }
        if (error instanceof DecodeThreadError) {
          if (error.closing) {
            c.header('Retry-After', String(STORE_FAILURE_RETRY_AFTER_SECONDS));
            return finish(statusResponse(c, format, 503, RPC_CODE.unavailable, error.message));
          }
          // Most likely the body itself (it ran the thread out of memory): sending it again would not help.
          console.error('skein:', error.message);
          return finish(statusResponse(c, format, 500, RPC_CODE.internal, error.message));
        }
        throw error;
      }
      rejected = request.rejected;

      try {
        if (request.count > 0) await request.ingest(into);
      } catch (error) {
        if (error instanceof IngestOverloadedError) {
          c.header('Retry-After', String(error.retryAfterSeconds));
          return finish(statusResponse(c, format, 503, RPC_CODE.unavailable, error.message));
        }
        if (error instanceof SpansRefusedError) {
          // Permanent (OTLP/HTTP "Failures"): these items fail the same way every time, so no retry.
          rejected += request.count;
          return finish(statusResponse(c, format, 400, RPC_CODE.invalidArgument, error.message));
        }
        // Nothing was committed (disk full, a lock held too long): the client
        // keeps the data and retries, which 503 tells every OTLP exporter to do.
        console.error(`skein: could not store ${noun}:`, error);
        const reason = error instanceof Error ? error.message : String(error);
        c.header('Retry-After', String(STORE_FAILURE_RETRY_AFTER_SECONDS));
        return finish(statusResponse(c, format, 503, RPC_CODE.unavailable, `could not store the ${noun}: ${reason}`));
      }
      accepted = request.count;
      const partial = partialSuccessOf(signal, request);
      return finish(binary(c, format, 200, encodeSignalResponse(signal, format, partial?.rejected ?? 0, partial?.message ?? '')));
    } finally {
      charge.release();
    }
  }

  const signals: readonly OtlpSignal[] = takesEverySignal(ingest) ? OTLP_SIGNALS : ['traces'];
  const into: SignalIngest = takesEverySignal(ingest) ? ingest : spansOnly(ingest);
  for (const signal of signals) {
    // The OTel Collector also accepts `/v1/<signal>/`; some exporters are configured with the slash.
    const paths = [`/v1/${signal}`, `/v1/${signal}/`];
    app.on('POST', paths, (c) => receive(c, signal, into));
    const methodNotAllowed = (c: Context) => {
      c.header('Allow', 'POST');
      return statusResponse(c, 'json', 405, RPC_CODE.unimplemented, `method ${c.req.method} not allowed on /v1/${signal}: use POST`);
    };
    for (const path of paths) app.all(path, methodNotAllowed);
  }
  return app;
}

/** A spans-only ingest seen as a SignalIngest: its logs and metrics routes are not mounted, so these are never called. */
function spansOnly(ingest: TraceIngest): SignalIngest {
  const never = (): Promise<void> => Promise.reject(new Error('this ingest takes spans only'));
  return { ingest: (spans) => ingest.ingest(spans), ingestLogs: never, ingestMetrics: never };
}

/**
 * The body, read and inflated within `maxBodyBytes`, every buffer charged to
 * `charge`. A request first waits for room for its declared length (or a
 * first 64 KiB when it declares none), so that a burst queues before its
 * bytes are read; past that, growing is refused at once rather than waited for.
 */
async function readBody(c: Context, encoding: ContentEncoding, maxBodyBytes: number, charge: BodyCharge): Promise<Uint8Array> {
  const header = c.req.header('content-length');
  const declared = header === undefined ? NaN : Number(header);
  if (Number.isFinite(declared) && declared > maxBodyBytes) throw new BodyTooLargeError(maxBodyBytes, 'body');
  const known = Number.isSafeInteger(declared) && declared >= 0;
  await charge.admit(known ? declared : Math.min(UNKNOWN_LENGTH_ADMISSION_BYTES, maxBodyBytes));
  const body = await readBodyLimited(c.req.raw.body, maxBodyBytes, charge, known ? declared : undefined);
  return decompressLimited(body, encoding, maxBodyBytes, charge);
}

function statusResponse(c: Context, format: OtlpFormat, status: number, code: number, message: string): Response {
  return binary(c, format, status, encodeStatus(format, code, message));
}

function binary(c: Context, format: OtlpFormat, status: number, bytes: Uint8Array): Response {
  c.header('Content-Type', CONTENT_TYPES[format]);
  // Hono's body() takes an ArrayBuffer view; a copy is not needed.
  return c.body(bytes as Uint8Array<ArrayBuffer>, status as 200);
}
