/**
 * Cutting long text to a limit while keeping how long it was.
 *
 * Only what normalization derives from a span is cut: the input, output and
 * reasoning text, the span name and status message columns, and ids read
 * from attributes (model, agent, user, tool). Never the session id: it is a
 * key, and a cut one would find nothing and merge with others. The span itself —
 * attributes, events, links, resource, scope, name and status message as
 * they arrived — is kept whole, so an export gives back what was received.
 */

import type { Attributes, ContentText, NormalizeCounts } from './types.js';

/** Cuts `text` to at most `maxLength` UTF-16 units without splitting a surrogate pair. */
export function cutText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let end = maxLength;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}

export function toContentText(text: string, maxLength: number, counts: NormalizeCounts): ContentText {
  if (text.length <= maxLength) return { text, originalLength: text.length, truncated: false };
  counts.truncated++;
  return { text: cutText(text, maxLength), originalLength: text.length, truncated: true };
}

/** Collects what was cut and where: path → original length. */
export interface TruncationLog {
  maxLength: number;
  counts: NormalizeCounts;
  lengths: Record<string, number> | undefined;
}

/**
 * `text` cut to the log's limit; a cut is counted and its original length
 * recorded under `path` (`name`, `statusMessage`, `attributes.<key>`).
 */
export function cutLogged(text: string, path: string, log: TruncationLog): string {
  if (text.length <= log.maxLength) return text;
  log.counts.truncated++;
  (log.lengths ??= {})[path] = text.length;
  return cutText(text, log.maxLength);
}

export function isAttributes(value: unknown): value is Attributes {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
