import { resolveIngestSettings } from '../ingest/ingest-settings.js';
import type { IngestSettings } from '../ingest/ingest-settings.js';
import { parseBudgetConfig } from '../model/budgets.js';
import { numberOption, optionalNumberOption } from '../model/option-values.js';
import { loadSkeinConfigFile } from '../model/skein-config.js';
import type { SkeinSpanProcessorOptions } from './skein-span-processor-options.js';

export interface ProcessorSettings {
  maxBatchSize: number;
  maxQueueSize: number;
  flushIntervalMillis: number;
  /** The redaction, text limit, prices and budgets every batch is written with. */
  ingest: IngestSettings;
}

/** setTimeout runs a longer delay after 1 ms. */
const MAX_TIMER_MILLIS = 2 ** 31 - 1;
const OWNER = 'SkeinSpanProcessor';

/**
 * The processor's options checked and defaulted, over its config file
 * (`skein.config.json`): an option given in code wins over the file's
 * section. Of the file, only `budgets`, `redaction` and `prices` apply (its
 * `maxTextLength` is the collector's). Throws on anything invalid, naming
 * the option, or the file or `SkeinSpanProcessor budgets` and the field.
 */
export function resolveProcessorSettings(options: SkeinSpanProcessorOptions): ProcessorSettings {
  const maxBatchSize = numberOption(OWNER, 'maxBatchSize', options.maxBatchSize, 512, { min: 1, integer: true });
  const maxQueueSize = numberOption(OWNER, 'maxQueueSize', options.maxQueueSize, 10_000, { min: 1, integer: true });
  const flushIntervalMillis = numberOption(OWNER, 'flushIntervalMillis', options.flushIntervalMillis, 200, { min: 0, max: MAX_TIMER_MILLIS });
  const maxTextLength = optionalNumberOption(OWNER, 'maxTextLength', options.maxTextLength, { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true });
  const file = options.configFile === undefined ? undefined : loadSkeinConfigFile(options.configFile);
  const ingest = resolveIngestSettings({
    config: file === undefined ? undefined : { budgets: file.budgets, redaction: file.redaction, prices: file.prices },
    redaction: options.redaction,
    prices: options.prices,
    budgets: options.budgets === undefined ? undefined : parseBudgetConfig(options.budgets, 'SkeinSpanProcessor budgets'),
    maxTextLength,
  });
  return { maxBatchSize, maxQueueSize, flushIntervalMillis, ingest };
}
