import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { createNormalizer } from '../../../src/model/normalize.js';
import { decodeTraceRequest } from '../../../src/otlp/index.js';
import { createQueryApi } from '../../../src/server/query-api/index.js';
import type { SessionJson, StepJson, TreeNodeJson, spanJson } from '../../../src/query/json-views.js';
import { SqliteTraceStore } from '../../../src/store/sqlite/index.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { ALPHA, BETA, OPEN, seedStore } from './seed.js';
import type { Seeded } from './seed.js';

type SpanJson = ReturnType<typeof spanJson>;
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface ErrorBody {
  error: { code: string; message: string; parameter?: string };
}

let seeded: Seeded;
let store: SqliteTraceStore;
let app: Hono;

beforeAll(async () => {
  seeded = await seedStore();
  store = new SqliteTraceStore({ path: seeded.dbPath });
  app = new Hono().route('/api', createQueryApi({ store }));
});

afterAll(async () => {
  await store.close();
  seeded.cleanup();
});

async function get<T>(path: string, status = 200): Promise<T> {
  const res = await app.request(path);
  const body = await res.text();
  expect(res.status, `${path}: ${body}`).toBe(status);
  return JSON.parse(body) as T;
}

async function sessions(query = ''): Promise<SessionJson[]> {
  return (await get<Page<SessionJson>>(`/api/sessions${query}`)).items;
}

const ids = (list: { sessionId: string }[]) => list.map((s) => s.sessionId).sort();

describe('GET /api/sessions', () => {
  it('lists every session with its rollups, nanoseconds as exact strings', async () => {
    const all = await sessions();
    expect(ids(all)).toEqual([ALPHA.sessionId, BETA.sessionId, OPEN.sessionId].sort());
    const alpha = all.find((s) => s.sessionId === ALPHA.sessionId)!;
    expect(alpha.agentName).toBe(ALPHA.agentName);
    expect(alpha.userId).toBe(ALPHA.userId);
    expect(alpha.llmCallCount).toBe(2);
    expect(alpha.toolCallCount).toBe(2);
    expect(alpha.errorCount).toBeGreaterThanOrEqual(1);
    expect(alpha.tokens.input).toBe(ALPHA.mini.inputTokens + ALPHA.claude.inputTokens);
    expect(alpha.tokens.output).toBe(ALPHA.mini.outputTokens + ALPHA.claude.outputTokens);
    expect(alpha.tokens.reasoning).toBe(ALPHA.claude.reasoningTokens);
    expect(alpha.tokens.cacheRead).toBe(ALPHA.mini.cacheReadTokens);
    expect(alpha.suppliedCostUsd).toBeCloseTo(ALPHA.claudeCostUsd, 10);
    expect(alpha.computedCostUsd).toBeGreaterThan(0);
    expect(alpha.costUsd).toBeCloseTo(alpha.suppliedCostUsd + alpha.computedCostUsd, 10);
    expect(alpha.models.sort()).toEqual(['claude-sonnet-4-5', 'gpt-4o-mini']);
    expect(alpha.firstStartUnixNano).toMatch(/^\d{19}$/);
    expect(BigInt(alpha.durationNanos ?? -1)).toBe(BigInt(alpha.lastEndUnixNano ?? 0) - BigInt(alpha.firstStartUnixNano));

    const beta = all.find((s) => s.sessionId === BETA.sessionId)!;
    expect(beta.unpricedCallCount).toBe(1);
    expect(beta.costUsd).toBe(0);
    const open = all.find((s) => s.sessionId === OPEN.sessionId)!;
    expect(open.status).toBe('interrupted');
    expect(open.interruptedCount).toBe(1);
  });

  it('filters by status, agent, user, model, tokens, cost, time and text', async () => {
    const all = await sessions();
    for (const status of ['running', 'completed', 'failed', 'interrupted']) {
      expect(ids(await sessions(`?status=${status}`))).toEqual(ids(all.filter((s) => s.status === status)));
    }
    expect(ids(await sessions(`?agent=${ALPHA.agentName}`))).toEqual([ALPHA.sessionId]);
    expect(ids(await sessions(`?user=${BETA.userId}`))).toEqual([BETA.sessionId]);
    expect(ids(await sessions(`?model=${BETA.model}`))).toEqual([BETA.sessionId]);
    expect(ids(await sessions('?model=gpt-4o-mini'))).toEqual([ALPHA.sessionId, OPEN.sessionId].sort());
    expect(ids(await sessions('?minTokens=1000'))).toEqual([ALPHA.sessionId]);
    expect(ids(await sessions('?minCost=0.4'))).toEqual([ALPHA.sessionId]);
    expect(await sessions('?from=2200-01-01T00:00:00Z')).toEqual([]);
    expect(ids(await sessions('?to=2200-01-01'))).toEqual(ids(all));
    expect(await sessions('?to=1000')).toEqual([]);
    expect(ids(await sessions('?q=zebra'))).toEqual([ALPHA.sessionId, BETA.sessionId].sort());
    expect(ids(await sessions('?q=Paris'))).toEqual([ALPHA.sessionId]);
    expect(ids(await sessions('?q=zebra&agent=coder'))).toEqual([BETA.sessionId]);
    expect(await sessions('?q=nothing-matches-this-word')).toEqual([]);
  });

  it('sorts, and pages with cursors that stay stable while new sessions arrive', async () => {
    const byCost = await sessions('?sort=cost');
    expect(byCost[0].sessionId).toBe(ALPHA.sessionId);
    const all = await sessions();
    const first = await get<Page<SessionJson>>('/api/sessions?limit=1');
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).not.toBeNull();

    // A newer session arrives between pages: it belongs before page 1, so later pages do not shift.
    const normalize = createNormalizer();
    const now = BigInt(Date.now()) * 1_000_000n;
    await store.write([
      normalize(makeRawSpan({ startTimeUnixNano: now, endTimeUnixNano: now + 1_000n, attributes: { 'gen_ai.conversation.id': 'sess-late', 'gen_ai.operation.name': 'chat' } })),
    ]);
    const seen = [...first.items.map((s) => s.sessionId)];
    let cursor = first.nextCursor;
    while (cursor !== null) {
      const page = await get<Page<SessionJson>>(`/api/sessions?limit=1&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...page.items.map((s) => s.sessionId));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(all.map((s) => s.sessionId));
    await store.deleteSession('sess-late');
  });

  it('pages a text-filtered list without losing or repeating sessions', async () => {
    const whole = ids(await sessions('?q=zebra'));
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: Page<SessionJson> = await get(`/api/sessions?q=zebra&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((s) => s.sessionId));
      cursor = page.nextCursor;
    }
    expect(seen.sort()).toEqual(whole);
  });
});

describe('one session', () => {
  it('GET /api/sessions/:id adds the per-model breakdown', async () => {
    const detail = await get<SessionJson & { modelBreakdown: { model: string; calls: number; tokens: { input: number }; costUsd: number }[] }>(
      `/api/sessions/${ALPHA.sessionId}`,
    );
    expect(detail.sessionId).toBe(ALPHA.sessionId);
    const claude = detail.modelBreakdown.find((m) => m.model === 'claude-sonnet-4-5')!;
    expect(claude.calls).toBe(1);
    expect(claude.tokens.input).toBe(ALPHA.claude.inputTokens);
    expect(claude.costUsd).toBeCloseTo(ALPHA.claudeCostUsd, 10);
    const mini = detail.modelBreakdown.find((m) => m.model === 'gpt-4o-mini')!;
    expect(mini.tokens.input).toBe(ALPHA.mini.inputTokens);
    expect(detail.modelBreakdown.reduce((sum, m) => sum + m.costUsd, 0)).toBeCloseTo(detail.costUsd, 10);
  });

  it('GET /api/sessions/:id/timeline gives every step in start order with depth, status and previews', async () => {
    const { steps } = await get<{ steps: StepJson[] }>(`/api/sessions/${ALPHA.sessionId}/timeline`);
    expect(steps).toHaveLength(6);
    const starts = steps.map((s) => BigInt(s.startTimeUnixNano));
    expect([...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(starts);
    expect(steps[0].stepType).toBe('agent');
    expect(steps[0].depth).toBe(0);
    expect(steps.slice(1).every((s) => s.depth === 1 && s.parentSpanId === steps[0].spanId)).toBe(true);
    expect(steps.map((s) => s.stepType)).toEqual(['agent', 'llm', 'tool', 'reasoning', 'tool', 'llm']);
    const failed = steps.find((s) => s.toolName === ALPHA.failingTool)!;
    expect(failed.isError).toBe(true);
    expect(failed.status).toBe('error');
    expect(failed.statusMessage).toBe('connection refused');
    expect(steps[1].inputPreview).toContain('capital of France');
    expect(steps[5].outputPreview).toContain(ALPHA.answer);
    expect(steps[5].costSource).toBe('supplied');
    expect(steps[1].costSource).toBe('computed');
    for (const step of steps) {
      expect(BigInt(step.durationNanos ?? -1)).toBe(BigInt(step.endTimeUnixNano ?? 0) - BigInt(step.startTimeUnixNano));
      expect(step.open).toBe(false);
    }
  });

  it('marks the interrupted step of a dead process', async () => {
    const { steps } = await get<{ steps: StepJson[] }>(`/api/sessions/${OPEN.sessionId}/timeline`);
    const root = steps.find((s) => s.depth === 0)!;
    expect(root.interrupted).toBe(true);
    expect(root.open).toBe(false);
    expect(root.endTimeUnixNano).toBeNull();
    expect(root.durationNanos).toBeNull();
  });

  it('GET /api/sessions/:id/tree nests the same steps', async () => {
    const { roots } = await get<{ roots: TreeNodeJson[] }>(`/api/sessions/${ALPHA.sessionId}/tree`);
    const { steps } = await get<{ steps: StepJson[] }>(`/api/sessions/${ALPHA.sessionId}/timeline`);
    expect(roots).toHaveLength(1);
    expect(roots[0].spanId).toBe(steps[0].spanId);
    expect(roots[0].children.map((c) => c.spanId)).toEqual(steps.slice(1).map((s) => s.spanId));
    expect(roots[0].children.every((c) => c.children.length === 0)).toBe(true);
  });

  it('GET /api/traces/:traceId gives every span of the trace', async () => {
    const { steps } = await get<{ steps: StepJson[] }>(`/api/sessions/${ALPHA.sessionId}/timeline`);
    const { traceId, spans } = await get<{ traceId: string; spans: SpanJson[] }>(`/api/traces/${steps[0].traceId}`);
    expect(traceId).toBe(steps[0].traceId);
    expect(spans.map((s) => s.spanId)).toEqual(steps.map((s) => s.spanId));
    const tool = spans.find((s) => s.toolName === ALPHA.toolName)!;
    expect((tool.attributes as Record<string, unknown>)['gen_ai.tool.name']).toBe(ALPHA.toolName);
    expect(tool.resource).toBeTypeOf('object');
  });

  it('DELETE /api/sessions/:id removes it; then it is 404', async () => {
    const normalize = createNormalizer();
    await store.write([normalize(makeRawSpan({ attributes: { 'gen_ai.conversation.id': 'sess-doomed' } }))]);
    await get(`/api/sessions/sess-doomed`);
    const res = await app.request('/api/sessions/sess-doomed', { method: 'DELETE' });
    expect(res.status).toBe(204);
    const gone = await get<ErrorBody>('/api/sessions/sess-doomed', 404);
    expect(gone.error.code).toBe('session_not_found');
    const again = await app.request('/api/sessions/sess-doomed', { method: 'DELETE' });
    expect(again.status).toBe(404);
  });
});

describe('GET /api/spans', () => {
  it('filters by session, step type, model, provider, error, duration, time and attributes', async () => {
    const inAlpha = (await get<Page<SpanJson>>(`/api/spans?session=${ALPHA.sessionId}`)).items;
    expect(inAlpha).toHaveLength(6);
    const tools = (await get<Page<SpanJson>>(`/api/spans?session=${ALPHA.sessionId}&stepType=tool`)).items;
    expect(tools.map((s) => s.toolName).sort()).toEqual([ALPHA.failingTool, ALPHA.toolName].sort());
    const byAttr = (await get<Page<SpanJson>>(`/api/spans?attr.gen_ai.tool.name=${ALPHA.toolName}`)).items;
    expect(byAttr.map((s) => s.toolName)).toEqual([ALPHA.toolName]);
    const byNumber = (await get<Page<SpanJson>>(`/api/spans?attr.gen_ai.usage.input_tokens=${BETA.usage.inputTokens}`)).items;
    expect(byNumber.map((s) => s.sessionId)).toEqual([BETA.sessionId]);
    const quoted = (await get<Page<SpanJson>>(`/api/spans?attr.gen_ai.usage.input_tokens="${BETA.usage.inputTokens}"`)).items;
    expect(quoted).toEqual([]);
    const errors = (await get<Page<SpanJson>>(`/api/spans?session=${ALPHA.sessionId}&error=true`)).items;
    expect(errors.every((s) => s.isError)).toBe(true);
    expect(errors.map((s) => s.toolName)).toContain(ALPHA.failingTool);
    const ok = (await get<Page<SpanJson>>(`/api/spans?session=${ALPHA.sessionId}&error=false`)).items;
    expect(ok.length + errors.length).toBe(inAlpha.length);
    expect((await get<Page<SpanJson>>('/api/spans?provider=anthropic')).items.map((s) => s.responseModel ?? s.requestModel)).toEqual([
      'claude-sonnet-4-5',
    ]);
    expect((await get<Page<SpanJson>>(`/api/spans?model=${BETA.model}`)).items).toHaveLength(1);
    expect((await get<Page<SpanJson>>('/api/spans?minDuration=1h')).items).toEqual([]);
    const longest = inAlpha.reduce((max, s) => (BigInt(s.durationNanos ?? '0') > max ? BigInt(s.durationNanos ?? '0') : max), 0n);
    const atLeast = (await get<Page<SpanJson>>(`/api/spans?session=${ALPHA.sessionId}&minDuration=${longest}`)).items;
    expect(atLeast.every((s) => BigInt(s.durationNanos ?? -1) >= longest)).toBe(true);
    expect(atLeast.length).toBeGreaterThanOrEqual(1);
    expect((await get<Page<SpanJson>>('/api/spans?from=2200-01-01T00:00:00Z')).items).toEqual([]);
  });

  it('pages newest first with a cursor', async () => {
    const whole = (await get<Page<SpanJson>>(`/api/spans?session=${ALPHA.sessionId}`)).items.map((s) => s.spanId);
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: Page<SpanJson> = await get(`/api/spans?session=${ALPHA.sessionId}&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.items.map((s) => s.spanId));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(whole);
  });
});

describe('GET /api/search and /api/stats', () => {
  it('finds words in content and reasoning, with the match marked', async () => {
    const result = await get<{ markers: { start: string; end: string }; hits: { sessionId: string; snippet: string }[] }>(
      '/api/search?q=zebra',
    );
    expect(result.hits.map((h) => h.sessionId).sort()).toEqual([ALPHA.sessionId, BETA.sessionId].sort());
    for (const hit of result.hits) expect(hit.snippet.toLowerCase()).toContain(`${result.markers.start}zebra${result.markers.end}`);
    const punctuated = await get<{ hits: unknown[] }>('/api/search?q=France%3F%20(capital)');
    expect(punctuated.hits.length).toBeGreaterThan(0);
    const scoped = await get<{ hits: { sessionId: string }[] }>(`/api/search?q=zebra&session=${BETA.sessionId}`);
    expect(scoped.hits.map((h) => h.sessionId)).toEqual([BETA.sessionId]);
    const fts = await get<{ hits: unknown[] }>('/api/search?q=zeb*&syntax=fts5');
    expect(fts.hits).toHaveLength(2);
  });

  it('groups model-call usage and latency by model, provider, agent and day', async () => {
    const { rows } = await get<{ rows: { key: string; calls: number; tokens: { input: number }; costUsd: number; p50DurationNanos: string; p95DurationNanos: string }[] }>(
      '/api/stats?by=model',
    );
    const mini = rows.find((r) => r.key === 'gpt-4o-mini')!;
    expect(mini.calls).toBe(2);
    expect(mini.tokens.input).toBe(ALPHA.mini.inputTokens + OPEN.usage.inputTokens);
    expect(BigInt(mini.p95DurationNanos)).toBeGreaterThanOrEqual(BigInt(mini.p50DurationNanos));
    expect(rows.find((r) => r.key === BETA.model)!.costUsd).toBe(0);
    const byAgent = (await get<{ rows: { key: string; calls: number }[] }>('/api/stats?by=agent')).rows;
    expect(byAgent.find((r) => r.key === ALPHA.agentName)!.calls).toBe(2);
    const byDay = (await get<{ rows: { key: string; calls: number }[] }>('/api/stats?by=day')).rows;
    expect(byDay.reduce((n, r) => n + r.calls, 0)).toBe(4);
    expect(byDay.every((r) => /^\d{4}-\d{2}-\d{2}$/.test(r.key))).toBe(true);
    expect((await get<{ rows: unknown[] }>('/api/stats?from=2200-01-01')).rows).toEqual([]);
  });
});

describe('exports', () => {
  it('OTLP JSON decodes back to the stored spans', async () => {
    const res = await app.request(`/api/sessions/${ALPHA.sessionId}/export?format=otlp`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('content-disposition')).toContain(`${ALPHA.sessionId}.otlp.json`);
    const decoded = decodeTraceRequest(new Uint8Array(await res.arrayBuffer()), 'json');
    expect(decoded.rejectedSpans).toBe(0);
    const stored = (await store.getSpans({ sessionId: ALPHA.sessionId })).items;
    expect(decoded.spans.map((s) => s.spanId).sort()).toEqual(stored.map((s) => s.spanId).sort());
    for (const span of decoded.spans) {
      const same = stored.find((s) => s.spanId === span.spanId)!;
      expect(span).toEqual(same.raw);
    }
  });

  it('JSONL has one line per step and Markdown reads as a transcript', async () => {
    const jsonl = await (await app.request(`/api/sessions/${ALPHA.sessionId}/export?format=jsonl`)).text();
    const lines = jsonl.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; stepType: string; depth: number });
    expect(lines).toHaveLength(6);
    expect(lines.every((l) => l.type === 'skein.step')).toBe(true);
    expect(lines.map((l) => l.stepType)).toEqual(['agent', 'llm', 'tool', 'reasoning', 'tool', 'llm']);
    const md = await (await app.request(`/api/sessions/${ALPHA.sessionId}/export?format=md`)).text();
    expect(md).toMatch(/^# Session sess-alpha\n/);
    expect(md).toContain(ALPHA.question);
    expect(md).toContain(ALPHA.reasoning);
    expect(md).toContain('connection refused');
  });
});

describe('errors', () => {
  const badRequests: [string, string][] = [
    ['/api/sessions?colour=red', 'colour'],
    ['/api/sessions?status=asleep', 'status'],
    ['/api/sessions?status=failed&status=completed', 'status'],
    ['/api/sessions?limit=0', 'limit'],
    ['/api/sessions?limit=1001', 'limit'],
    ['/api/sessions?limit=ten', 'limit'],
    ['/api/sessions?minTokens=-1', 'minTokens'],
    ['/api/sessions?minCost=cheap', 'minCost'],
    ['/api/sessions?from=yesterday', 'from'],
    ['/api/sessions?to=2025-13-45T99:00:00Z', 'to'],
    ['/api/sessions?sort=random', 'sort'],
    ['/api/sessions?from=2999-01-01', 'from'],
    ['/api/spans?minDuration=9999999999999999999999ns', 'minDuration'],
    ['/api/sessions?cursor=not-a-cursor', 'cursor'],
    ['/api/sessions?q=', 'q'],
    ['/api/sessions?q=%20%20', 'q'],
    ['/api/sessions/sess-alpha?verbose=true', 'verbose'],
    ['/api/sessions/sess-alpha/timeline?depth=2', 'depth'],
    ['/api/spans?stepType=thinking', 'stepType'],
    ['/api/spans?error=maybe', 'error'],
    ['/api/spans?minDuration=soon', 'minDuration'],
    ['/api/spans?trace=XYZ', 'trace'],
    ['/api/spans?sessionId=sess-alpha', 'sessionId'],
    ['/api/search', 'q'],
    ['/api/search?q=%22unbalanced&syntax=fts5', 'q'],
    ['/api/search?q=x&syntax=regex', 'syntax'],
    ['/api/stats?by=week', 'by'],
    ['/api/sessions/sess-alpha/export', 'format'],
    ['/api/sessions/sess-alpha/export?format=pdf', 'format'],
    ['/api/traces/not-hex', 'traceId'],
  ];
  for (const [path, parameter] of badRequests) {
    it(`400 naming '${parameter}' for ${path}`, async () => {
      const body = await get<ErrorBody>(path, 400);
      expect(body.error.code).toBe('bad_request');
      expect(body.error.parameter).toBe(parameter);
      expect(body.error.message).toContain(parameter);
    });
  }

  for (const path of ['', '/timeline', '/tree', '/export?format=md']) {
    it(`404 for an unknown session on /api/sessions/:id${path}`, async () => {
      const body = await get<ErrorBody>(`/api/sessions/no-such-session${path}`, 404);
      expect(body.error.code).toBe('session_not_found');
      expect(body.error.message).toContain('no-such-session');
    });
  }

  it('404 for an unknown trace', async () => {
    const body = await get<ErrorBody>(`/api/traces/${'ab'.repeat(16)}`, 404);
    expect(body.error.code).toBe('trace_not_found');
  });

  it('an unexpected failure is a 500 in the same shape, reported once', async () => {
    const reported: unknown[] = [];
    const failing = new SqliteTraceStore({ path: seeded.dbPath, readonly: true });
    await failing.close();
    const broken = new Hono().route('/api', createQueryApi({ store: failing, onUnexpectedError: (e) => reported.push(e) }));
    const res = await broken.request('/api/sessions');
    expect(res.status).toBe(500);
    expect(((await res.json()) as ErrorBody).error.code).toBe('internal');
    expect(reported).toHaveLength(1);
  });
});

describe('GET /api/openapi.json', () => {
  it('documents every route and every parameter the handlers accept', async () => {
    const doc = await get<{
      openapi: string;
      paths: Record<string, Record<string, { parameters: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    }>('/api/openapi.json');
    expect(doc.openapi).toMatch(/^3\.1/);
    const list = doc.paths['/sessions'].get.parameters.map((p) => p.name);
    expect(list).toEqual(['from', 'to', 'status', 'agent', 'model', 'user', 'minTokens', 'minCost', 'q', 'internal', 'sort', 'limit', 'cursor']);
    expect(doc.paths['/spans'].get.parameters.map((p) => p.name)).toContain('attr.{key}');
    expect(Object.keys(doc.paths['/sessions/{id}']).sort()).toEqual(['delete', 'get']);
    for (const path of ['/sessions/{id}/timeline', '/sessions/{id}/tree', '/sessions/{id}/export', '/traces/{traceId}', '/search', '/stats']) {
      expect(doc.paths[path]).toBeDefined();
    }
    expect(doc.paths['/traces/{traceId}'].get.responses['404']).toBeDefined();
    // Every $ref points at a schema that exists.
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const ref of refs) expect(doc.components.schemas[ref.split('/').pop()!]).toBeDefined();
  });
});
