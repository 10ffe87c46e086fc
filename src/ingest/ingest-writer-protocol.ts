import type { RawSpan } from '../model/types.js';
import type { EncodedBatch } from './encoded-batch.js';
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
 * What the thread is given to commit: spans as received, a batch of every
 * signal as received (the collector's group commit; structured clone carries
 * its bigints and byte arrays), or a batch of the processor's `SpanBatchEncoder`.
 */
export type CommitWork = RawSpan[] | SignalBatch | EncodedBatch;

/** An encoded span batch (it alone has `ints`), as opposed to spans or signals as received. */
export function isEncodedBatch(work: CommitWork): work is EncodedBatch {
  return !Array.isArray(work) && 'ints' in work;
}

export type ToIngestWriter =
  | { type: 'commit'; id: number; work: CommitWork }
  /** Answered once everything posted before it is answered. */
  | { type: 'flush'; id: number }
  | { type: 'close' };

export type FromIngestWriter =
  | { type: 'committed'; id: number; outcome: CommitOutcome }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'flushed'; id: number }
  | { type: 'closed'; error?: WireError };
