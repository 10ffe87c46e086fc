import type { EncodedBatch } from '../ingest/encoded-batch.js';

/**
 * The batch with `values` structured clone accepts: values an app forced in
 * past the API's types (functions, symbols, class instances) become
 * strings, as an OTLP exporter would send them.
 */
export function withPlainValues(batch: EncodedBatch): EncodedBatch {
  return { ...batch, values: batch.values.map(plainValue) };
}

function plainValue(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint') return value;
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(plainValue);
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key in value as Record<string, unknown>) out[key] = plainValue((value as Record<string, unknown>)[key]);
    return out;
  }
  return String(value);
}
