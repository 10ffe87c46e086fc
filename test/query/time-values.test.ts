import { describe, expect, it } from 'vitest';
import { formatUnixNano, parseDurationNanos, parseTimeUnixNano } from '../../src/query/time-values.js';

describe('time values', () => {
  it('parses RFC 3339 to the nanosecond, exactly', () => {
    expect(parseTimeUnixNano('2025-01-31T12:00:00.123456789Z')).toBe(1738324800123456789n);
    expect(parseTimeUnixNano('2025-01-31T13:00:00.123456789+01:00')).toBe(1738324800123456789n);
    expect(parseTimeUnixNano('2025-01-31')).toBe(1738281600000000000n);
    expect(formatUnixNano(1738324800123456789n)).toBe('2025-01-31T12:00:00.123456789Z');
  });

  it('takes Unix nanoseconds and ages before now', () => {
    expect(parseTimeUnixNano('1738324800123456789')).toBe(1738324800123456789n);
    const now = 1_700_000_000_000;
    expect(parseTimeUnixNano('24h', now)).toBe(BigInt(now) * 1_000_000n - 86_400_000_000_000n);
    expect(parseTimeUnixNano('1.5s', now)).toBe(BigInt(now) * 1_000_000n - 1_500_000_000n);
  });

  it('refuses what is not a time, or past signed 64-bit nanoseconds', () => {
    for (const bad of ['yesterday', '2025-13-01T00:00:00Z', '2999-01-01', '99999999999999999999', '', '12:00']) {
      expect(parseTimeUnixNano(bad), bad).toBeNull();
    }
  });

  it('parses durations with units, fractions and plain nanoseconds', () => {
    expect(parseDurationNanos('250ms')).toBe(250_000_000n);
    expect(parseDurationNanos('1.5s')).toBe(1_500_000_000n);
    expect(parseDurationNanos('30d')).toBe(30n * 86_400_000_000_000n);
    expect(parseDurationNanos('42')).toBe(42n);
    expect(parseDurationNanos('2us')).toBe(2_000n);
    for (const bad of ['1.5', 'fast', '-1s', '1 week', '1e3s']) expect(parseDurationNanos(bad), bad).toBeNull();
  });
});
