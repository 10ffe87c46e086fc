/**
 * Stats percentiles are exact nearest ranks (an observed duration, never
 * interpolated) whatever the group's size, ties and order, and days group
 * by the UTC date of the call's start.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { selectInPlace } from '../../src/store/sqlite/span-stats.js';
import { BASE_TIME_UNIX_NANO, SECOND, makeLlmRecord, newTraceId } from '../helpers/records.js';

/** Nearest rank of `percent` in `values`, by sorting a copy. */
function reference(values: readonly bigint[], percent: number): bigint | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.max(1, Math.ceil((percent / 100) * sorted.length)) - 1];
}

let seed = 1;
function random(below: number): number {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed % below;
}

const stores: SqliteTraceStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function memoryStore(): SqliteTraceStore {
  const store = new SqliteTraceStore({ path: ':memory:' });
  stores.push(store);
  return store;
}

describe('selectInPlace', () => {
  const shapes: Record<string, (n: number) => number[]> = {
    random: (n) => Array.from({ length: n }, () => random(1_000_000) - 1000),
    'many ties': (n) => Array.from({ length: n }, () => random(3)),
    equal: (n) => Array.from({ length: n }, () => 7),
    ascending: (n) => Array.from({ length: n }, (_, i) => i),
    descending: (n) => Array.from({ length: n }, (_, i) => n - i),
    'organ pipe': (n) => Array.from({ length: n }, (_, i) => Math.min(i, n - i)),
  };
  for (const [shape, make] of Object.entries(shapes)) {
    it(`finds every rank of ${shape} values as sorting does`, () => {
      for (const n of [1, 2, 3, 4, 5, 19, 20, 21, 100, 1001]) {
        const values = make(n);
        const sorted = Float64Array.from(values).sort();
        for (const k of new Set([0, n >> 1, n - 1, Math.ceil(0.95 * n) - 1, random(n)])) {
          const work = Float64Array.from(values);
          expect(selectInPlace(work, k)).toBe(sorted[k]);
          // What comes before is not greater, what comes after not smaller.
          expect(Math.max(...work.subarray(0, k), -Infinity)).toBeLessThanOrEqual(work[k]);
          expect(Math.min(...work.subarray(k + 1), Infinity)).toBeGreaterThanOrEqual(work[k]);
        }
      }
    });
  }
});

describe('stats percentiles', () => {
  it('are the nearest ranks of every group size from 1 to 60, with ties, in any order', async () => {
    const store = memoryStore();
    const expected = new Map<string, bigint[]>();
    const records = [];
    for (let n = 1; n <= 60; n++) {
      const model = `m${n}`;
      const traceId = newTraceId();
      const durations = Array.from({ length: n }, () => BigInt(random(n * 2 + 1)) * 1_000n);
      expected.set(model, durations);
      for (const [i, duration] of durations.entries()) {
        const start = BASE_TIME_UNIX_NANO + BigInt(i) * SECOND;
        records.push(makeLlmRecord({ traceId, responseModel: model, startTimeUnixNano: start, endTimeUnixNano: start + duration }));
      }
    }
    await store.write(records);
    const rows = await store.stats({ groupBy: 'model' });
    expect(rows).toHaveLength(60);
    for (const row of rows) {
      const durations = expected.get(row.key) ?? [];
      expect([row.key, row.p50DurationNanos, row.p95DurationNanos]).toStrictEqual([
        row.key,
        reference(durations, 50),
        reference(durations, 95),
      ]);
    }
  });

  it('rank a group holding one duration past 2^53 ns exactly, and the other groups of the query too', async () => {
    const store = memoryStore();
    const traceId = newTraceId();
    const start = BASE_TIME_UNIX_NANO;
    const long = [2n ** 53n + 3n, 2n ** 53n + 1n, 5n, 2n ** 53n + 2n];
    const short = [9_007_199_254_740_991n, 3n, 1n];
    await store.write([
      ...long.map((d) => makeLlmRecord({ traceId, responseModel: 'long', startTimeUnixNano: start, endTimeUnixNano: start + d })),
      ...short.map((d) => makeLlmRecord({ traceId, responseModel: 'short', startTimeUnixNano: start, endTimeUnixNano: start + d })),
    ]);
    const rows = new Map((await store.stats({ groupBy: 'model' })).map((row) => [row.key, row]));
    expect(rows.get('long')).toMatchObject({ p50DurationNanos: 2n ** 53n + 1n, p95DurationNanos: 2n ** 53n + 3n });
    expect(rows.get('short')).toMatchObject({ p50DurationNanos: 3n, p95DurationNanos: 9_007_199_254_740_991n });
  });
});

describe('stats by day', () => {
  it('groups by the UTC date of the start, its last nanosecond and midnight included', async () => {
    const store = memoryStore();
    const traceId = newTraceId();
    const midnight = 1_700_006_400n * SECOND; // 2023-11-15T00:00:00Z
    const starts = [0n, 86_399n * SECOND + 999_999_999n, midnight - 1n, midnight, midnight + 86_399n * SECOND, midnight + 86_400n * SECOND];
    await store.write(
      starts.map((start) => makeLlmRecord({ traceId, startTimeUnixNano: start, endTimeUnixNano: start + SECOND })),
    );
    expect((await store.stats({ groupBy: 'day' })).map((row) => [row.key, row.calls])).toStrictEqual([
      ['1970-01-01', 2],
      ['2023-11-14', 1],
      ['2023-11-15', 2],
      ['2023-11-16', 1],
    ]);
    expect((await store.stats({ groupBy: 'day', fromUnixNano: midnight })).map((row) => [row.key, row.calls])).toStrictEqual([
      ['2023-11-15', 2],
      ['2023-11-16', 1],
    ]);
  });
});
