/**
 * `skein.config.json`: the settings shared by the collector (`skein serve
 * --config`) and the in-process processor (`configFile`). Every section is
 * checked field by field, and every error names the file and the field.
 *
 * ```json
 * {
 *   "budgets": { "session": { "maxCostUsd": 1 }, "warnAtFraction": 0.8 },
 *   "redaction": { "detectors": { "email": true } },
 *   "prices": "./prices.json",
 *   "interruptAfterSeconds": 60,
 *   "maxTextLength": 65536
 * }
 * ```
 *
 * It lives in model (not cli) because the processor reads it too, and the
 * processor may not import the cli.
 */

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseBudgetConfig } from './budgets.js';
import { numberProblem } from './option-values.js';
import type { NumberRange } from './option-values.js';
import type { BudgetConfig } from './budgets.js';
import { createPriceTable, loadPriceTableFile } from './pricing.js';
import type { ModelPrice, PriceTable } from './pricing.js';
import { parseRedactionConfig } from './redaction/redaction-config.js';
import type { RedactionOptions } from './redaction/redactor.js';

export interface SkeinConfig {
  /** The file it was read from. */
  source: string;
  budgets?: BudgetConfig;
  redaction?: RedactionOptions;
  /** The shipped prices with the file's (a path, relative to the config file, or an inline `{ "models": … }`) over them. */
  prices?: PriceTable;
  /** The collector's `--interrupt-after`. */
  interruptAfterSeconds?: number;
  /**
   * `NormalizeOptions.maxTextLength` for the collector and `skein import`
   * (their `--max-text-length` wins): characters of input/output/reasoning
   * text, span name, status message and ids kept for display and search.
   * The span's attributes and events are stored whole whatever it is.
   */
  maxTextLength?: number;
  /** The collector's `--max-pending`: spans accepted and waiting for a commit. */
  maxPendingSpans?: number;
  /** The collector's `--max-wait`: the longest a new request may expect to wait for its commit. */
  maxWaitSeconds?: number;
  /** The collector's `--max-outbox-bytes`: payload queued per upstream. */
  maxOutboxBytes?: number;
  /** The collector's `--max-inflight-bytes`: body bytes of all requests in flight. */
  maxInflightBytes?: number;
}

export const DEFAULT_CONFIG_FILE = 'skein.config.json';

/** Above any string V8 can hold (2^29 − 24 UTF-16 units): a larger limit means "no limit" and is a typo. */
const MAX_TEXT_LENGTH_LIMIT = 2 ** 30;

const FIELDS = [
  'budgets',
  'redaction',
  'prices',
  'interruptAfterSeconds',
  'maxTextLength',
  'maxPendingSpans',
  'maxWaitSeconds',
  'maxOutboxBytes',
  'maxInflightBytes',
];

export class SkeinConfigError extends Error {
  override name = 'SkeinConfigError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Checks a parsed config file. `source` names it in errors; a `prices` path is
 * resolved against `baseDir` (the file's directory). Throws `SkeinConfigError`,
 * or the section's own error (`BudgetConfigError`, `RedactionConfigError`),
 * always naming `source` and the field.
 */
export function parseSkeinConfig(json: unknown, source: string, baseDir: string): SkeinConfig {
  if (!isObject(json)) throw new SkeinConfigError(`${source}: must be a JSON object (with ${FIELDS.join(', ')})`);
  for (const key of Object.keys(json)) {
    // `$schema` is what editors add for completion; it configures nothing.
    if (key !== '$schema' && !FIELDS.includes(key)) {
      throw new SkeinConfigError(`${source}: ${key}: unknown field (known: ${FIELDS.join(', ')})`);
    }
  }
  const config: SkeinConfig = { source };
  if (json.budgets !== undefined) config.budgets = parseBudgetConfig(json.budgets, source);
  if (json.redaction !== undefined) config.redaction = parseRedactionConfig(json.redaction, source);
  if (json.prices !== undefined) config.prices = parsePrices(json.prices, source, baseDir);
  const interrupt = json.interruptAfterSeconds;
  if (interrupt !== undefined) {
    if (typeof interrupt !== 'number' || !Number.isFinite(interrupt) || interrupt < 0) {
      throw new SkeinConfigError(
        `${source}: interruptAfterSeconds: must be a number of seconds (0 or more), got ${JSON.stringify(interrupt) ?? String(interrupt)}`,
      );
    }
    config.interruptAfterSeconds = interrupt;
  }
  config.maxTextLength = numberField(json, 'maxTextLength', source, { min: 1, max: MAX_TEXT_LENGTH_LIMIT, integer: true }, 'characters');
  config.maxPendingSpans = numberField(json, 'maxPendingSpans', source, { min: 1, integer: true }, 'spans');
  config.maxWaitSeconds = numberField(json, 'maxWaitSeconds', source, { min: 0.001, max: 3600 }, 'seconds');
  config.maxOutboxBytes = numberField(json, 'maxOutboxBytes', source, { min: 1, integer: true }, 'bytes');
  config.maxInflightBytes = numberField(json, 'maxInflightBytes', source, { min: 1, integer: true }, 'bytes');
  for (const key of Object.keys(config) as Array<keyof SkeinConfig>) if (config[key] === undefined) delete config[key];
  return config;
}

/** A numeric field, checked; undefined when absent. The error names the file, the field and the unit. */
function numberField(
  json: Record<string, unknown>,
  field: string,
  source: string,
  range: NumberRange,
  unit: string,
): number | undefined {
  const value = json[field];
  if (value === undefined) return undefined;
  const problem = numberProblem(value, range);
  if (problem !== null) {
    throw new SkeinConfigError(`${source}: ${field}: ${problem} (${unit}), got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value as number;
}

function parsePrices(value: unknown, source: string, baseDir: string): PriceTable {
  if (typeof value === 'string') {
    const path = resolve(baseDir, value);
    try {
      return loadPriceTableFile(path);
    } catch (error) {
      throw new SkeinConfigError(`${source}: prices: ${message(error)}`);
    }
  }
  if (!isObject(value) || !isObject(value.models) || Object.keys(value).some((k) => k !== 'models')) {
    throw new SkeinConfigError(`${source}: prices: must be a path to a price file or { "models": { "<model>": { inputPerMTok, outputPerMTok, … } } }`);
  }
  try {
    return createPriceTable(value.models as Record<string, ModelPrice>);
  } catch (error) {
    throw new SkeinConfigError(`${source}: prices.models: ${message(error)}`);
  }
}

/** Reads and checks a config file. Throws `SkeinConfigError` (or a section's error) naming the file. */
export function loadSkeinConfigFile(path: string): SkeinConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SkeinConfigError(`cannot read config file ${file}: ${message(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SkeinConfigError(`${file}: invalid JSON: ${message(error)}`);
  }
  return parseSkeinConfig(json, file, dirname(file));
}
