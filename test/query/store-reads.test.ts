import { beforeEach, describe, expect, it } from 'vitest';
import { listSessionsMatching, plainTextQuery, sessionModels, sessionSpans, traceSpans } from '../../src/query/store-reads.js';
import { SessionNotFoundError, TraceNotFoundError } from '../../src/store/errors.js';
import type { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import { ALPHA, BETA, useSeededStore } from '../server/query-api/seed.js';

/** The store seen through the `TraceStore` interface only: no SQLite extras such as `getSessionModels`. */
function interfaceOnly(store: TraceStore): TraceStore {
  return {
    write: (spans) => store.write(spans),
    writeLogs: (records) => store.writeLogs(records),
    writeMetrics: (metrics) => store.writeMetrics(metrics),
    listLogs: (query) => store.listLogs(query),
    listMetricPoints: (query) => store.listMetricPoints(query),
    getSession: (id) => store.getSession(id),
    listSessions: (query) => store.listSessions(query),
    getTimeline: (id) => store.getTimeline(id),
    getTree: (id) => store.getTree(id),
    getSpans: (query) => store.getSpans(query),
    search: (query) => store.search(query),
    stats: (query) => store.stats(query),
    deleteSession: (id) => store.deleteSession(id),
    applyRetention: (policy) => store.applyRetention(policy),
    close: () => store.close(),
  };
}

describe('store reads', () => {
  const seeded = useSeededStore();
  let store: SqliteTraceStore;
  beforeEach(() => {
    store = seeded.store();
  });

  it('reads every span of a session and of a trace, oldest start first', async () => {
    const spans = await sessionSpans(store, ALPHA.sessionId);
    expect(spans.map((s) => s.name)).toHaveLength(6);
    const starts = spans.map((s) => s.startTimeUnixNano);
    expect([...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(starts);
    const trace = await traceSpans(store, spans[0].traceId);
    expect(trace.map((s) => s.spanId)).toEqual(spans.filter((s) => s.traceId === spans[0].traceId).map((s) => s.spanId));
  });

  it('names what is missing: an unknown session or trace', async () => {
    await expect(sessionSpans(store, 'no-such-session')).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(sessionModels(interfaceOnly(store), 'no-such-session')).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(traceSpans(store, 'f'.repeat(32))).rejects.toBeInstanceOf(TraceNotFoundError);
  });

  it('gives any store the per-model breakdown the SQLite store answers from its rollups', async () => {
    for (const sessionId of [ALPHA.sessionId, BETA.sessionId]) {
      const fromRollups = await sessionModels(store, sessionId);
      const fromSpans = await sessionModels(interfaceOnly(store), sessionId);
      expect(fromSpans.map((m) => ({ ...m, costUsd: m.costUsd.toFixed(9) }))).toEqual(
        fromRollups.map((m) => ({ ...m, costUsd: m.costUsd.toFixed(9) })),
      );
    }
    const alpha = await sessionModels(interfaceOnly(store), ALPHA.sessionId);
    expect(alpha.map((m) => m.model).sort()).toEqual(['claude-sonnet-4-5', 'gpt-4o-mini']);
    expect(alpha.find((m) => m.model === 'claude-sonnet-4-5')?.costUsd).toBe(ALPHA.claudeCostUsd);
  });

  it('quotes every word, so punctuation a person types is not query syntax', () => {
    expect(plainTextQuery('  capital  of "France" ')).toBe('"capital" "of" """France"""');
    expect(plainTextQuery('a OR b*')).toBe('"a" "OR" "b*"');
    expect(plainTextQuery('   ')).toBe('');
  });

  it('pages sessions that match, one store page at a time, to the end', async () => {
    const match = plainTextQuery('zebra');
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 5; pages++) {
      const page = await listSessionsMatching(store, { limit: 1, cursor }, match);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((s) => s.sessionId));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen.sort()).toEqual([ALPHA.sessionId, BETA.sessionId].sort());
    expect(await listSessionsMatching(store, {}, plainTextQuery('no-word-like-this'))).toEqual({ items: [], nextCursor: null });
  });
});
