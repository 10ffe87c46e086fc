/**
 * Tagged OTLP export bodies for every signal, and how many items carrying a
 * tag a running `skein serve` stored: for the tests that send something bad
 * (nothing stored) and then something good (stored) to the same server.
 */
import type { LogRecordJson, MetricPointJson } from '../../src/model/log-view.js';
import type { OtlpSignal } from '../../src/model/signals.js';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import type { OtlpFormat } from '../../src/otlp/index.js';
import { readAllSpans } from '../cli/serve/helpers.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { signalBody } from '../server/signal-bodies.js';

/**
 * One Export request of `signal` whose items carry `tag`: a span named
 * `span <tag>`; log records with bodies `said <n><tag>` (session `s-1`);
 * points of `gen_ai.client.token.usage` with `gen_ai.token.type: input<tag>`.
 */
export function exportBody(signal: OtlpSignal, tag: string, format: OtlpFormat = 'protobuf'): Uint8Array {
  if (signal === 'traces') {
    const body = encodeTraceRequest([makeRawSpan({ name: `span ${tag}` })], format);
    return typeof body === 'string' ? new TextEncoder().encode(body) : body;
  }
  return signalBody(signal, format, { tag });
}

/** How many items `exportBody(signal, tag)` put in the store of `serve` (read through its API, or its file for spans). */
export async function storedCount(
  serve: { dbPath: string; api<T>(path: string): Promise<T> },
  signal: OtlpSignal,
  tag: string,
): Promise<number> {
  if (signal === 'traces') return (await readAllSpans(serve.dbPath)).filter((s) => s.name === `span ${tag}`).length;
  if (signal === 'logs') {
    const { items } = await serve.api<{ items: LogRecordJson[] }>('/logs?session=s-1&limit=1000');
    return items.filter((r) => typeof r.body === 'string' && /^said \d+(.*)$/.exec(r.body)?.[1] === tag).length;
  }
  const { items } = await serve.api<{ items: MetricPointJson[] }>('/metrics?name=gen_ai.client.token.usage&limit=1000');
  return items.filter((p) => p.attributes['gen_ai.token.type'] === `input${tag}`).length;
}

/** Every span, log record and metric point `serve` holds (up to 1000 records and points): "nothing stored" is these unchanged. */
export async function storedTotals(serve: { dbPath: string; api<T>(path: string): Promise<T> }): Promise<Record<OtlpSignal, number>> {
  const logs = await serve.api<{ items: unknown[] }>('/logs?limit=1000');
  const metrics = await serve.api<{ items: unknown[] }>('/metrics?limit=1000');
  return { traces: (await readAllSpans(serve.dbPath)).length, logs: logs.items.length, metrics: metrics.items.length };
}
