/**
 * Opaque keyset cursors: base64url JSON of the last item's sort key and id.
 * Keyset (not offset) pagination keeps pages stable while new rows arrive.
 */

import { InvalidQueryError } from '../errors.js';

export type CursorKey = string | number;

export interface CursorPayload {
  /** What the cursor pages through (a sort name), so a cursor cannot be replayed against another order. */
  kind: string;
  key: CursorKey;
  id: string | number;
}

export function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify([payload.kind, payload.key, payload.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, kind: string): CursorPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidQueryError('cursor is not one this store issued', 'cursor');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    typeof parsed[0] !== 'string' ||
    (typeof parsed[1] !== 'string' && typeof parsed[1] !== 'number') ||
    (typeof parsed[2] !== 'string' && typeof parsed[2] !== 'number')
  ) {
    throw new InvalidQueryError('cursor is not one this store issued', 'cursor');
  }
  if (parsed[0] !== kind) {
    throw new InvalidQueryError(`cursor was issued for "${parsed[0]}", not "${kind}"`, 'cursor');
  }
  return { kind, key: parsed[1], id: parsed[2] };
}

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 1000;

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new InvalidQueryError(`limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`, 'limit');
  }
  return limit;
}

/** Refuses query keys the backend does not know rather than silently ignoring a filter. */
export function checkKeys(query: object, allowed: readonly string[]): void {
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && !allowed.includes(key)) {
      throw new InvalidQueryError(`unsupported filter: ${key}`, key);
    }
  }
}
