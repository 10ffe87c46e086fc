import { resolveIngestSettings } from '../ingest/ingest-settings.js';
import type { IngestSettings } from '../ingest/ingest-settings.js';
import { parseBudgetConfig } from '../model/budgets.js';
import type { BudgetConfig } from '../model/budgets.js';
import type { PriceTable } from '../model/pricing.js';
import type { RedactionOptions } from '../model/redaction/redactor.js';
import { loadSkeinConfigFile } from '../model/skein-config.js';

export interface ProcessorSettingsInput {
  configFile?: string;
  redaction?: RedactionOptions;
  prices?: PriceTable;
  budgets?: BudgetConfig;
  /** Already checked by the processor. */
  maxTextLength?: number;
}

export interface ProcessorSettings {
  settings: IngestSettings;
  /** The config file's path when its prices are used: the writer thread reads them from it. */
  pricesFile?: string;
}

/**
 * The processor's ingest settings: its options over its config file
 * (`skein.config.json`), an option given in code winning over the file's
 * section. Of the file, only `budgets`, `redaction` and `prices` apply (its
 * `maxTextLength` is the collector's). Throws, naming the file or
 * `SkeinSpanProcessor budgets` and the field, on anything invalid.
 */
export function resolveProcessorSettings(input: ProcessorSettingsInput): ProcessorSettings {
  const file = input.configFile === undefined ? undefined : loadSkeinConfigFile(input.configFile);
  const settings = resolveIngestSettings({
    config: file === undefined ? undefined : { budgets: file.budgets, redaction: file.redaction, prices: file.prices },
    redaction: input.redaction,
    prices: input.prices,
    budgets: input.budgets === undefined ? undefined : parseBudgetConfig(input.budgets, 'SkeinSpanProcessor budgets'),
    maxTextLength: input.maxTextLength,
  });
  const pricesFile = input.prices === undefined && file?.prices !== undefined ? file.source : undefined;
  return pricesFile === undefined ? { settings } : { settings, pricesFile };
}
