/**
 * `skein outbox` across signals: what an entry's items are called, and what a
 * dead letter's payload holds (spans, log records or metrics), decoded by
 * Skein's own OTLP decoders.
 */
import { formatTimestamp } from '../../model/human-units.js';
import type { OtlpSignal } from '../../model/signals.js';
import { decodeLogsRequest, decodeMetricsRequest, decodeTraceRequest } from '../../otlp/index.js';
import type { OutboxSignalCount } from '../../store/sqlite/sqlite-outbox.js';
import { plural } from '../output.js';

const ITEM_NAMES: Record<OtlpSignal, [singular: string, plural: string]> = {
  traces: ['span', 'spans'],
  logs: ['log record', 'log records'],
  metrics: ['metric data point', 'metric data points'],
};

/** `4 spans`, `1 log record`, `2 metric data points`. */
export function itemCount(count: number, signal: OtlpSignal): string {
  const [one, many] = ITEM_NAMES[signal];
  return plural(count, one, many);
}

/** Counts by signal as one phrase: `4 spans`, or `3 log records and 4 spans` (signals in a fixed order). */
export function itemCounts(counts: ReadonlyMap<OtlpSignal, number>): string {
  const parts = (['traces', 'logs', 'metrics'] as const).filter((s) => counts.has(s)).map((s) => itemCount(counts.get(s)!, s));
  return parts.length === 0 ? itemCount(0, 'traces') : parts.join(' and ');
}

/** Adds `count` items of `signal` to a per-signal tally. */
export function tally(counts: Map<OtlpSignal, number>, signal: OtlpSignal, count: number): Map<OtlpSignal, number> {
  counts.set(signal, (counts.get(signal) ?? 0) + count);
  return counts;
}

/** One upstream's queued and dead entries by signal, as a table cell: `logs 2 · traces 1` (empty when only traces). */
export function signalsCell(counts: readonly OutboxSignalCount[], upstream: string): string {
  const mine = counts.filter((c) => c.upstream === upstream);
  if (mine.every((c) => c.signal === 'traces')) return '';
  return mine.map((c) => `${c.signal} ${c.entries + c.deadLetters}`).join(' · ');
}

/** One line per item of a payload, for `skein outbox show`. */
export interface PayloadItem {
  /** traces: the trace and span ids; logs: time and severity; metrics: the metric's type. */
  id: string;
  /** traces: the span name; logs: the event name or body; metrics: the metric name and its points. */
  name: string;
  /** traces only. */
  traceId?: string;
  spanId?: string;
}

export type PayloadItems = { ok: true; items: PayloadItem[] } | { ok: false; error: string };

const BODY_WIDTH = 80;

/** The items of a dead letter's payload, or why it does not decode as that signal's OTLP protobuf request. */
export function payloadItems(signal: OtlpSignal, payload: Uint8Array): PayloadItems {
  try {
    if (signal === 'traces') {
      const spans = decodeTraceRequest(payload, 'protobuf').spans;
      return { ok: true, items: spans.map((s) => ({ id: `${s.traceId} ${s.spanId}`, name: s.name, traceId: s.traceId, spanId: s.spanId })) };
    }
    if (signal === 'logs') {
      const items = decodeLogsRequest(payload, 'protobuf').records.map((r) => {
        const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
        const name = r.eventName ? r.eventName : (text ?? '').replace(/\s+/g, ' ').slice(0, BODY_WIDTH);
        const time = r.timeUnixNano !== 0n ? r.timeUnixNano : r.observedTimeUnixNano;
        return { id: `${formatTimestamp(time)} ${r.severityText || `severity ${r.severityNumber}`}`, name };
      });
      return { ok: true, items };
    }
    const items = decodeMetricsRequest(payload, 'protobuf').metrics.map((m) => ({
      id: m.type,
      name: `${m.name} (${plural(m.points.length, 'point')})`,
    }));
    return { ok: true, items };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
