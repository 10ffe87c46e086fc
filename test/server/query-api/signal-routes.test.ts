/** GET /api/sessions/:id/events, /api/logs, /api/metrics and the log records of each span of /api/traces/:id. */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { join } from 'node:path';
import type { LogRecordJson, MetricPointJson } from '../../../src/model/log-view.js';
import { createQueryApi } from '../../../src/server/query-api/index.js';
import { SqliteTraceStore } from '../../../src/store/sqlite/index.js';
import { BASE_TIME_UNIX_NANO, MILLI, makeRecord, newSpanId, newTraceId } from '../../helpers/records.js';
import { tempDir } from './seed.js';
import { SIGNALS, makeLog, seedSignals } from './signal-seed.js';

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface ErrorBody {
  error: { code: string; message: string; parameter?: string };
}
interface TraceSpan {
  spanId: string;
  events: unknown[];
  logs: LogRecordJson[];
  logsTruncated: boolean;
}

let temp: ReturnType<typeof tempDir>;
let store: SqliteTraceStore;
let app: Hono;

beforeAll(async () => {
  temp = tempDir('skein-signal-api-');
  store = new SqliteTraceStore({ path: join(temp.dir, 'signals.db') });
  await seedSignals(store);
  app = new Hono().route('/api', createQueryApi({ store }));
});

afterAll(async () => {
  await store.close();
  temp.cleanup();
});

async function get<T>(path: string, status = 200): Promise<T> {
  const res = await app.request(path);
  const body = await res.text();
  expect(res.status, `${path}: ${body}`).toBe(status);
  return JSON.parse(body) as T;
}

const events = (list: LogRecordJson[]) => list.map((r) => r.eventName);

/** Every page of `path` (which has no query string yet), `limit` at a time. */
async function allPages<T>(path: string, limit: number): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: Page<T> = await get<Page<T>>(`${path}${sep}limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
  } while (cursor !== null);
  return { items, pages };
}

describe('GET /api/sessions/:id/events', () => {
  it("lists the session's records in time order, as logRecordJson shows them", async () => {
    const body = await get<Page<LogRecordJson> & { sessionId: string }>(`/api/sessions/${SIGNALS.session}/events`);
    expect(body.sessionId).toBe(SIGNALS.session);
    expect(events(body.items)).toEqual(['gen_ai.user.message', 'gen_ai.choice', '', 'tool.result', 'api.error']);
    expect(body.nextCursor).toBeNull();
    const times = body.items.map((r) => BigInt(r.timeUnixNano));
    expect(times).toEqual([...times].sort((a, b) => (a < b ? -1 : 1)));
    const choice = body.items[1];
    expect(choice).toMatchObject({
      sessionId: SIGNALS.session, traceId: SIGNALS.traceId, spanId: SIGNALS.llmSpanId,
      severityNumber: 9, severityText: 'INFO', timeUnixNano: String(BASE_TIME_UNIX_NANO + 50n * MILLI),
      body: { message: { content: SIGNALS.answer } }, resource: { 'service.name': 'log-agent' },
      scope: { name: 'agent-events', version: '2.0.0' },
    });
    expect(choice.id).toBeTypeOf('number');
  });

  it('filters by event name and by severity, as a number or a level name', async () => {
    const byName = await get<Page<LogRecordJson>>(`/api/sessions/${SIGNALS.session}/events?eventName=gen_ai.choice`);
    expect(events(byName.items)).toEqual(['gen_ai.choice']);
    for (const level of ['warn', 'WARN', '13']) {
      const page = await get<Page<LogRecordJson>>(`/api/sessions/${SIGNALS.session}/events?minSeverity=${level}`);
      expect(events(page.items), level).toEqual(['tool.result', 'api.error']);
    }
    const errors = await get<Page<LogRecordJson>>(`/api/sessions/${SIGNALS.session}/events?minSeverity=error&eventName=tool.result`);
    expect(errors.items).toEqual([]);
    const debug = await get<Page<LogRecordJson>>(`/api/sessions/${SIGNALS.session}/events?minSeverity=debug`);
    expect(debug.items).toHaveLength(5);
  });

  it('pages by cursor with no gap and no duplicate', async () => {
    const { items, pages } = await allPages<LogRecordJson>(`/api/sessions/${SIGNALS.session}/events`, 2);
    expect(pages).toBe(3);
    expect(events(items)).toEqual(['gen_ai.user.message', 'gen_ai.choice', '', 'tool.result', 'api.error']);
    expect(new Set(items.map((r) => r.id)).size).toBe(5);
  });

  it('knows a session that only log records name (no spans)', async () => {
    const body = await get<Page<LogRecordJson>>(`/api/sessions/${SIGNALS.logsOnly}/events`);
    expect(events(body.items)).toEqual(['claude_code.user_prompt', 'claude_code.api_request']);
    expect(body.items[1].attributes).toEqual({ 'session.id': SIGNALS.logsOnly, cost_usd: 0.0123 });
    // A filter that matches nothing in a known session is an empty page, not a 404.
    const none = await get<Page<LogRecordJson>>(`/api/sessions/${SIGNALS.logsOnly}/events?eventName=nothing`);
    expect(none.items).toEqual([]);
  });

  it('is 404 for a session with no spans and no records, filtered or not', async () => {
    for (const path of ['/api/sessions/no-such-session/events', '/api/sessions/no-such-session/events?minSeverity=error']) {
      const body = await get<ErrorBody>(path, 404);
      expect(body.error.code).toBe('session_not_found');
      expect(body.error.message).toContain('no-such-session');
    }
  });

  it.each([
    ['minSeverity=loud', 'minSeverity'],
    ['minSeverity=25', 'minSeverity'],
    ['minSeverity=', 'minSeverity'],
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['eventName=', 'eventName'],
    ['severity=warn', 'severity'],
  ])('answers 400 naming the parameter for %s', async (search, parameter) => {
    const body = await get<ErrorBody>(`/api/sessions/${SIGNALS.session}/events?${search}`, 400);
    expect(body.error.code).toBe('bad_request');
    expect(body.error.parameter).toBe(parameter);
  });
});

describe('GET /api/logs', () => {
  it('lists every record in time order, the one of no session with a null sessionId', async () => {
    const body = await get<Page<LogRecordJson>>('/api/logs');
    expect(body.items).toHaveLength(8);
    const times = body.items.map((r) => BigInt(r.timeUnixNano));
    expect(times).toEqual([...times].sort((a, b) => (a < b ? -1 : 1)));
    expect(body.items.find((r) => r.eventName === 'orphan')?.sessionId).toBeNull();
  });

  it('filters by session, trace, span, event name, severity and time', async () => {
    const names = async (search: string) => events((await get<Page<LogRecordJson>>(`/api/logs?${search}`)).items);
    expect(await names(`session=${SIGNALS.logsOnly}`)).toEqual(['claude_code.user_prompt', 'claude_code.api_request']);
    expect(await names(`traceId=${SIGNALS.traceId}`)).toEqual(['gen_ai.choice', 'tool.result', 'api.error']);
    expect(await names(`traceId=${SIGNALS.traceId}&spanId=${SIGNALS.toolSpanId}`)).toEqual(['tool.result', 'api.error']);
    expect(await names(`spanId=${SIGNALS.llmSpanId}`)).toEqual(['gen_ai.choice']);
    expect(await names('eventName=orphan')).toEqual(['orphan']);
    expect(await names('minSeverity=fatal')).toEqual([]);
    expect(await names(`minSeverity=17&session=${SIGNALS.session}`)).toEqual(['api.error']);
    const from = BASE_TIME_UNIX_NANO + 40n * MILLI;
    const to = BASE_TIME_UNIX_NANO + 250n * MILLI;
    // from inclusive, to exclusive.
    expect(await names(`from=${from}&to=${to}`)).toEqual(['claude_code.api_request', 'gen_ai.choice', '']);
    expect(await names('from=2023-11-14T22:13:20.250Z&to=2023-11-14T22:13:20.300000001Z')).toEqual(['tool.result', 'api.error']);
  });

  it('pages by cursor', async () => {
    const { items, pages } = await allPages<LogRecordJson>('/api/logs', 3);
    expect(pages).toBe(3);
    expect(items).toEqual((await get<Page<LogRecordJson>>('/api/logs')).items);
  });

  it.each([
    ['traceId=abc', 'traceId'],
    ['spanId=ABCDEF0123456789', 'spanId'],
    ['from=yesterday', 'from'],
    ['to=-5', 'to'],
    ['minSeverity=warning', 'minSeverity'],
    ['session=', 'session'],
    ['limit=x', 'limit'],
    ['trace=ab', 'trace'],
    ['limit=1&limit=2', 'limit'],
    ['from=1h&to=2h', 'to'],
  ])('answers 400 naming the parameter for %s', async (search, parameter) => {
    const body = await get<ErrorBody>(`/api/logs?${search}`, 400);
    expect(body.error).toMatchObject({ code: 'bad_request', parameter });
  });

  it('answers 400 in its own words for a range that ends before it starts', async () => {
    const body = await get<ErrorBody>('/api/logs?from=1h&to=2h', 400);
    expect(body.error).toEqual({ code: 'bad_request', message: 'to: must not be before from', parameter: 'to' });
  });

  it('answers 400 for a cursor the store did not give', async () => {
    const body = await get<ErrorBody>('/api/logs?cursor=not-a-cursor', 400);
    expect(body.error.code).toBe('bad_request');
    expect(body.error.parameter).toBe('cursor');
  });
});

describe('GET /api/metrics', () => {
  it('lists points by name and session in time order, 64-bit integers exact', async () => {
    const tokens = await get<Page<MetricPointJson>>(`/api/metrics?name=${SIGNALS.tokenMetric}`);
    expect(tokens.items.map((p) => p.value)).toEqual(['120', '9007199254740993']);
    expect(tokens.items[0]).toMatchObject({
      name: SIGNALS.tokenMetric, type: 'sum', temporality: 'cumulative', monotonic: true, unit: '{token}',
      sessionId: SIGNALS.session, attributes: { 'gen_ai.token.type': 'input' },
    });
    const bySession = await get<Page<MetricPointJson>>(`/api/metrics?session=${SIGNALS.session}`);
    expect(bySession.items.map((p) => p.name)).toEqual([SIGNALS.tokenMetric, SIGNALS.tokenMetric]);
    const gauge = await get<Page<MetricPointJson>>(`/api/metrics?name=${SIGNALS.gauge}`);
    expect(gauge.items).toHaveLength(1);
    expect(gauge.items[0]).toMatchObject({ type: 'gauge', value: 1.5, sessionId: null, temporality: null });
  });

  it('filters by time and pages by cursor', async () => {
    const second = BASE_TIME_UNIX_NANO + 2000n * MILLI;
    const late = await get<Page<MetricPointJson>>(`/api/metrics?from=${second}`);
    expect(late.items.map((p) => p.value)).toEqual(['9007199254740993']);
    const early = await get<Page<MetricPointJson>>(`/api/metrics?to=${second}`);
    expect(early.items.map((p) => p.value).sort()).toEqual(['120', 1.5].sort());
    const { items, pages } = await allPages<MetricPointJson>('/api/metrics', 1);
    expect(pages).toBe(3);
    expect(new Set(items.map((p) => p.id)).size).toBe(3);
  });

  it.each([
    ['name=', 'name'],
    ['from=soon', 'from'],
    ['limit=0', 'limit'],
    ['eventName=x', 'eventName'],
    ['from=2023-11-15&to=2023-11-14', 'to'],
  ])('answers 400 naming the parameter for %s', async (search, parameter) => {
    const body = await get<ErrorBody>(`/api/metrics?${search}`, 400);
    expect(body.error).toMatchObject({ code: 'bad_request', parameter });
  });
});

describe('GET /api/traces/:traceId: the log records of each step', () => {
  it('gives each span the records carrying its trace and span id, in time order', async () => {
    const { spans } = await get<{ spans: TraceSpan[] }>(`/api/traces/${SIGNALS.traceId}`);
    const bySpan = new Map(spans.map((s) => [s.spanId, s]));
    expect(events(bySpan.get(SIGNALS.llmSpanId)!.logs)).toEqual(['gen_ai.choice']);
    expect(events(bySpan.get(SIGNALS.toolSpanId)!.logs)).toEqual(['tool.result', 'api.error']);
    expect(spans.every((s) => s.logsTruncated === false)).toBe(true);
    // The span's own OTel events are untouched.
    expect(spans.every((s) => Array.isArray(s.events))).toBe(true);
  });

  it('keeps at most 100 per step and says so, also in a trace with more than 1000 records', async () => {
    const traceId = newTraceId();
    const busy = newSpanId();
    const quiet = newSpanId();
    const silent = newSpanId();
    await store.write([
      makeRecord({ sessionId: 'sess-busy', traceId, spanId: busy, name: 'busy' }),
      makeRecord({ sessionId: 'sess-busy', traceId, spanId: quiet, name: 'quiet' }),
      makeRecord({ sessionId: 'sess-busy', traceId, spanId: silent, name: 'silent' }),
    ]);
    const tied = (n: number, spanId: string, from: number) =>
      Array.from({ length: n }, (_, i) => makeLog(from + i, 'sess-busy', { traceId, spanId, eventName: `e${from + i}` }));
    await store.writeLogs([...tied(101, busy, 0), ...tied(2, quiet, 5000)]);
    let spans = (await get<{ spans: TraceSpan[] }>(`/api/traces/${traceId}`)).spans;
    let byName = (spanId: string) => spans.find((s) => s.spanId === spanId)!;
    expect(byName(busy).logs).toHaveLength(100);
    expect(byName(busy).logs[0].eventName).toBe('e0');
    expect(byName(busy).logs[99].eventName).toBe('e99');
    expect(byName(busy).logsTruncated).toBe(true);
    expect(events(byName(quiet).logs)).toEqual(['e5000', 'e5001']);
    expect(byName(quiet).logsTruncated).toBe(false);
    expect(byName(silent).logs).toEqual([]);

    // Past 1000 records in the trace, each step is read on its own: the same answer.
    await store.writeLogs(tied(1000, busy, 10_000));
    spans = (await get<{ spans: TraceSpan[] }>(`/api/traces/${traceId}`)).spans;
    byName = (spanId: string) => spans.find((s) => s.spanId === spanId)!;
    expect(byName(busy).logs).toHaveLength(100);
    expect(byName(busy).logs[99].eventName).toBe('e99');
    expect(byName(busy).logsTruncated).toBe(true);
    expect(events(byName(quiet).logs)).toEqual(['e5000', 'e5001']);
    expect(byName(quiet).logsTruncated).toBe(false);
    expect(byName(silent).logs).toEqual([]);
  });
});

describe('GET /api/openapi.json', () => {
  it('documents the log and metric routes, their parameters and schemas', async () => {
    const doc = await get<{
      paths: Record<string, Record<string, { parameters: { name: string }[]; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>('/api/openapi.json');
    const params = (path: string) => doc.paths[path].get.parameters.map((p) => p.name);
    expect(params('/sessions/{id}/events')).toEqual(['id', 'eventName', 'minSeverity', 'limit', 'cursor']);
    expect(params('/logs')).toEqual(['session', 'traceId', 'spanId', 'eventName', 'minSeverity', 'from', 'to', 'limit', 'cursor']);
    expect(params('/metrics')).toEqual(['name', 'session', 'from', 'to', 'limit', 'cursor']);
    expect(Object.keys(doc.paths['/sessions/{id}/events'].get.responses).sort()).toEqual(['200', '400', '404']);
    const record = doc.components.schemas.LogRecord.properties!;
    const sample = (await get<Page<LogRecordJson>>('/api/logs?limit=1')).items[0];
    expect(Object.keys(record).sort()).toEqual(Object.keys(sample).sort());
    const point = doc.components.schemas.MetricPoint.properties!;
    const samplePoint = (await get<Page<MetricPointJson>>('/api/metrics?limit=1')).items[0];
    expect(Object.keys(point).sort()).toEqual(Object.keys(samplePoint).sort());
    expect(doc.components.schemas.TraceSpan.properties).toHaveProperty('logs');
    expect(doc.components.schemas.TraceSpan.properties).toHaveProperty('logsTruncated');
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const ref of refs) expect(doc.components.schemas[ref.split('/').pop()!]).toBeDefined();
  });
});
