/**
 * Stand-in for model/signal-sessions.ts (H1, issue 16) until it lands: a log
 * record's or metric point's own session key, with spans' precedence, from
 * its attributes then its resource. Replace the import with the model's.
 */

import type { RawLogRecord } from '../../model/log-types.js';
import type { PointBase, RawMetric } from '../../model/metric-types.js';
import type { Attributes } from '../../model/types.js';

const SESSION_KEYS = [
  'gen_ai.conversation.id',
  'session.id',
  'langfuse.session.id',
  'ai.telemetry.metadata.sessionId',
  'traceloop.association.properties.session_id',
] as const;

function keyIn(attributes: Attributes): string | null {
  for (const key of SESSION_KEYS) {
    const value = attributes[key];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return null;
}

export function logSessionKey(record: RawLogRecord): string | null {
  return keyIn(record.attributes) ?? keyIn(record.resource.attributes);
}

export function metricPointSessionKey(metric: RawMetric, point: PointBase): string | null {
  return keyIn(point.attributes) ?? keyIn(metric.resource.attributes);
}
