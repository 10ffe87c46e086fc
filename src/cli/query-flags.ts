/** Flag values of the query commands, parsed the same way the API parses its parameters. */

import type { ParseArgsConfig } from 'node:util';
import { MAX_LIMIT } from '../query/query-options.js';
import { parseDurationNanos, parseTimeUnixNano } from '../query/time-values.js';
import { CliUsageError } from './cli-error.js';

/** `--db` and `--json`, which every data command takes. */
export const COMMON_FLAGS = {
  db: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

export const COMMON_HELP = `  --db <file>          database file (env SKEIN_DB; default ~/.skein/skein.db)
  --json               print JSON for scripts (times and durations in nanoseconds, as strings)`;

export function timeFlag(value: string | undefined, flag: string): bigint | undefined {
  if (value === undefined) return undefined;
  const parsed = parseTimeUnixNano(value);
  if (parsed === null) {
    throw new CliUsageError(`${flag} expects an RFC 3339 time, Unix nanoseconds or an age such as 24h, got '${value}'`);
  }
  return parsed;
}

export function durationFlag(value: string | undefined, flag: string): bigint | undefined {
  if (value === undefined) return undefined;
  const parsed = parseDurationNanos(value);
  if (parsed === null) throw new CliUsageError(`${flag} expects a duration such as 250ms, 2s or 30d, got '${value}'`);
  return parsed;
}

export function limitFlag(value: string | undefined, flag = '--limit'): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_LIMIT) {
    throw new CliUsageError(`${flag} expects an integer from 1 to ${MAX_LIMIT}, got '${value}'`);
  }
  return n;
}

export function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value)) throw new CliUsageError(`${flag} expects a number >= 0, got '${value}'`);
  return Number(value);
}

export function oneOfFlag<const V extends string>(value: string | undefined, values: readonly V[], flag: string): V | undefined {
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value)) {
    throw new CliUsageError(`${flag} expects one of ${values.join(', ')}, got '${value}'`);
  }
  return value as V;
}

/** Exactly `count` positionals, named in the error. */
export function positionals(list: string[], names: string[]): string[] {
  if (list.length < names.length) throw new CliUsageError(`missing ${names.slice(list.length).map((n) => `<${n}>`).join(' ')}`);
  if (list.length > names.length) throw new CliUsageError(`unexpected argument '${list[names.length]}'`);
  return list;
}
