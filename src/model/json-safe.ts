/**
 * JSON views of stored values: what `JSON.stringify` cannot carry exactly is
 * turned into strings (64-bit integers in decimal, bytes in base64), so every
 * reader (the API, the live stream, the CLI) shows the same text.
 */

/** Deep copy with bigint → decimal string and bytes → base64, so `JSON.stringify` is exact and never throws. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = jsonSafe(inner);
    return out;
  }
  return value;
}
