/** Numbers as a person reads them: durations, money, token counts, times. */

/** 950ns, 12µs, 340ms, 1.24s, 3m 05s, 2h 10m. */
export function formatDurationNanos(nanos: bigint | null): string {
  if (nanos === null) return '—';
  if (nanos < 0n) return `-${formatDurationNanos(-nanos)}`;
  if (nanos < 1_000n) return `${nanos}ns`;
  if (nanos < 1_000_000n) return `${Number(nanos) / 1_000 < 10 ? (Number(nanos) / 1_000).toFixed(1) : Math.round(Number(nanos) / 1_000)}µs`;
  const millis = Number(nanos / 1_000n) / 1_000;
  if (millis < 1_000) return `${millis < 10 ? millis.toFixed(1) : Math.round(millis)}ms`;
  const seconds = millis / 1_000;
  if (seconds < 60) return `${seconds.toFixed(2)}s`;
  const wholeSeconds = Math.floor(seconds);
  if (wholeSeconds < 3_600) return `${Math.floor(wholeSeconds / 60)}m ${String(wholeSeconds % 60).padStart(2, '0')}s`;
  const minutes = Math.floor(wholeSeconds / 60);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(minutes / 1_440)}d ${String(Math.floor((minutes % 1_440) / 60)).padStart(2, '0')}h`;
}

/** $0.0123 — four decimals below a dollar (model calls cost fractions of a cent), two above. */
export function formatUsd(usd: number | null): string {
  if (usd === null) return '—';
  if (usd === 0) return '$0';
  return Math.abs(usd) < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** 1234567 → 1,234,567. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Unix nanoseconds → `2025-01-31 12:00:00.123Z` (UTC, milliseconds). */
export function formatTimestamp(unixNano: bigint): string {
  return new Date(Number(unixNano / 1_000_000n)).toISOString().replace('T', ' ');
}

/** Bytes in IEC units: `512 B`, `1.5 KiB`, `12 MiB` (one decimal below 10). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
