import type { BudgetConfig } from '../model/budgets.js';
import type { ModelPrice } from '../model/pricing.js';
import type { RedactionOptions } from '../model/redaction/redactor.js';
import type { RawSpan } from '../model/types.js';
import type { WireError } from '../processor/worker-protocol.js';
import type { CommitOutcome } from '../ingest/ingest-commit.js';
import type { StoreMode } from './options.js';

/** What the collector's writer thread is started with (structured-cloneable). */
export interface CollectorWriterData {
  dbPath: string;
  upstreams: string[];
  storeMode?: StoreMode;
  budgets?: BudgetConfig;
  redaction?: RedactionOptions;
  maxTextLength?: number;
  /** The price table as data (`priceTableEntries`); undefined: the shipped table. */
  prices?: Record<string, ModelPrice>;
}

export type ToCollectorWriter =
  | { type: 'commit'; id: number; spans: RawSpan[] }
  | { type: 'close' };

export type FromCollectorWriter =
  | { type: 'committed'; id: number; outcome: CommitOutcome }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'closed'; error?: WireError };
