/**
 * OTLP times and counts are unsigned 64-bit (fixed64); SQLite integers and
 * PostgreSQL int8 are signed. A value past 2^63 - 1 (a broken clock, a
 * hostile sender) would fail the whole request's commit, so it is stored as
 * the signed integer with the same 64 bits and read back exactly. Such a
 * time sorts before every real one (and is the first retention removes).
 */

const TWO_64 = 1n << 64n;
const MAX_INT64 = (1n << 63n) - 1n;

export function uint64Column(value: bigint): bigint {
  return value > MAX_INT64 ? value - TWO_64 : value;
}

export function uint64FromColumn(value: bigint): bigint {
  return value < 0n ? value + TWO_64 : value;
}
