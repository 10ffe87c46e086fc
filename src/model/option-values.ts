/**
 * Defaults and checks for numeric options, one field at a time. Spreading a
 * caller's object over a defaults object lets an explicit `undefined` replace
 * the default (that once made the forwarder's backoff NaN and stopped
 * forwarding for good), so every option is defaulted here with `??` and
 * checked with an error that names it.
 */

export interface NumberRange {
  /** Smallest allowed value (inclusive). Default: no bound. */
  min?: number;
  /** Largest allowed value (inclusive). Default: no bound. */
  max?: number;
  /** Only whole numbers. Default false. */
  integer?: boolean;
}

/** An option that is out of range or not a number; the message names the owner and the option. */
export class OptionValueError extends RangeError {
  override name = 'OptionValueError';
}

/**
 * `value` when given and valid, `fallback` when undefined (or null); throws
 * `OptionValueError` naming `owner` and `name` otherwise (NaN, Infinity, a
 * string, out of range, a fraction where a whole number is needed).
 */
export function numberOption(
  owner: string,
  name: string,
  value: number | null | undefined,
  fallback: number,
  range: NumberRange = {},
): number {
  if (value === undefined || value === null) return fallback;
  const problem = numberProblem(value, range);
  if (problem !== null) throw new OptionValueError(`${owner}: ${name} ${problem}, got ${describe(value)}`);
  return value;
}

/** Like `numberOption`, for an option without a default: undefined stays undefined. */
export function optionalNumberOption(
  owner: string,
  name: string,
  value: number | null | undefined,
  range: NumberRange = {},
): number | undefined {
  if (value === undefined || value === null) return undefined;
  return numberOption(owner, name, value, value, range);
}

/** Why `value` is not an allowed number ("must be …"), or null when it is. */
export function numberProblem(value: unknown, range: NumberRange = {}): string | null {
  const { min, max, integer = false } = range;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    (min === undefined || value >= min) &&
    (max === undefined || value <= max);
  if (ok) return null;
  const kind = integer ? 'a whole number' : 'a finite number';
  const bounds =
    min !== undefined && max !== undefined
      ? ` from ${min} to ${max}`
      : min !== undefined
        ? ` of at least ${min}`
        : max !== undefined
          ? ` of at most ${max}`
          : '';
  return `must be ${kind}${bounds}`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
