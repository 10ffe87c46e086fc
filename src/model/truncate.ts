/**
 * Cutting long text to a limit while keeping how long it was.
 *
 * Raw spans are truncated copy-on-write: the caller's span is never mutated,
 * and a span with nothing to cut is returned as the same object.
 */

import type { AttributeValue, Attributes, ContentText, NormalizeCounts, RawSpan, SpanEvent, SpanLink } from './types.js';

/** Nested attribute values deeper than this are kept as they are (OTLP AnyValue nesting is shallow in practice). */
const MAX_WALK_DEPTH = 16;

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

function record(log: TruncationLog, path: string, originalLength: number): void {
  log.counts.truncated++;
  (log.lengths ??= {})[path] = originalLength;
}

/** One attribute value with long strings cut; the same value when nothing was cut. */
export function truncateValue(value: AttributeValue, path: string, log: TruncationLog, depth = 0): AttributeValue {
  if (typeof value === 'string') {
    if (value.length <= log.maxLength) return value;
    record(log, path, value.length);
    return cutText(value, log.maxLength);
  }
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || depth >= MAX_WALK_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: AttributeValue[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const cut = truncateValue(item, `${path}[${i}]`, log, depth + 1);
      if (cut !== item) {
        copy ??= value.slice();
        copy[i] = cut;
      }
    }
    return copy ?? value;
  }
  let copy: Record<string, AttributeValue> | undefined;
  for (const key of Object.keys(value)) {
    const item = value[key];
    const cut = truncateValue(item, `${path}.${key}`, log, depth + 1);
    if (cut !== item) {
      copy ??= { ...value };
      copy[key] = cut;
    }
  }
  return copy ?? value;
}

/** Attributes with long strings cut; the same object when nothing was cut. */
export function truncateAttributes(attributes: Attributes, prefix: string, log: TruncationLog): Attributes {
  let copy: Attributes | undefined;
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    const cut = truncateValue(value, prefix + key, log);
    if (cut !== value) {
      copy ??= { ...attributes };
      copy[key] = cut;
    }
  }
  return copy ?? attributes;
}

/**
 * Truncates the parts of a raw span not already handled by the attribute scan:
 * name, status message, resource, scope, events and links. Paths:
 * `name`, `statusMessage`, `resource.<key>`, `scope.<key>`, `events[i].<key>`, `links[i].<key>`.
 */
export function truncateRawRest(raw: RawSpan, attributes: Attributes, log: TruncationLog): RawSpan {
  let out: RawSpan | undefined;
  const edit = (): RawSpan => (out ??= { ...raw });
  if (attributes !== raw.attributes) edit().attributes = attributes;
  if (typeof raw.name === 'string' && raw.name.length > log.maxLength) {
    record(log, 'name', raw.name.length);
    edit().name = cutText(raw.name, log.maxLength);
  }
  if (typeof raw.statusMessage === 'string' && raw.statusMessage.length > log.maxLength) {
    record(log, 'statusMessage', raw.statusMessage.length);
    edit().statusMessage = cutText(raw.statusMessage, log.maxLength);
  }
  const resource = raw.resource;
  if (isAttributes(resource?.attributes)) {
    const cut = truncateAttributes(resource.attributes, 'resource.', log);
    if (cut !== resource.attributes) edit().resource = { ...resource, attributes: cut };
  }
  const scope = raw.scope;
  if (isAttributes(scope?.attributes)) {
    const cut = truncateAttributes(scope.attributes, 'scope.', log);
    if (cut !== scope.attributes) edit().scope = { ...scope, attributes: cut };
  }
  if (Array.isArray(raw.events)) {
    const events = truncateEach(raw.events, 'events', log);
    if (events !== raw.events) edit().events = events;
  }
  if (Array.isArray(raw.links)) {
    const links = truncateEach(raw.links, 'links', log);
    if (links !== raw.links) edit().links = links;
  }
  return out ?? raw;
}

function truncateEach<T extends SpanEvent | SpanLink>(items: T[], name: string, log: TruncationLog): T[] {
  let copy: T[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!item || !isAttributes(item.attributes)) continue;
    const cut = truncateAttributes(item.attributes, `${name}[${i}].`, log);
    if (cut !== item.attributes) {
      copy ??= items.slice();
      copy[i] = { ...item, attributes: cut };
    }
  }
  return copy ?? items;
}

export function isAttributes(value: unknown): value is Attributes {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
