/**
 * What the PostgreSQL reads share: checks of query parameters (an
 * `InvalidQueryError` naming the parameter, never a server error), and
 * statements prepared once per connection.
 */

import { createHash } from 'node:crypto';
import type pg from 'pg';
import { InvalidQueryError } from '../errors.js';

const MAX_INT8 = 2n ** 63n - 1n;

/** A time or duration in nanoseconds: a bigint that fits int8 and is not negative. */
export function bigintParam(value: unknown, name: string): bigint {
  if (typeof value !== 'bigint') throw new InvalidQueryError(`${name} must be a bigint of nanoseconds`, name);
  if (value < 0n || value > MAX_INT8) throw new InvalidQueryError(`${name} is outside 0..2^63-1 nanoseconds`, name);
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

/**
 * A named statement: parsed and planned once per pooled connection, not at
 * every call. The name is a digest of the text, so two texts never share one.
 */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  const name = `skein_${createHash('sha1').update(text).digest('base64url')}`;
  return { name, text, values };
}
