/**
 * The OTLP/gRPC `Export` handlers of the three signals, for
 * `startOtlpGrpcServer`: the path every OTLP/HTTP request takes, from the
 * inflated message on (grpc-js has framed, inflated and capped it) — the
 * in-flight byte budget, decoding (inline, or on the decode pool for big
 * messages), the ingest pipeline, and the encoded `Export*ServiceResponse`
 * with `partial_success` — answered only once the data is durable.
 *
 * Overload: the official OTel JS gRPC exporters never retry (an
 * `UNAVAILABLE` loses the batch), so while the pipeline or the byte budget
 * is full an Export waits and tries again, up to `maxOverloadWaitMillis`
 * (default 5 s, half the exporters' 10 s timeout) in all, before it is
 * answered `UNAVAILABLE` with a RetryInfo. HTTP answers 503 at once instead:
 * its exporters retry by themselves.
 */
import { status as GrpcCode } from '@grpc/grpc-js';
import { IngestOverloadedError, SpansRefusedError } from '../../ingest/trace-ingest.js';
import type { SignalIngest } from '../../ingest/trace-ingest.js';
import { OTLP_SIGNALS } from '../../model/signals.js';
import type { OtlpSignal } from '../../model/signals.js';
import { numberOption } from '../../model/option-values.js';
import { OtlpDecodeError } from '../../otlp/index.js';
import { DecodePool, DecodeThreadError } from '../decode-pool.js';
import { InflightBytes, InflightBytesBusyError } from '../inflight-bytes.js';
import { SIGNAL_NOUNS, decodeSignalRequest, encodeSignalResponse, partialSuccessOf } from '../otlp-signals.js';
import type { OffThreadDecoding, SignalRequest } from '../otlp-signals.js';
import type { RecordOutcome } from '../receiver-metrics.js';
import { exportErrorCode } from './grpc-status.js';
import type { OtlpExportCall, OtlpExportHandler } from './otlp-grpc-server.js';

export interface OtlpExportHandlersOptions {
  ingest: SignalIngest;
  /** The byte budget shared with the HTTP receiver (pass the same one). Default: one of its own, 256 MiB. */
  inflight?: InflightBytes;
  /** Where messages of `offThreadDecodeBytes` or more decode (pass the HTTP receiver's). Default: a pool of its own. */
  decodePool?: DecodePool;
  /** Messages from this size on decode on the pool. Default 256 KiB, as on HTTP. */
  offThreadDecodeBytes?: number;
  /** The longest an Export waits in all for an overloaded pipeline or byte budget before `UNAVAILABLE`. Default 5000 ms; 0 refuses at once. */
  maxOverloadWaitMillis?: number;
  /** Called once per Export with its outcome, for metrics (`grpcOutcomeRecorder`). */
  onOutcome?: RecordOutcome;
}

const OWNER = 'createOtlpExportHandlers';
const DEFAULT_OFF_THREAD_DECODE_BYTES = 256 * 1024;
/** Between tries while overloaded: a group commit takes milliseconds to tens of milliseconds. */
const OVERLOAD_RETRY_MILLIS = 50;
/** What a client is told to wait when the store failed or the collector is shutting down, as on HTTP. */
const STORE_FAILURE_RETRY_AFTER_SECONDS = 5;

/** A failure the client should retry after a while: answered `UNAVAILABLE` with a RetryInfo. */
class RetryLaterError extends Error {
  override name = 'RetryLaterError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Overloaded now, and may not be in a moment: worth waiting for. */
function isOverload(error: unknown): boolean {
  return error instanceof IngestOverloadedError || error instanceof InflightBytesBusyError;
}

/** The three handlers, to pass as `startOtlpGrpcServer({ handlers })`. Throws `OptionValueError` for a bad number. */
export function createOtlpExportHandlers(options: OtlpExportHandlersOptions): Record<OtlpSignal, OtlpExportHandler> {
  const { ingest, onOutcome } = options;
  const inflight = options.inflight ?? new InflightBytes();
  const fromBytes = numberOption(OWNER, 'offThreadDecodeBytes', options.offThreadDecodeBytes, DEFAULT_OFF_THREAD_DECODE_BYTES, { min: 0 });
  const maxWait = numberOption(OWNER, 'maxOverloadWaitMillis', options.maxOverloadWaitMillis, 5_000, { min: 0, max: 60_000 });
  let ownPool: DecodePool | undefined;
  const offThread: OffThreadDecoding = { pool: () => options.decodePool ?? (ownPool ??= new DecodePool()), fromBytes };

  /** Runs `attempt` until it is not refused for overload, the wait is used up, or the client has gone. */
  async function patiently(attempt: () => Promise<void>, deadline: number, call: OtlpExportCall | undefined): Promise<void> {
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        if (!isOverload(error) || call?.cancelled === true || performance.now() + OVERLOAD_RETRY_MILLIS > deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, OVERLOAD_RETRY_MILLIS));
    }
  }

  function handler(signal: OtlpSignal): OtlpExportHandler {
    return async (body, call) => {
      const startedAt = performance.now();
      const deadline = startedAt + maxWait;
      let request: SignalRequest | undefined;
      const charge = inflight.open();
      try {
        // grpc-js holds the inflated message already: it is charged before it is decoded, as on HTTP.
        await patiently(async () => {
          await charge.admit(body.byteLength);
          charge.add(body.byteLength);
        }, deadline, call);
        request = await decode(signal, body);
        const decoded = request;
        if (decoded.count > 0) await patiently(() => store(signal, decoded), deadline, call);
        const partial = partialSuccessOf(signal, decoded);
        onOutcome?.({ signal, status: 'OK', accepted: decoded.count, rejected: decoded.rejected, durationMillis: performance.now() - startedAt });
        return encodeSignalResponse(signal, 'protobuf', partial?.rejected ?? 0, partial?.message ?? '');
      } catch (error) {
        const refused = error instanceof SpansRefusedError ? (request?.count ?? 0) : 0;
        onOutcome?.({
          signal,
          status: GrpcCode[exportErrorCode(error)],
          accepted: 0,
          rejected: (request?.rejected ?? 0) + refused,
          durationMillis: performance.now() - startedAt,
        });
        throw error;
      } finally {
        charge.release();
      }
    };
  }

  async function decode(signal: OtlpSignal, body: Uint8Array): Promise<SignalRequest> {
    try {
      return await decodeSignalRequest(signal, body, 'protobuf', offThread);
    } catch (error) {
      if (error instanceof DecodeThreadError && error.closing) throw new RetryLaterError(error.message, STORE_FAILURE_RETRY_AFTER_SECONDS);
      if (error instanceof DecodeThreadError) console.error('skein:', error.message);
      throw error;
    }
  }

  async function store(signal: OtlpSignal, request: SignalRequest): Promise<void> {
    try {
      await request.ingest(ingest);
    } catch (error) {
      if (isOverload(error) || error instanceof SpansRefusedError || error instanceof OtlpDecodeError) throw error;
      // Nothing was committed (disk full, a lock held too long): as on HTTP, the client keeps the data and may retry.
      const noun = SIGNAL_NOUNS[signal];
      console.error(`skein: could not store ${noun}:`, error);
      const reason = error instanceof Error ? error.message : String(error);
      throw new RetryLaterError(`could not store the ${noun}: ${reason}`, STORE_FAILURE_RETRY_AFTER_SECONDS);
    }
  }

  return Object.fromEntries(OTLP_SIGNALS.map((signal) => [signal, handler(signal)])) as Record<OtlpSignal, OtlpExportHandler>;
}
