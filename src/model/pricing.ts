/**
 * Model prices and cost computation.
 *
 * The shipped table is data (`prices.json`), so a price change is a data
 * change; users extend or override it with `createPriceTable` or a JSON file
 * of the same shape (`loadPriceTableFile`).
 */

import { readFileSync } from 'node:fs';
import type { TokenUsage } from './types.js';

/** USD per million tokens. Absent optional prices fall back to the input (cache) or output (reasoning) price. */
export interface TokenPrices {
  inputPerMTok: number;
  outputPerMTok: number;
  cacheReadPerMTok?: number;
  cacheWritePerMTok?: number;
  reasoningPerMTok?: number;
}

/**
 * Prices for a call whose prompt (input with its cache reads and writes) is
 * over `aboveInputTokens`: every token of that call, output included, is
 * billed at them (Claude Sonnet 4 / 4.5 and Gemini Pro over 200K). A price
 * not given is the base one.
 */
export interface LongContextPrices extends Partial<TokenPrices> {
  aboveInputTokens: number;
  inputPerMTok: number;
  outputPerMTok: number;
}

export interface ModelPrice extends TokenPrices {
  longContext?: LongContextPrices;
}

export interface PriceTable {
  /** Exact id first (case-insensitive), then the longest known prefix that ends at a separator. */
  lookup(model: string): ModelPrice | undefined;
}

interface PriceFile {
  models: Record<string, ModelPrice>;
}

const PRICE_FIELDS = ['inputPerMTok', 'outputPerMTok', 'cacheReadPerMTok', 'cacheWritePerMTok', 'reasoningPerMTok'] as const;
/** Characters that may follow a known id for a longer id to share its price (`gpt-4o-2024-08-06`, `claude-sonnet-4-5@20250929`). */
const PREFIX_BOUNDARIES = new Set(['-', ':', '@', '_', '/']);
/** Bounds the per-table memo of looked-up ids; model ids seen in practice are few. */
const MAX_MEMO_ENTRIES = 2048;

/**
 * USD cost of `usage` at `price`, every token billed once at its own price:
 * - `usage.input` includes cache reads and cache writes (the OTel GenAI and
 *   OpenAI convention; `tokenUsageFromProvider` in usage.ts brings
 *   Anthropic's, whose input excludes them, to it), so uncached input is
 *   `input - cacheRead - cacheWrite`, billed at the input price, and cache
 *   reads and writes only at their own prices. Cache counts larger than the
 *   input can only mean the input excluded them (Anthropic counts that were
 *   not converted), so then the input is billed in full beside them.
 * - `usage.output` includes reasoning tokens, which are billed at the
 *   reasoning price when the table has one. A reasoning count larger than the
 *   output count can only mean the output excluded it (some Gemini
 *   instrumentations), so then both are billed in full.
 */
export function computeCost(modelPrice: ModelPrice, usage: TokenUsage): number {
  const cacheRead = usage.cacheRead ?? 0;
  const cacheWrite = usage.cacheWrite ?? 0;
  const input = usage.input ?? 0;
  const uncachedInput = cacheRead + cacheWrite > input ? input : input - cacheRead - cacheWrite;
  const price = pricesFor(modelPrice, uncachedInput + cacheRead + cacheWrite);
  const reasoning = usage.reasoning ?? 0;
  const output = usage.output ?? 0;
  const visibleOutput = reasoning > output ? output : output - reasoning;
  const perMTok =
    uncachedInput * price.inputPerMTok +
    cacheRead * (price.cacheReadPerMTok ?? price.inputPerMTok) +
    cacheWrite * (price.cacheWritePerMTok ?? price.inputPerMTok) +
    visibleOutput * price.outputPerMTok +
    reasoning * (price.reasoningPerMTok ?? price.outputPerMTok);
  return perMTok / 1_000_000;
}

/** The base prices, or the long-context ones over their threshold (each absent one the base one). */
function pricesFor(price: ModelPrice, promptTokens: number): TokenPrices {
  const long = price.longContext;
  if (long === undefined || promptTokens <= long.aboveInputTokens) return price;
  return {
    inputPerMTok: long.inputPerMTok,
    outputPerMTok: long.outputPerMTok,
    cacheReadPerMTok: long.cacheReadPerMTok ?? price.cacheReadPerMTok,
    cacheWritePerMTok: long.cacheWritePerMTok ?? price.cacheWritePerMTok,
    reasoningPerMTok: long.reasoningPerMTok ?? price.reasoningPerMTok,
  };
}

class MapPriceTable implements PriceTable {
  private readonly byId: Map<string, ModelPrice>;
  /** Known ids, longest first, for prefix matching. */
  private readonly idsByLength: string[];
  private readonly memo = new Map<string, ModelPrice | null>();

  constructor(entries: Map<string, ModelPrice>) {
    this.byId = entries;
    this.idsByLength = [...entries.keys()].sort((a, b) => b.length - a.length);
  }

  /** Every entry, as plain data (what another thread rebuilds the table from). */
  entries(): Record<string, ModelPrice> {
    return Object.fromEntries([...this.byId].map(([id, price]) => [id, copyPrice(price)]));
  }

  lookup(model: string): ModelPrice | undefined {
    if (typeof model !== 'string' || model.length === 0) return undefined;
    const memoized = this.memo.get(model);
    if (memoized !== undefined) return memoized ?? undefined;
    const found = this.resolve(model) ?? null;
    if (this.memo.size >= MAX_MEMO_ENTRIES) this.memo.clear();
    this.memo.set(model, found);
    return found ?? undefined;
  }

  private resolve(model: string): ModelPrice | undefined {
    const base = stripProvider(model.trim().toLowerCase());
    const normalized = stripVersion(base);
    return this.byId.get(base) ?? this.byId.get(normalized) ?? this.byPrefix(normalized);
  }

  private byPrefix(id: string): ModelPrice | undefined {
    for (const known of this.idsByLength) {
      if (known.length < id.length && id.startsWith(known) && PREFIX_BOUNDARIES.has(id[known.length])) {
        return sharesPrice(id.slice(known.length)) ? this.byId.get(known) : undefined;
      }
    }
    return undefined;
  }
}

/**
 * Words that name a different model of a family (`gpt-5-codex-mini` is not
 * `gpt-5-codex`, `gpt-5.2-pro` is not `gpt-5.2`): a longer id whose extra
 * part holds one is not priced by the shorter id.
 */
const TIER_WORDS = new Set([
  'mini', 'nano', 'micro', 'pro', 'max', 'ultra', 'lite', 'flash', 'spark', 'fast', 'turbo',
  'opus', 'sonnet', 'haiku', 'large', 'medium', 'small', 'image', 'audio', 'tts', 'live', 'realtime', 'search',
]);

/**
 * Whether the part of an id after a known id (`-preview-09-2025`, `-001`,
 * `-v2`) leaves it the same model. Not a newer minor version (`-9` after
 * `claude-opus-4`: Opus 4.9 is not priced as Opus 4) and not another tier.
 */
function sharesPrice(rest: string): boolean {
  if (/^[-_.]\d{1,2}(?:$|[-_.:@/])/.test(rest)) return false;
  return !rest.split(/[-_.:@/]+/).some((part) => TIER_WORDS.has(part));
}

/** Provider qualifiers: `openai/`, `models/`, Bedrock's `[region.]anthropic.` and `-v1:0`, Vertex's `@20250929`, Claude Code's `[1m]`. */
function stripProvider(id: string): string {
  let out = id;
  while (out.endsWith(']') && out.includes('[')) out = out.slice(0, out.lastIndexOf('[')).trimEnd();
  const slash = out.lastIndexOf('/');
  if (slash >= 0) out = out.slice(slash + 1);
  out = out.replace(/^(?:[a-z]{2,6}(?:-[a-z]+)?\.)?(?:anthropic|openai|google|meta|mistral|amazon|cohere)\./, '');
  out = out.replace(/-v\d+:\d+$/, '');
  out = out.replace(/@[\w.-]*$/, '');
  return out;
}

/** Snapshot dates (`-20250929`, `-2025-08-07`) and `-latest`, which name the same model. */
function stripVersion(id: string): string {
  return id.replace(/-latest$/, '').replace(/-(?:\d{8}|\d{4}-\d{2}-\d{2})$/, '');
}

/**
 * The id a price is looked up by: lower case, without provider qualifiers
 * (`openai/`, `models/`, Bedrock's `us.anthropic.` and `-v1:0`, Vertex's
 * `@date`), bracketed suffixes (`[1m]`), snapshot dates (`-20250929`,
 * `-2025-08-07`) or `-latest`. A table entry that spells a date or `-latest`
 * itself (`gpt-4o-2024-05-13`) is matched before these are dropped.
 */
export function normalizeModelId(model: string): string {
  return stripVersion(stripProvider(model.trim().toLowerCase()));
}

let shippedEntries: Map<string, ModelPrice> | undefined;
let defaultTable: PriceTable | undefined;

/** The shipped `prices.json`, read once. Looked up beside this module (source, tests) and at the package's `src/model/` (built `dist/`). */
function shippedPrices(): Map<string, ModelPrice> {
  if (shippedEntries) return shippedEntries;
  const candidates = [new URL('./prices.json', import.meta.url), new URL('../../../src/model/prices.json', import.meta.url)];
  let lastError: unknown;
  for (const url of candidates) {
    let text: string;
    try {
      text = readFileSync(url, 'utf8');
    } catch (error) {
      lastError = error;
      continue;
    }
    shippedEntries = parsePriceFile(text, url.pathname);
    return shippedEntries;
  }
  throw new Error(`Skein's shipped price table prices.json was not found: ${String(lastError)}`);
}

export function defaultPriceTable(): PriceTable {
  defaultTable ??= new MapPriceTable(shippedPrices());
  return defaultTable;
}

/**
 * The entries of a table made by this module (the default, `createPriceTable`,
 * `loadPriceTableFile`) as plain data, so another thread can rebuild it with
 * `createPriceTable(entries, { includeDefaults: false })`; undefined for a
 * table of the app's own making, whose `lookup` cannot cross threads.
 */
export function priceTableEntries(table: PriceTable): Record<string, ModelPrice> | undefined {
  return table instanceof MapPriceTable ? table.entries() : undefined;
}

/**
 * A price table of the shipped prices (unless `includeDefaults` is false)
 * with `overrides` replacing or adding whole entries. Throws on an invalid
 * price, naming the model.
 */
export function createPriceTable(
  overrides: Record<string, ModelPrice> = {},
  options: { includeDefaults?: boolean } = {},
): PriceTable {
  const { includeDefaults = true } = options;
  const entries = new Map(includeDefaults ? shippedPrices() : []);
  for (const [model, price] of Object.entries(overrides)) {
    const problem = priceProblem(price);
    if (problem) throw new TypeError(`Invalid price for model "${model}": ${problem}`);
    entries.set(model.trim().toLowerCase(), copyPrice(price));
  }
  return new MapPriceTable(entries);
}

/** Reads a JSON file shaped like `prices.json` (`{ "models": { id: ModelPrice } }`) and merges it over the shipped prices. */
export function loadPriceTableFile(path: string): PriceTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read price table ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const entries = new Map(shippedPrices());
  for (const [model, price] of parsePriceFile(text, path)) entries.set(model, price);
  return new MapPriceTable(entries);
}

function parsePriceFile(text: string, path: string): Map<string, ModelPrice> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`Invalid JSON in price table ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(parsed) || !isObject((parsed as Partial<PriceFile>).models)) {
    throw new Error(`Invalid price table ${path}: expected an object with a "models" object`);
  }
  const entries = new Map<string, ModelPrice>();
  for (const [model, price] of Object.entries((parsed as PriceFile).models)) {
    const problem = priceProblem(price);
    if (problem) throw new Error(`Invalid price table ${path}: models["${model}"]: ${problem}`);
    entries.set(model.trim().toLowerCase(), copyPrice(price));
  }
  return entries;
}

function priceProblem(price: unknown): string | undefined {
  if (!isObject(price)) return 'expected an object of USD per million tokens';
  const problem = fieldsProblem(price as Record<string, unknown>, '');
  if (problem) return problem;
  const long = (price as Record<string, unknown>).longContext;
  if (long === undefined) return undefined;
  if (!isObject(long)) return 'longContext must be an object of USD per million tokens with aboveInputTokens';
  const threshold = (long as Record<string, unknown>).aboveInputTokens;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0) {
    return `longContext.aboveInputTokens must be a non-negative number, got ${JSON.stringify(threshold) ?? String(threshold)}`;
  }
  return fieldsProblem(long as Record<string, unknown>, 'longContext.');
}

function fieldsProblem(record: Record<string, unknown>, path: string): string | undefined {
  for (const field of PRICE_FIELDS) {
    const value = record[field];
    const required = field === 'inputPerMTok' || field === 'outputPerMTok';
    if (value === undefined && !required) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      return `${path}${field} must be a non-negative number, got ${JSON.stringify(value) ?? String(value)}`;
    }
  }
  return undefined;
}

function copyPrice(price: ModelPrice): ModelPrice {
  const copy: ModelPrice = copyFields(price, { inputPerMTok: price.inputPerMTok, outputPerMTok: price.outputPerMTok });
  const long = price.longContext;
  if (long !== undefined) {
    copy.longContext = copyFields(long, { aboveInputTokens: long.aboveInputTokens, inputPerMTok: long.inputPerMTok, outputPerMTok: long.outputPerMTok });
  }
  return copy;
}

function copyFields<T extends Partial<TokenPrices>>(from: Partial<TokenPrices>, copy: T): T {
  if (from.cacheReadPerMTok !== undefined) copy.cacheReadPerMTok = from.cacheReadPerMTok;
  if (from.cacheWritePerMTok !== undefined) copy.cacheWritePerMTok = from.cacheWritePerMTok;
  if (from.reasoningPerMTok !== undefined) copy.reasoningPerMTok = from.reasoningPerMTok;
  return copy;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A USD amount as JSON shows it: rounded to 1e-10 (a ten-thousandth of a
 * micro-dollar, far below any price) so that sums of floats read as they were
 * meant (`0.35`, not `0.35000000000000187`).
 */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}
