import { describe, expect, it } from 'vitest';
import {
  MAX_RETRY_AFTER_MILLIS,
  isRetryableStatus,
  parseRetryAfterMillis,
  retryDelayMillis,
} from '../../src/forward/retry-policy.js';

describe('isRetryableStatus', () => {
  it('retries what OTLP/HTTP lists as retryable: 429, 502, 503, 504', () => {
    for (const status of [429, 502, 503, 504]) expect([status, isRetryableStatus(status)]).toEqual([status, true]);
  });

  it('never retries any other 4xx or 5xx (the spec: they MUST NOT be retried)', () => {
    for (const status of [400, 401, 403, 404, 408, 413, 415, 500, 501, 505, 507, 511]) {
      expect([status, isRetryableStatus(status)]).toEqual([status, false]);
    }
  });
});

describe('parseRetryAfterMillis', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfterMillis('7', now)).toBe(7000);
    expect(parseRetryAfterMillis('0', now)).toBe(0);
    expect(parseRetryAfterMillis('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMillis('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMillis(null, now)).toBeNull();
    expect(parseRetryAfterMillis('soon', now)).toBeNull();
    expect(parseRetryAfterMillis('-3', now)).toBeNull();
    expect(parseRetryAfterMillis('1.5', now)).toBeNull();
    expect(parseRetryAfterMillis(' 12 ', now)).toBe(12_000);
  });

  it('bounds a huge or far-future answer, so one bogus header cannot stop forwarding for years', () => {
    expect(MAX_RETRY_AFTER_MILLIS).toBe(3_600_000);
    expect(parseRetryAfterMillis('3600', now)).toBe(3_600_000);
    expect(parseRetryAfterMillis('3601', now)).toBe(MAX_RETRY_AFTER_MILLIS);
    expect(parseRetryAfterMillis('99999999999', now)).toBe(MAX_RETRY_AFTER_MILLIS);
    // More digits than a double holds: Number() gives Infinity.
    expect(parseRetryAfterMillis('9'.repeat(400), now)).toBe(MAX_RETRY_AFTER_MILLIS);
    expect(parseRetryAfterMillis('Fri, 01 Jan 2100 00:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_MILLIS);
  });
});

describe('retryDelayMillis', () => {
  const settings = { initialBackoffMillis: 500, maxBackoffMillis: 60_000 };

  it('doubles the backoff with each failure, up to the maximum', () => {
    const upperEdge = () => 1 - Number.EPSILON;
    expect([0, 1, 2, 3, 6, 7, 8].map((n) => Math.round(retryDelayMillis(n, null, settings, upperEdge)))).toEqual([
      500, 1000, 2000, 4000, 32_000, 60_000, 60_000,
    ]);
    // No overflow however long the outage.
    expect(retryDelayMillis(10_000, null, settings, upperEdge)).toBeCloseTo(60_000);
  });

  it('jitters over the upper half of the backoff: [backoff/2, backoff)', () => {
    expect(retryDelayMillis(2, null, settings, () => 0)).toBe(1000);
    expect(retryDelayMillis(2, null, settings, () => 0.5)).toBe(1500);
    expect(retryDelayMillis(2, null, settings, () => 0.999)).toBeLessThan(2000);
    expect(retryDelayMillis(2, null, settings, () => 0.999)).toBeGreaterThan(1990);
  });

  it('never waits less than Retry-After, and Retry-After never shortens the backoff', () => {
    expect(retryDelayMillis(0, 7000, settings, () => 0)).toBe(7000);
    expect(retryDelayMillis(8, 7000, settings, () => 0)).toBe(30_000);
    expect(retryDelayMillis(0, 0, settings, () => 0)).toBe(250);
  });
});
