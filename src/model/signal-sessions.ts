/**
 * The session a log record or a metric point belongs to (issue 16), read by
 * the same keys, in the same precedence, as a span's session
 * (`SESSION_KEYS` in dialect-slots.ts): the record's own attributes first,
 * then its resource's. A key is never cut; an empty string is no key; a
 * number is read as its decimal text, as it is on spans.
 */
import { toName } from './coerce.js';
import { SESSION_KEYS } from './dialect-slots.js';
import type { RawLogRecord } from './log-types.js';
import type { Attributes, NormalizeCounts, SpanResource } from './types.js';

/** toName counts coercions for a span's report; nothing reports them here. */
const ignored: NormalizeCounts = { coerced: 0, dropped: 0, truncated: 0, redacted: 0 };

function sessionIn(attributes: Attributes | undefined): string | undefined {
  if (typeof attributes !== 'object' || attributes === null) return undefined;
  for (const key of SESSION_KEYS) {
    if (!Object.hasOwn(attributes, key)) continue;
    const name = toName(attributes[key], ignored);
    if (name !== undefined) return name;
  }
  return undefined;
}

export function logSessionKey(record: RawLogRecord): string | null {
  return metricPointSessionKey(record.attributes, record.resource);
}

export function metricPointSessionKey(attributes: Attributes, resource: SpanResource | undefined): string | null {
  return sessionIn(attributes) ?? sessionIn(resource?.attributes) ?? null;
}
