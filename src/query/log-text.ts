/** Log record bodies on one line, for `skein logs` and `skein tail`. */

import { jsonSafe } from '../model/json-safe.js';

/**
 * The body on one line: a string as it is, anything else (a kvlist, an
 * array, a number) as JSON; cut at `length` characters with `…`. '' when the
 * record has no body.
 */
export function logBodyPreview(body: unknown, length: number): string {
  if (body === null || body === undefined) return '';
  const text = typeof body === 'string' ? body : JSON.stringify(jsonSafe(body));
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}
