import type { RawLogRecord } from '../model/log-types.js';
import type { RawMetric } from '../model/metric-types.js';
import type { RawSpan } from '../model/types.js';

/**
 * What one commit writes: every signal received, as received. Requests of
 * any signal share a group commit, so a batch may hold all three.
 * Structured-cloneable (bigints and byte arrays included): posted to the
 * writer thread as it is.
 */
export interface SignalBatch {
  spans: RawSpan[];
  logs: RawLogRecord[];
  metrics: RawMetric[];
}

/** Data points over all metrics: the unit OTLP counts metrics in (`rejected_data_points`). */
export function metricPointCount(metrics: readonly RawMetric[]): number {
  let points = 0;
  for (const metric of metrics) points += metric.points.length;
  return points;
}

/** The work a caller hands to a commit: spans alone (the processor, `skein import`), or a batch of every signal. */
export function asSignalBatch(received: RawSpan[] | SignalBatch): SignalBatch {
  return Array.isArray(received) ? { spans: received, logs: [], metrics: [] } : received;
}
