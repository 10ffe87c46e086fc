/**
 * What every way in writes with: the redaction, the text limit, the prices,
 * the budgets, what is kept and where it is forwarded. `resolveIngestSettings`
 * derives them, once, from a loaded `skein.config.json` and the options given
 * in code or on the command line; `createIngest` builds the redactor, the
 * normalizer and the keep-filter from them, on whichever thread writes. The
 * settings are plain data: they cross to the writer thread as they are (one
 * way), and the thread builds the same pieces from them.
 */
import type { BudgetConfig } from '../model/budgets.js';
import { hasBudgets } from '../model/budgets.js';
import { isGenAiLog, isGenAiMetric, isGenAiRecord } from '../model/genai-filter.js';
import { createNormalizer } from '../model/normalize.js';
import { createPriceTable, defaultPriceTable, priceTableEntries } from '../model/pricing.js';
import type { ModelPrice, PriceTable } from '../model/pricing.js';
import { createRedactor } from '../model/redaction/redactor.js';
import type { RedactionOptions, Redactor } from '../model/redaction/redactor.js';
import type { SkeinConfig } from '../model/skein-config.js';
import type { RawLogRecord } from '../model/log-types.js';
import type { RawMetric } from '../model/metric-types.js';
import type { RawSpan, SpanRecord } from '../model/types.js';

/** `all` keeps everything; `genai` keeps only the spans of model, tool and agent steps and GenAI/agent log records and metrics (all are forwarded). */
export type IngestStoreMode = 'all' | 'genai';

/** Structured-cloneable: posted to the writer thread as is (except `localPrices`, which never crosses). */
export interface IngestSettings {
  /** Undefined: redaction on with the built-in detectors and deny keys. */
  redaction?: RedactionOptions;
  /** `NormalizeOptions.maxTextLength`; undefined: the default (4096). */
  maxTextLength?: number;
  /** The price table as data (`priceTableEntries`: the shipped prices included); undefined: the shipped table. */
  prices?: Record<string, ModelPrice>;
  /**
   * A price table of the app's own making (a `lookup` of its own, which
   * cannot cross threads): used instead of `prices`, and only on the thread
   * that resolved it (`crossesThreads` is false).
   */
  localPrices?: PriceTable;
  /** Evaluated in each commit; only when at least one limit is set. */
  budgets?: BudgetConfig;
  storeMode: IngestStoreMode;
  /** Everything received (every signal) is queued in the outbox for each of these, in the commit that stores it. */
  upstreams: string[];
}

export interface IngestSettingsInput {
  /** A loaded config file: its `redaction`, `prices`, `maxTextLength` and `budgets` apply where no option below is given. */
  config?: Pick<SkeinConfig, 'redaction' | 'prices' | 'maxTextLength' | 'budgets'>;
  redaction?: RedactionOptions;
  maxTextLength?: number;
  prices?: PriceTable;
  /** Already checked (`parseBudgetConfig`); a config without any limit counts as none. */
  budgets?: BudgetConfig;
  /** Default `all`. */
  storeMode?: IngestStoreMode;
  /** Default none. */
  upstreams?: readonly string[];
}

/** The one place the write settings are derived: an option given wins over the config file's section, field by field. */
export function resolveIngestSettings(input: IngestSettingsInput): IngestSettings {
  const { config } = input;
  const budgets = input.budgets ?? config?.budgets;
  const table = input.prices ?? config?.prices;
  const entries = table === undefined ? undefined : priceTableEntries(table);
  const settings: IngestSettings = {
    redaction: input.redaction ?? config?.redaction,
    maxTextLength: input.maxTextLength ?? config?.maxTextLength,
    prices: entries,
    storeMode: input.storeMode ?? 'all',
    upstreams: [...(input.upstreams ?? [])],
  };
  if (table !== undefined && entries === undefined) settings.localPrices = table;
  if (hasBudgets(budgets)) settings.budgets = budgets;
  return settings;
}

/** The settings can be posted to a writer thread (their prices are data). */
export function crossesThreads(settings: IngestSettings): boolean {
  return settings.localPrices === undefined;
}

/** The pieces every commit is made with, built from the settings on the thread that commits. */
export interface Ingest {
  readonly settings: IngestSettings;
  /** For what is forwarded as well as stored (`redactSpans` first; `normalize` then reuses its work). */
  readonly redactor: Redactor;
  /** Redacts, then normalizes, computing cost from the settings' prices. */
  readonly normalize: (raw: RawSpan) => SpanRecord;
  /** The records to store (`storeMode: 'genai'`); undefined: all of them. */
  readonly keep: ((record: SpanRecord) => boolean) | undefined;
  /** The log records to store, likewise (after redaction). */
  readonly keepLog: ((record: RawLogRecord) => boolean) | undefined;
  /** The metrics to store, likewise. */
  readonly keepMetric: ((metric: RawMetric) => boolean) | undefined;
}

/**
 * The one factory of the write pipeline's pieces: every way in (collector,
 * writer thread, processor, `skein import`) writes through it. Throws
 * `RedactionConfigError` for a pattern that does not compile and
 * `RangeError` for a `maxTextLength` that is not a positive integer.
 */
export function createIngest(settings: IngestSettings): Ingest {
  const redactor = createRedactor(settings.redaction);
  const prices =
    settings.localPrices ??
    (settings.prices === undefined ? defaultPriceTable() : createPriceTable(settings.prices, { includeDefaults: false }));
  const normalize = createNormalizer({ maxTextLength: settings.maxTextLength, prices, redactor });
  const genai = settings.storeMode === 'genai';
  return {
    settings,
    redactor,
    normalize,
    keep: genai ? isGenAiRecord : undefined,
    keepLog: genai ? isGenAiLog : undefined,
    keepMetric: genai ? isGenAiMetric : undefined,
  };
}
