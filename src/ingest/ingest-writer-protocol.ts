import type { RawSpan } from '../model/types.js';
import { decodeProtobufTraceRequest } from '../otlp/decode-protobuf.js';
import type { CommitOutcome } from './ingest-commit.js';
import type { IngestSettings } from './ingest-settings.js';
import type { SignalBatch } from './signal-batch.js';
import type { WireError } from './wire-error.js';

/** What the writer thread is started with (structured-cloneable: the settings cross as data, one way). */
export interface IngestWriterData {
  dbPath: string;
  /** Without `localPrices` (`crossesThreads`). */
  settings: IngestSettings;
  /** Who the thread writes for, in its errors (`skein`, `SkeinSpanProcessor`). */
  owner: string;
}

/**
 * An OTLP `ExportTraceServiceRequest` in protobuf, as the processor encodes
 * its spans: posted with its ArrayBuffer transferred (not copied), decoded
 * on the thread by the collector's own decoder, and the buffer given back.
 */
export interface TraceRequestWork {
  traces: Uint8Array;
}

/**
 * What the thread is given to commit: spans as received, a batch of every
 * signal as received (the collector's group commit; structured clone carries
 * its bigints and byte arrays), or a trace request's bytes.
 */
export type CommitWork = RawSpan[] | SignalBatch | TraceRequestWork;

export function isTraceRequest(work: CommitWork): work is TraceRequestWork {
  return !Array.isArray(work) && 'traces' in work;
}

/** Spans of a trace request the decoder refused, as the collector refuses them (an id of the wrong length, a session id too long). */
export interface RejectedSpans {
  count: number;
  /** The decoder's summary, naming each span's place in the request and why. */
  message: string;
}

/** A commit's outcome, with the spans of a trace request that could not be kept. */
export type WriterOutcome = CommitOutcome & { rejected?: RejectedSpans };

/** What to commit from `work` (a trace request decoded), on whichever thread commits it. Throws on a request that does not decode. */
export function receivedFrom(work: CommitWork): { received: RawSpan[] | SignalBatch; rejected?: RejectedSpans } {
  if (!isTraceRequest(work)) return { received: work };
  const decoded = decodeProtobufTraceRequest(work.traces);
  if (decoded.rejectedSpans === 0) return { received: decoded.spans };
  return { received: decoded.spans, rejected: { count: decoded.rejectedSpans, message: decoded.rejectionMessage ?? '' } };
}

export type ToIngestWriter =
  | { type: 'commit'; id: number; work: CommitWork }
  /** Answered once everything posted before it is answered. */
  | { type: 'flush'; id: number }
  | { type: 'close' };

export type FromIngestWriter =
  /** `buffer`: a trace request's, given back (transferred) once decoded. */
  | { type: 'committed'; id: number; outcome: WriterOutcome; buffer?: ArrayBuffer }
  | { type: 'failed'; id: number; error: WireError; buffer?: ArrayBuffer }
  | { type: 'flushed'; id: number }
  | { type: 'closed'; error?: WireError };
