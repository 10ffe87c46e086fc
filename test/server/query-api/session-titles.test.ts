/**
 * What the sessions list needs from the session JSON: a title for sessions
 * without an agent name, the last activity the `recent` order sorts by (and a
 * `newest` order by start), costs without float noise, and the redaction count.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { createNormalizer } from '../../../src/model/normalize.js';
import type { RawSpan } from '../../../src/model/types.js';
import { createQueryApi } from '../../../src/server/query-api/index.js';
import { SqliteTraceStore } from '../../../src/store/sqlite/index.js';
import { hexId, makeRawSpan } from '../../helpers/raw-spans.js';
import { tempDir } from './seed.js';

interface SessionJson {
  sessionId: string;
  title: string | null;
  agentName: string | null;
  firstStartUnixNano: string;
  lastActivityUnixNano: string;
  costUsd: number;
  redactedCount?: number;
  modelBreakdown?: Array<{ costUsd: number }>;
}

const T0 = 1_760_000_000_000_000_000n;
const SECOND = 1_000_000_000n;

let dir: ReturnType<typeof tempDir>;
let store: SqliteTraceStore;
let app: Hono;

/** A span of session `session` with only the attributes given (plus the session key). */
function span(session: string, overrides: Partial<RawSpan> & { attrs?: Record<string, unknown> }): RawSpan {
  const { attrs = {}, ...rest } = overrides;
  return makeRawSpan({ attributes: { 'gen_ai.conversation.id': session, ...attrs } as RawSpan['attributes'], ...rest });
}

beforeAll(async () => {
  dir = tempDir('skein-titles-');
  store = new SqliteTraceStore({ path: `${dir.dir}/skein.db` });
  const normalize = createNormalizer();
  const traceA = hexId(16);
  const rootA = hexId(8);
  const noServiceResource = { attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
  const records = [
    // An agent name wins.
    span('s-agent', { name: 'invoke_agent planner', attrs: { 'gen_ai.agent.name': 'planner' }, startTimeUnixNano: T0, endTimeUnixNano: T0 + SECOND }),
    // Vercel AI SDK: the function id, even under a root span of the app's own.
    span('s-vercel', { traceId: traceA, spanId: rootA, name: 'POST /chat', startTimeUnixNano: T0 + 10n * SECOND, endTimeUnixNano: T0 + 20n * SECOND }),
    span('s-vercel', {
      traceId: traceA, parentSpanId: rootA, name: 'ai.generateText',
      attrs: { 'ai.telemetry.functionId': 'support-bot', 'ai.operationId': 'ai.generateText' },
      startTimeUnixNano: T0 + 11n * SECOND, endTimeUnixNano: T0 + 12n * SECOND,
    }),
    // Nothing but a root span name.
    span('s-root', { name: 'nightly-report', startTimeUnixNano: T0 + 30n * SECOND, endTimeUnixNano: T0 + 31n * SECOND }),
    // An unnamed root span: the service name.
    span('s-service', { name: '', startTimeUnixNano: T0 + 40n * SECOND, endTimeUnixNano: T0 + 41n * SECOND }),
    span('s-nothing', { name: '', resource: noServiceResource, startTimeUnixNano: T0 + 50n * SECOND, endTimeUnixNano: T0 + 51n * SECOND }),
    // Started first, active last: `recent` and `newest` disagree about it.
    span('s-long', { name: 'long-run', startTimeUnixNano: T0 - 100n * SECOND, endTimeUnixNano: T0 - 99n * SECOND }),
    span('s-long', { name: 'late-step', startTimeUnixNano: T0 + 500n * SECOND, endTimeUnixNano: T0 + 501n * SECOND }),
    // Supplied costs whose float sum is 0.30000000000000004.
    span('s-cost', { name: 'c1', attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.usage.cost': 0.1, 'user.id': 'u-42' }, startTimeUnixNano: T0 + 60n * SECOND, endTimeUnixNano: T0 + 61n * SECOND }),
    span('s-cost', { name: 'c2', attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.usage.cost': 0.2 }, startTimeUnixNano: T0 + 62n * SECOND, endTimeUnixNano: T0 + 63n * SECOND }),
  ].map((raw) => normalize(raw));
  // Redaction counts as normalization records them (the redactor itself is tested elsewhere).
  const redacted = records.filter((r) => r.sessionId === 's-root');
  redacted[0].counts.redacted = 3;
  await store.write(records);
  app = new Hono().route('/api', createQueryApi({ store }));
});

afterAll(async () => {
  await store.close();
  dir.cleanup();
});

async function get<T>(path: string): Promise<T> {
  const res = await app.request(path);
  const body = await res.text();
  expect(res.status, body).toBe(200);
  return JSON.parse(body) as T;
}

async function list(query = ''): Promise<SessionJson[]> {
  return (await get<{ items: SessionJson[] }>(`/api/sessions${query}`)).items;
}

describe('session titles', () => {
  it('falls back from the agent name to the function id, the root span name, then the service name', async () => {
    const byId = new Map((await list()).map((s) => [s.sessionId, s]));
    expect(byId.get('s-agent')?.title).toBe('planner');
    expect(byId.get('s-vercel')?.title).toBe('support-bot');
    expect(byId.get('s-vercel')?.agentName).toBeNull();
    expect(byId.get('s-root')?.title).toBe('nightly-report');
    expect(byId.get('s-service')?.title).toBe('test-agent');
    expect(byId.get('s-nothing')?.title).toBeNull();
  });

  it('is in the session detail too', async () => {
    expect((await get<SessionJson>('/api/sessions/s-vercel')).title).toBe('support-bot');
  });
});

describe('started and last activity', () => {
  it('shows the last activity that recent sorts by, and sorts by start with newest and oldest', async () => {
    const recent = await list('?sort=recent');
    const long = recent.find((s) => s.sessionId === 's-long')!;
    expect(long.firstStartUnixNano).toBe(String(T0 - 100n * SECOND));
    expect(long.lastActivityUnixNano).toBe(String(T0 + 501n * SECOND));
    expect(recent[0].sessionId).toBe('s-long');
    const newest = await list('?sort=newest');
    expect(newest.map((s) => s.sessionId)).toEqual(['s-cost', 's-nothing', 's-service', 's-root', 's-vercel', 's-agent', 's-long']);
    const oldest = await list('?sort=oldest');
    expect(oldest.map((s) => s.sessionId)).toEqual([...newest.map((s) => s.sessionId)].reverse());
  });

  it('pages through newest with its cursor', async () => {
    const first = await get<{ items: SessionJson[]; nextCursor: string }>('/api/sessions?sort=newest&limit=4');
    const second = await get<{ items: SessionJson[] }>(`/api/sessions?sort=newest&limit=4&cursor=${encodeURIComponent(first.nextCursor)}`);
    expect([...first.items, ...second.items].map((s) => s.sessionId)).toEqual(
      ['s-cost', 's-nothing', 's-service', 's-root', 's-vercel', 's-agent', 's-long'],
    );
  });
});

describe('cost in JSON', () => {
  it('is rounded to 1e-10 USD: 0.1 + 0.2 reads 0.3', async () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    const session = (await list()).find((s) => s.sessionId === 's-cost')!;
    expect(session.costUsd).toBe(0.3);
    const detail = await get<SessionJson>('/api/sessions/s-cost');
    expect(detail.costUsd).toBe(0.3);
    expect(detail.modelBreakdown?.[0].costUsd).toBe(0.3);
    const stats = await get<{ rows: Array<{ key: string; costUsd: number }> }>('/api/stats?by=model');
    expect(stats.rows.find((r) => r.key === 'm')?.costUsd).toBe(0.3);
  });
});

describe('stats by user', () => {
  it("groups model calls by user id, a call without one counted as its session's user", async () => {
    const stats = await get<{ by: string; rows: Array<{ key: string; calls: number }> }>('/api/stats?by=user');
    expect(stats.by).toBe('user');
    const rows = new Map(stats.rows.map((r) => [r.key, r.calls]));
    expect([...rows]).toEqual([['u-42', 2]]);
  });
});

describe('redactedCount', () => {
  it('sums counts.redacted over the session in its detail', async () => {
    expect((await get<SessionJson>('/api/sessions/s-root')).redactedCount).toBe(3);
    expect((await get<SessionJson>('/api/sessions/s-agent')).redactedCount).toBe(0);
  });

  it('is in the Markdown and JSONL exports', async () => {
    const md = await (await app.request('/api/sessions/s-root/export?format=md')).text();
    expect(md).toContain('- Redacted: 3 values');
    expect(await (await app.request('/api/sessions/s-agent/export?format=md')).text()).not.toContain('Redacted');
    const jsonl = await (await app.request('/api/sessions/s-root/export?format=jsonl')).text();
    expect(jsonl.trim().split('\n').map((line) => (JSON.parse(line) as { redacted: number }).redacted)).toEqual([3]);
  });
});
