/**
 * The query API: a Hono sub-app meant to be mounted under `/api`. Read-only
 * except `DELETE /sessions/:id` and the POST routes of `operations.ts`. Parameters are parsed by the shapes in
 * `api-spec.ts`, which also generate `/openapi.json`.
 */

import { Hono } from 'hono';
import type { Context } from 'hono';
import type { BudgetConfig } from '../../model/budgets.js';
import type { SessionQuery, SpanQuery } from '../../model/query.js';
import type { TraceStore } from '../../store/trace-store.js';
import { apiError } from './api-errors.js';
import {
  exportQuery,
  noQuery,
  searchQuery,
  sessionIdParam,
  sessionsQuery,
  spansQuery,
  statsQuery,
  traceIdParam,
} from './api-spec.js';
import { createOpenApiDocument } from './openapi.js';
import { registerOperations } from './operations.js';
import type { ForwardingOperations } from './operations.js';
import { BadParameterError, parseQuery } from './params.js';
import type { ParamSpec, QueryShape } from './params.js';
import { registerSignalRoutes } from './signal-routes.js';
import { logRecordJson } from '../../model/log-view.js';
import { stepLogs } from '../../query/log-reads.js';
import {
  jsonSafe,
  SNIPPET_MARKERS,
  searchHitJson,
  sessionDetailJson,
  sessionJson,
  spanJson,
  statsRowJson,
} from '../../query/json-views.js';
import { parseAttributeValue } from '../../query/attribute-value.js';
import { budgetsJson, sessionBudget } from '../../query/session-budget.js';
import { exportSession } from '../../query/session-export.js';
import { sessionTimelineJson, sessionTreeJson } from '../../query/session-timeline.js';
import { listSessionsMatching, plainTextQuery, sessionModels, sessionRedactedCount, traceSpans } from '../../query/store-reads.js';

export interface QueryApiOptions {
  store: TraceStore;
  /** Where the app is mounted, for the OpenAPI `servers` entry. Default `/api`. */
  basePath?: string;
  /** The budgets in force: `GET /budgets`, and each session's limits in `GET /sessions/:id`. */
  budgets?: BudgetConfig;
  /** Forwarding for `/operations/forwarding…`. Default: an outbox on the store's SQLite database, if it has one. */
  forwarding?: ForwardingOperations;
  /** Called with errors that are not the client's fault (500). Default `console.error`. */
  onUnexpectedError?: (error: unknown) => void;
}

function query<S extends ParamSpec>(c: Context, shape: QueryShape<S>) {
  return parseQuery(shape, new URL(c.req.url).searchParams);
}

/** Hono has already percent-decoded path params. */
function pathParam(c: Context, name: string, spec: { parse(raw: string, name: string): unknown }): string {
  return spec.parse(c.req.param(name) ?? '', name) as string;
}

/** JSON with nanosecond bigints as decimal strings. */
function json(c: Context, body: unknown, status: 200 = 200): Response {
  return c.body(JSON.stringify(jsonSafe(body)), status, { 'Content-Type': 'application/json; charset=utf-8' });
}

export function createQueryApi(options: QueryApiOptions): Hono {
  const { store, budgets, basePath = '/api', onUnexpectedError = (error: unknown) => console.error(error) } = options;
  const app = new Hono();
  const openApi = JSON.stringify(createOpenApiDocument({ basePath }));

  app.get('/openapi.json', function openApiDocument(c) {
    query(c, noQuery);
    return c.body(openApi, 200, { 'Content-Type': 'application/json; charset=utf-8' });
  });

  app.get('/sessions', async function listSessions(c) {
    const { values: q } = query(c, sessionsQuery);
    const storeQuery: SessionQuery = {
      fromUnixNano: q.from,
      toUnixNano: q.to,
      status: q.status,
      agentName: q.agent,
      model: q.model,
      userId: q.user,
      minTokens: q.minTokens,
      minCostUsd: q.minCost,
      sort: q.sort,
      limit: q.limit,
      cursor: q.cursor,
      includeInternal: q.internal,
    };
    let page;
    if (q.q !== undefined) {
      const match = plainTextQuery(q.q);
      if (match === '') throw new BadParameterError('q', 'q: expected at least one word');
      page = await listSessionsMatching(store, storeQuery, match);
    } else {
      page = await store.listSessions(storeQuery);
    }
    return json(c, { items: page.items.map(sessionJson), nextCursor: page.nextCursor });
  });

  app.get('/sessions/:id', async function getSession(c) {
    query(c, noQuery);
    const id = pathParam(c, 'id', sessionIdParam);
    const session = await store.getSession(id);
    const models = await sessionModels(store, id);
    const budget = await sessionBudget(store, id, budgets);
    return json(c, sessionDetailJson(session, models, budget, await sessionRedactedCount(store, id)));
  });

  app.get('/budgets', function getBudgets(c) {
    query(c, noQuery);
    return json(c, budgetsJson(budgets));
  });

  app.delete('/sessions/:id', async function deleteSession(c) {
    query(c, noQuery);
    await store.deleteSession(pathParam(c, 'id', sessionIdParam));
    return c.body(null, 204);
  });

  app.get('/sessions/:id/timeline', async function getTimeline(c) {
    query(c, noQuery);
    return json(c, await sessionTimelineJson(store, pathParam(c, 'id', sessionIdParam)));
  });

  app.get('/sessions/:id/tree', async function getTree(c) {
    query(c, noQuery);
    return json(c, await sessionTreeJson(store, pathParam(c, 'id', sessionIdParam)));
  });

  app.get('/sessions/:id/export', async function exportOne(c) {
    const { values: q } = query(c, exportQuery);
    const exported = await exportSession(store, pathParam(c, 'id', sessionIdParam), q.format);
    return c.body(exported.body, 200, {
      'Content-Type': exported.contentType,
      'Content-Disposition': `attachment; filename="${exported.fileName}"`,
    });
  });

  app.get('/traces/:traceId', async function getTrace(c) {
    query(c, noQuery);
    const traceId = pathParam(c, 'traceId', traceIdParam);
    const spans = await traceSpans(store, traceId);
    const logs = await stepLogs(store, traceId, spans.map((span) => span.spanId));
    return json(c, {
      traceId,
      spans: spans.map((span) => {
        const tied = logs.get(span.spanId);
        return { ...spanJson(span), logs: (tied?.records ?? []).map(logRecordJson), logsTruncated: tied?.truncated ?? false };
      }),
    });
  });

  app.get('/spans', async function listSpans(c) {
    const { values: q, prefixed } = query(c, spansQuery);
    const storeQuery: SpanQuery = {
      sessionId: q.session,
      traceId: q.trace,
      stepType: q.stepType,
      model: q.model,
      provider: q.provider,
      isError: q.error,
      minDurationNanos: q.minDuration,
      fromUnixNano: q.from,
      toUnixNano: q.to,
      limit: q.limit,
      cursor: q.cursor,
    };
    const attributes = Object.entries(prefixed);
    if (attributes.length > 0) {
      storeQuery.attributes = Object.fromEntries(attributes.map(([key, raw]) => [key, parseAttributeValue(raw)]));
    }
    const page = await store.getSpans(storeQuery);
    return json(c, { items: page.items.map(spanJson), nextCursor: page.nextCursor });
  });

  app.get('/search', async function search(c) {
    const { values: q } = query(c, searchQuery);
    const text = q.syntax === 'fts5' ? q.q : plainTextQuery(q.q);
    if (text.trim() === '') throw new BadParameterError('q', 'q: expected at least one word');
    const hits = await store.search({ text, sessionId: q.session, limit: q.limit, includeInternal: q.internal });
    return json(c, { q: q.q, markers: SNIPPET_MARKERS, hits: hits.map(searchHitJson) });
  });

  app.get('/stats', async function stats(c) {
    const { values: q } = query(c, statsQuery);
    const by = q.by ?? 'model';
    const rows = await store.stats({ groupBy: by, fromUnixNano: q.from, toUnixNano: q.to });
    return json(c, { by, from: q.from ?? null, to: q.to ?? null, rows: rows.map(statsRowJson) });
  });

  registerSignalRoutes(app, { store });
  registerOperations(app, { forwarding: options.forwarding });

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError(function queryApiError(error, c) {
    const mapped = apiError(error);
    if (mapped.status === 500) onUnexpectedError(error);
    return c.json(mapped.body, mapped.status);
  });
  return app;
}
