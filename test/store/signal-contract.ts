/**
 * The TraceStore contract for log records and metric points (issue 16):
 * `runTraceStoreContract` runs it for every backend.
 */

import { describe, expect, it } from 'vitest';
import type { RawLogRecord, StoredLogRecord } from '../../src/model/log-types.js';
import type { RawMetric, StoredMetricPoint } from '../../src/model/metric-types.js';
import { InvalidQueryError, SessionNotFoundError } from '../../src/store/errors.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import { BASE_TIME_UNIX_NANO, MILLI, SECOND, makeRecord, newSpanId, newTraceId } from '../helpers/records.js';
import { BODY_KINDS, LOG_RESOURCE, everyMetricType, gauge, makeLog } from './signal-records.js';

const DAY_MILLIS = 24 * 60 * 60 * 1000;
const nowNanos = (): bigint => BigInt(Date.now()) * MILLI;

/** What the store gives back for a raw record: the record plus its id and session. */
function stored(record: RawLogRecord, sessionId: string | null): StoredLogRecord {
  return { ...record, id: expect.any(Number) as unknown as number, sessionId };
}

function storedPoints(metric: RawMetric, sessionId: string | null): StoredMetricPoint[] {
  const head = {
    id: expect.any(Number) as unknown as number,
    name: metric.name,
    description: metric.description,
    unit: metric.unit,
    type: metric.type,
    temporality: 'temporality' in metric ? metric.temporality : null,
    monotonic: metric.type === 'sum' ? metric.monotonic : null,
    sessionId,
    resource: metric.resource,
    scope: metric.scope,
  };
  return metric.points.map((p) => {
    const point = { ...head, startTimeUnixNano: p.startTimeUnixNano, timeUnixNano: p.timeUnixNano, attributes: p.attributes, flags: p.flags };
    if ('value' in p) return { ...point, value: p.value, count: null, sum: null, min: null, max: null, detail: null };
    if ('quantileValues' in p) {
      return { ...point, value: null, count: p.count, sum: p.sum, min: null, max: null, detail: { quantileValues: p.quantileValues } };
    }
    const rest = { value: null, count: p.count, sum: p.sum, min: p.min, max: p.max };
    if ('explicitBounds' in p) return { ...point, ...rest, detail: { bucketCounts: p.bucketCounts, explicitBounds: p.explicitBounds } };
    const { scale, zeroCount, zeroThreshold, positive, negative } = p;
    return { ...point, ...rest, detail: { scale, zeroCount, zeroThreshold, positive, negative } };
  });
}

async function allLogs(store: TraceStore, query: Parameters<TraceStore['listLogs']>[0] = {}): Promise<StoredLogRecord[]> {
  return (await store.listLogs({ ...query, limit: 1000 })).items;
}

export function runSignalContract(getStore: () => TraceStore): void {
  describe('log records', () => {
    it('keeps every field exactly: times past 2^53, every AnyValue body kind, ids, flags, resource and scope', async () => {
      const store = getStore();
      const traceId = newTraceId();
      const spanId = newSpanId();
      const records = Object.entries(BODY_KINDS).map(([kind, body], i) =>
        makeLog({
          body,
          attributes: { 'session.id': 'round-trip', kind, big: -(2n ** 63n), bytes: new Uint8Array([9]), list: [1, 'a'], map: { $b: 'x' } },
          severityNumber: i % 25,
          severityText: i % 2 === 0 ? 'WARN' : '',
          eventName: i % 3 === 0 ? '' : `event.${kind}`,
          traceId: i % 2 === 0 ? traceId : null,
          spanId: i % 2 === 0 ? spanId : null,
          flags: 0x101,
          droppedAttributesCount: i,
        }),
      );
      await store.writeLogs(records);
      const read = await allLogs(store, { sessionId: 'round-trip' });
      expect(read).toStrictEqual(records.map((r) => stored(r, 'round-trip')));
      const ids = read.map((r) => r.id);
      expect([...ids].sort((a, b) => a - b)).toStrictEqual(ids);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('resolves the session: its own key (attribute, then resource), else its trace\'s session, else none', async () => {
      const store = getStore();
      const traceId = newTraceId();
      await store.write([makeRecord({ traceId, sessionId: 'from-span' })]);
      const unknownTrace = newTraceId();
      const own = makeLog({ attributes: { 'session.id': 'own' }, traceId });
      const fromResource = makeLog({ attributes: {}, resource: { ...LOG_RESOURCE, attributes: { 'session.id': 'res' } } });
      const inherited = makeLog({ attributes: {}, traceId, spanId: newSpanId() });
      const orphan = makeLog({ attributes: {}, traceId: unknownTrace });
      const none = makeLog({ attributes: {} });
      await store.writeLogs([own, fromResource, inherited, orphan, none]);
      const sessions = (await allLogs(store)).map((r) => r.sessionId);
      expect(sessions).toStrictEqual(['own', 'res', 'from-span', null, null]);
      expect(await allLogs(store, { sessionId: 'from-span' })).toStrictEqual([stored(inherited, 'from-span')]);
    });

    it("a record that arrives before its trace's spans takes their session; a late key moves it, not records keyed themselves", async () => {
      const store = getStore();
      const traceId = newTraceId();
      const early = makeLog({ attributes: {}, traceId, spanId: newSpanId() });
      const keyed = makeLog({ attributes: { 'session.id': 'own' }, traceId });
      await store.writeLogs([early, keyed]);
      const sessions = async () => (await allLogs(store, { traceId })).map((r) => r.sessionId);
      expect(await sessions()).toStrictEqual([null, 'own']);
      // A child span without a key: the trace is its own session, as for spans.
      await store.write([makeRecord({ traceId })]);
      expect(await sessions()).toStrictEqual([traceId, 'own']);
      await store.write([makeRecord({ traceId, sessionId: 'late-key' })]);
      expect(await sessions()).toStrictEqual(['late-key', 'own']);
      expect(await allLogs(store, { sessionId: 'late-key' })).toStrictEqual([stored(early, 'late-key')]);
      expect(await allLogs(store, { sessionId: traceId })).toStrictEqual([]);
    });

    it('lists in time order (observed time when there is no time), and every filter narrows', async () => {
      const store = getStore();
      const t = BASE_TIME_UNIX_NANO;
      const traceId = newTraceId();
      const spanId = newSpanId();
      const a = makeLog({ timeUnixNano: t + 3n, attributes: { 'session.id': 's' }, severityNumber: 17, eventName: 'e.error', traceId, spanId });
      const b = makeLog({ timeUnixNano: 0n, observedTimeUnixNano: t + 1n, attributes: { 'session.id': 's' }, severityNumber: 9, eventName: 'e.info' });
      const c = makeLog({ timeUnixNano: t + 2n, attributes: { 'session.id': 'other' }, severityNumber: 13, eventName: 'e.info', traceId, spanId: newSpanId() });
      const d = makeLog({ timeUnixNano: t + 2n, attributes: { 'session.id': 's' }, severityNumber: 5, eventName: '' });
      await store.writeLogs([a, b, c, d]);
      const bodies = (records: StoredLogRecord[]) => records.map((r) => r.body);
      expect(bodies(await allLogs(store))).toStrictEqual([b.body, c.body, d.body, a.body]);
      expect(bodies(await allLogs(store, { sessionId: 's' }))).toStrictEqual([b.body, d.body, a.body]);
      expect(bodies(await allLogs(store, { sessionId: 'nobody' }))).toStrictEqual([]);
      expect(bodies(await allLogs(store, { traceId }))).toStrictEqual([c.body, a.body]);
      expect(bodies(await allLogs(store, { traceId, spanId }))).toStrictEqual([a.body]);
      expect(bodies(await allLogs(store, { eventName: 'e.info' }))).toStrictEqual([b.body, c.body]);
      expect(bodies(await allLogs(store, { eventName: '' }))).toStrictEqual([]);
      expect(bodies(await allLogs(store, { minSeverity: 13 }))).toStrictEqual([c.body, a.body]);
      expect(bodies(await allLogs(store, { fromUnixNano: t + 2n, toUnixNano: t + 3n }))).toStrictEqual([c.body, d.body]);
      expect(bodies(await allLogs(store, { sessionId: 's', eventName: 'e.info', minSeverity: 9 }))).toStrictEqual([b.body]);
    });

    it('pages with a cursor: no record twice or left out, even as records arrive', async () => {
      const store = getStore();
      const t = BASE_TIME_UNIX_NANO;
      // Equal times: the id breaks the tie.
      const records = [0, 1, 2, 3, 4].map((i) => makeLog({ timeUnixNano: t + BigInt(i >> 1), body: `r${i}` }));
      await store.writeLogs(records);
      const first = await store.listLogs({ limit: 2 });
      expect(first.items.map((r) => r.body)).toStrictEqual(['r0', 'r1']);
      expect(first.nextCursor).not.toBeNull();
      await store.writeLogs([makeLog({ timeUnixNano: t - SECOND, body: 'earlier' }), makeLog({ timeUnixNano: t + 9n, body: 'later' })]);
      const second = await store.listLogs({ limit: 2, cursor: first.nextCursor ?? undefined });
      const third = await store.listLogs({ limit: 2, cursor: second.nextCursor ?? undefined });
      expect([...second.items, ...third.items].map((r) => r.body)).toStrictEqual(['r2', 'r3', 'r4', 'later']);
      expect(third.nextCursor).toBeNull();
      expect((await store.listLogs({})).items).toHaveLength(7);
    });

    it('answers a bad limit, cursor, range or filter with InvalidQueryError naming it', async () => {
      const store = getStore();
      const parameter = async (query: object) => {
        const error = await store.listLogs(query as never).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidQueryError);
        return (error as InvalidQueryError).parameter;
      };
      expect(await parameter({ limit: 0 })).toBe('limit');
      expect(await parameter({ limit: 1001 })).toBe('limit');
      expect(await parameter({ limit: 1.5 })).toBe('limit');
      expect(await parameter({ cursor: 'garbage!' })).toBe('cursor');
      expect(await parameter({ fromUnixNano: 5 })).toBe('fromUnixNano');
      expect(await parameter({ fromUnixNano: 10n, toUnixNano: 5n })).toBe('toUnixNano');
      expect(await parameter({ traceId: 'xyz' })).toBe('traceId');
      expect(await parameter({ minSeverity: 'high' })).toBe('minSeverity');
      expect(await parameter({ severity: 3 })).toBe('severity');
      expect((await store.listLogs({ limit: 1000 })).items).toStrictEqual([]);
    });
  });

  describe('metric points', () => {
    it('keeps every metric type exactly, with the point\'s session key', async () => {
      const store = getStore();
      const metrics = everyMetricType('metric-session');
      const resourceKeyed = gauge('m.resource.keyed', BASE_TIME_UNIX_NANO + 8n * SECOND, null, {
        ...LOG_RESOURCE,
        attributes: { 'session.id': 'res-session' },
      });
      const unkeyed = gauge('m.unkeyed', BASE_TIME_UNIX_NANO + 9n * SECOND, null);
      await store.writeMetrics([...metrics, resourceKeyed, unkeyed]);
      const read = (await store.listMetricPoints({ limit: 1000 })).items;
      expect(read).toStrictEqual([
        ...metrics.flatMap((m) => storedPoints(m, 'metric-session')),
        ...storedPoints(resourceKeyed, 'res-session'),
        ...storedPoints(unkeyed, null),
      ]);
    });

    it('filters by name, session and time, and pages with a cursor', async () => {
      const store = getStore();
      await store.writeMetrics([...everyMetricType('a'), ...everyMetricType('b')]);
      const names = (points: StoredMetricPoint[]) => points.map((p) => `${p.name}/${p.sessionId}`);
      expect(names((await store.listMetricPoints({ name: 'm.sum' })).items)).toStrictEqual(['m.sum/a', 'm.sum/b', 'm.sum/a', 'm.sum/b']);
      expect((await store.listMetricPoints({ sessionId: 'b', limit: 1000 })).items).toHaveLength(8);
      const from = BASE_TIME_UNIX_NANO + 3n * SECOND;
      expect(names((await store.listMetricPoints({ sessionId: 'a', fromUnixNano: from, toUnixNano: from + 2n * SECOND })).items)).toStrictEqual([
        'm.sum/a',
        'm.sum/a',
      ]);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listMetricPoints({ limit: 3, cursor });
        seen.push(...page.items.map((p) => String(p.id)));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(seen).toHaveLength(16);
      expect(new Set(seen).size).toBe(16);
      await expect(store.listMetricPoints({ limit: 0 })).rejects.toMatchObject({ parameter: 'limit' });
      await expect(store.listMetricPoints({ cursor: 'nope' })).rejects.toBeInstanceOf(InvalidQueryError);
      // A logs cursor is not a metrics cursor.
      await store.writeLogs([makeLog(), makeLog()]);
      const logCursor = (await store.listLogs({ limit: 1 })).nextCursor ?? '';
      await expect(store.listMetricPoints({ cursor: logCursor })).rejects.toMatchObject({ parameter: 'cursor' });
    });
  });

  describe('deletion and retention of log records and metric points', () => {
    it('deleteSession removes the session\'s records and points, leaving others; a session known only from them can be deleted', async () => {
      const store = getStore();
      await store.write([makeRecord({ sessionId: 'gone' }), makeRecord({ sessionId: 'kept' })]);
      await store.writeLogs([makeLog({ attributes: { 'session.id': 'gone' } }), makeLog({ attributes: { 'session.id': 'kept' } }), makeLog({ attributes: {} })]);
      await store.writeMetrics([...everyMetricType('gone'), ...everyMetricType('kept')]);
      await store.deleteSession('gone');
      expect(await allLogs(store, { sessionId: 'gone' })).toStrictEqual([]);
      expect((await allLogs(store)).map((r) => r.sessionId)).toStrictEqual(['kept', null]);
      expect((await store.listMetricPoints({ sessionId: 'gone' })).items).toStrictEqual([]);
      expect((await store.listMetricPoints({ sessionId: 'kept', limit: 1000 })).items).toHaveLength(8);

      await store.writeLogs([makeLog({ attributes: { 'session.id': 'logs-only' } })]);
      await store.deleteSession('logs-only');
      expect(await allLogs(store, { sessionId: 'logs-only' })).toStrictEqual([]);
      await expect(store.deleteSession('logs-only')).rejects.toBeInstanceOf(SessionNotFoundError);
    });

    it('applyRetention removes the deleted sessions\' records and any record or point older than the age, and counts them', async () => {
      const store = getStore();
      const now = nowNanos();
      const daysAgo = (d: number) => now - BigInt(d * DAY_MILLIS) * MILLI;
      await store.write([
        makeRecord({ sessionId: 'old', startTimeUnixNano: daysAgo(40) }),
        makeRecord({ sessionId: 'recent', startTimeUnixNano: daysAgo(1) }),
      ]);
      await store.writeLogs([
        makeLog({ attributes: { 'session.id': 'old' }, timeUnixNano: daysAgo(1) }), // its session goes
        makeLog({ attributes: { 'session.id': 'recent' }, timeUnixNano: daysAgo(35) }), // too old itself
        makeLog({ attributes: { 'session.id': 'recent' }, timeUnixNano: daysAgo(2) }),
        makeLog({ attributes: {}, timeUnixNano: daysAgo(31) }), // no session, too old
        makeLog({ attributes: {}, timeUnixNano: daysAgo(29) }),
        makeLog({ attributes: {}, timeUnixNano: 0n, observedTimeUnixNano: 0n }), // no time at all: aged from its write
      ]);
      const point = (sessionId: string | null, time: bigint) => gauge('m.point', time, sessionId);
      await store.writeMetrics([point(null, daysAgo(31)), point('old', daysAgo(3)), point('recent', daysAgo(3)), point(null, daysAgo(3))]);
      const result = await store.applyRetention();
      expect(result).toStrictEqual({ sessionsDeleted: 1, spansDeleted: 1, logRecordsDeleted: 3, metricPointsDeleted: 2 });
      expect((await allLogs(store)).map((r) => [r.sessionId, r.timeUnixNano === 0n])).toStrictEqual([
        [null, false],
        ['recent', false],
        [null, true],
      ]);
      expect((await store.listMetricPoints({})).items.map((p) => p.sessionId)).toStrictEqual(['recent', null]);
      expect(await store.applyRetention()).toStrictEqual({ sessionsDeleted: 0, spansDeleted: 0, logRecordsDeleted: 0, metricPointsDeleted: 0 });
    });
  });
}
