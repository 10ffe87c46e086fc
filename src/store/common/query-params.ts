/**
 * Checks of query parameters both stores share: a bad value is an
 * `InvalidQueryError` naming the parameter, never a database error.
 */

import { InvalidQueryError } from '../errors.js';

/** Both stores keep times in signed 64-bit integers (SQLite INTEGER, PostgreSQL int8). */
const MAX_INT64 = 2n ** 63n - 1n;

/** A time or duration in nanoseconds: a bigint that fits a signed 64-bit column and is not negative. */
export function bigintParam(value: unknown, name: string): bigint {
  if (typeof value !== 'bigint') throw new InvalidQueryError(`${name} must be a bigint of nanoseconds`, name);
  // Past it better-sqlite3 throws a RangeError and PostgreSQL an out-of-range error.
  if (value < 0n || value > MAX_INT64) throw new InvalidQueryError(`${name} is outside 0..2^63-1 nanoseconds`, name);
  return value;
}

export function stringParam(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new InvalidQueryError(`${name} must be a string`, name);
  return value;
}

export function numberParam(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidQueryError(`${name} must be a finite number`, name);
  }
  return value;
}

export function booleanParam(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new InvalidQueryError(`${name} must be a boolean`, name);
  return value;
}
