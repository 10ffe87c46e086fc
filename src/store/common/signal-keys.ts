/**
 * What both backends derive from a log record or a metric before storing it:
 * the time a record sorts by and the header a metric stream is stored with.
 */

import type { RawLogRecord } from '../../model/log-types.js';
import type { MetricType, RawMetric, Temporality } from '../../model/metric-types.js';
import type { Attributes } from '../../model/types.js';

/** The time a record is ordered by: its time, or its observed time when it has none. */
export function logSortTime(record: Pick<RawLogRecord, 'timeUnixNano' | 'observedTimeUnixNano'>): bigint {
  return record.timeUnixNano !== 0n ? record.timeUnixNano : record.observedTimeUnixNano;
}

/** What a metric stream's stored body holds: the header of a metric, everything but its name. */
export interface StreamHeader {
  description: string;
  unit: string;
  type: MetricType;
  temporality: Temporality | null;
  monotonic: boolean | null;
  metadata: Attributes;
}

export function streamHeaderOf(metric: RawMetric): StreamHeader {
  return {
    description: metric.description,
    unit: metric.unit,
    type: metric.type,
    temporality: 'temporality' in metric ? metric.temporality : null,
    monotonic: metric.type === 'sum' ? metric.monotonic : null,
    metadata: metric.metadata,
  };
}
