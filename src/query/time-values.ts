/**
 * Times and durations as people type them, parsed exactly to BigInt
 * nanoseconds (never through a lossy double). Shared by the API and the CLI.
 */

const UNIT_NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};

/** Times and durations are signed 64-bit in OTLP and in SQLite: past this they cannot be compared. */
export const MAX_INT64 = 2n ** 63n - 1n;

const inRange = (value: bigint): bigint | null => (value >= 0n && value <= MAX_INT64 ? value : null);

const DURATION = /^(\d+)(?:\.(\d+))?(ns|us|µs|ms|s|m|h|d)?$/;

/** `250ms`, `1.5s`, `30d`, or plain nanoseconds → nanoseconds; null when it is none of those. */
export function parseDurationNanos(raw: string): bigint | null {
  const match = DURATION.exec(raw.trim());
  if (!match) return null;
  const [, whole, fraction = '', unit] = match;
  if (unit === undefined && fraction !== '') return null;
  const perUnit = UNIT_NANOS[unit ?? 'ns'];
  const scale = 10n ** BigInt(fraction.length);
  // Fractions below a nanosecond are cut, not rounded: the value is a lower bound.
  return inRange(((BigInt(whole) * scale + BigInt(fraction || '0')) * perUnit) / scale);
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:\d{2})?$/;

/**
 * An RFC 3339 timestamp (fractions to the nanosecond; a bare date is UTC
 * midnight), Unix nanoseconds (all digits), or an age before `nowMillis`
 * with a unit (`24h`, `7d`) → Unix nanoseconds. null when it is none of those
 * or falls outside 1970 … 2262 (signed 64-bit nanoseconds).
 */
export function parseTimeUnixNano(raw: string, nowMillis: number = Date.now()): bigint | null {
  const value = raw.trim();
  if (/^\d+$/.test(value)) return inRange(BigInt(value));
  if (/^\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d)$/.test(value)) {
    const age = parseDurationNanos(value);
    return age === null ? null : inRange(BigInt(nowMillis) * 1_000_000n - age);
  }
  const match = RFC3339.exec(value);
  if (!match) return null;
  const [, date, clock = '00:00:00', fraction = '', zone = 'Z'] = match;
  const seconds = clock.length === 5 ? `${clock}:00` : clock;
  const millis = Date.parse(`${date}T${seconds}${zone.toUpperCase()}`);
  if (!Number.isFinite(millis)) return null;
  const subSecondNanos = BigInt(fraction.padEnd(9, '0') || '0');
  return inRange(BigInt(millis) * 1_000_000n + subSecondNanos);
}

/** Unix nanoseconds → RFC 3339 with nanoseconds kept (`2025-01-31T12:00:00.123456789Z`). */
export function formatUnixNano(unixNano: bigint): string {
  const millis = unixNano / 1_000_000n;
  const base = new Date(Number(millis)).toISOString().slice(0, 19);
  const nanos = ((unixNano % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  return `${base}.${nanos.toString().padStart(9, '0')}Z`;
}
