import { hasBudgets, parseBudgetConfig } from '../model/budgets.js';
import type { BudgetConfig } from '../model/budgets.js';
import type { PriceTable } from '../model/pricing.js';
import type { RedactionOptions } from '../model/redaction/redactor.js';
import { loadSkeinConfigFile } from '../model/skein-config.js';

export interface ProcessorSettingsInput {
  configFile?: string;
  redaction?: RedactionOptions;
  prices?: PriceTable;
  budgets?: BudgetConfig;
}

export interface ProcessorSettings {
  redaction?: RedactionOptions;
  prices?: PriceTable;
  /** Only when at least one limit is set. */
  budgets?: BudgetConfig;
  /** The config file's path when its prices are used: the writer thread reads them from it. */
  pricesFile?: string;
}

/**
 * The processor's options over its config file (`skein.config.json`): an
 * option given in code wins over the file's section. Throws, naming the file
 * or `SkeinSpanProcessor budgets` and the field, on anything invalid.
 */
export function resolveProcessorSettings(input: ProcessorSettingsInput): ProcessorSettings {
  const file = input.configFile === undefined ? undefined : loadSkeinConfigFile(input.configFile);
  const budgets = input.budgets !== undefined ? parseBudgetConfig(input.budgets, 'SkeinSpanProcessor budgets') : file?.budgets;
  const settings: ProcessorSettings = {
    redaction: input.redaction ?? file?.redaction,
    prices: input.prices ?? file?.prices,
  };
  if (hasBudgets(budgets)) settings.budgets = budgets;
  if (input.prices === undefined && file?.prices !== undefined) settings.pricesFile = file.source;
  return settings;
}
