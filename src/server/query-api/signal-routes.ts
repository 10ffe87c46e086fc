/**
 * Log records and metric points in the query API (issue 16): a session's
 * events, every log record, every metric point, each filtered and paged by
 * the store's cursor. Records are shown as `logRecordJson` / `metricPointJson`
 * shape them, the same JSON the live stream and `skein logs --json` carry.
 */

import type { Context, Hono } from 'hono';
import { logRecordJson, metricPointJson } from '../../model/log-view.js';
import { sessionEvents } from '../../query/log-reads.js';
import { MAX_LIMIT, SIGNAL_DEFAULT_LIMIT } from '../../query/query-options.js';
import type { TraceStore } from '../../store/trace-store.js';
import type { RouteSpec } from './api-spec.js';
import { BadParameterError, hexId, integer, parseQuery, required, severity, text, time } from './params.js';
import type { ParamSpec, QueryShape } from './params.js';

const limit = integer('Page size.', { min: 1, max: MAX_LIMIT }, { default: SIGNAL_DEFAULT_LIMIT });
const cursor = text('`nextCursor` of the previous page (opaque). Pages stay stable while new records arrive.');
const eventName = text('Only records with exactly this `event_name` (gen_ai.choice, claude_code.api_request, …).');
const minSeverity = severity('Only records at least this severe (a record with no severity, 0, is left out by any level above 0).');

export const sessionEventsQuery = {
  params: { eventName, minSeverity, limit, cursor },
} satisfies QueryShape<ParamSpec>;

export const logsQuery = {
  params: {
    session: text('Session id.'),
    traceId: hexId('Records tied to this trace.', 16),
    spanId: hexId('Records tied to this span (of any trace unless traceId is given).', 8),
    eventName,
    minSeverity,
    from: time('Records at or after this time (their time, or the time they were observed when they carry none).'),
    to: time('Records before this time.'),
    limit,
    cursor,
  },
} satisfies QueryShape<ParamSpec>;

export const metricsQuery = {
  params: {
    name: text('Metric name, exactly (gen_ai.client.token.usage, claude_code.cost.usage, …).'),
    session: text('Points carrying this session key.'),
    from: time('Points whose time is at or after this time.'),
    to: time('Points whose time is before this time.'),
    limit,
    cursor,
  },
} satisfies QueryShape<ParamSpec>;

const sessionIdParam = required(text('Session id.'));
const badRequest = { 400: { description: 'A parameter is malformed or not supported; `parameter` names it.', schema: 'Error' } };

export const SIGNAL_ROUTES: RouteSpec[] = [
  {
    method: 'get', path: '/sessions/{id}/events', operationId: 'listSessionEvents',
    summary: "The session's log events (OTLP log records resolved to it) in time order, one page.",
    pathParams: { id: sessionIdParam }, query: sessionEventsQuery,
    responses: {
      200: { description: 'A page of records, oldest first.', schema: 'SessionEvents' },
      ...badRequest,
      404: { description: 'No session has that id: it has no spans and no log records.', schema: 'Error' },
    },
  },
  {
    method: 'get', path: '/logs', operationId: 'listLogs',
    summary: 'OTLP log records matching every filter, in time order, one page.',
    query: logsQuery,
    responses: { 200: { description: 'A page of records, oldest first.', schema: 'LogPage' }, ...badRequest },
  },
  {
    method: 'get', path: '/metrics', operationId: 'listMetricPoints',
    summary: 'OTLP metric data points matching every filter, in point time order, one page.',
    query: metricsQuery,
    responses: { 200: { description: 'A page of points, oldest first.', schema: 'MetricPage' }, ...badRequest },
  },
];

/** A range that ends before it starts is the client's mistake, named in the API's words (not the store's). */
function checkRange(q: { from?: bigint; to?: bigint }): void {
  if (q.from !== undefined && q.to !== undefined && q.to < q.from) {
    throw new BadParameterError('to', 'to: must not be before from');
  }
}

/**
 * Adds the log and metric routes to the query API's app (relative to its
 * mount point). Errors (400, 404) reach the app's own error handler.
 */
export function registerSignalRoutes(app: Hono, options: { store: TraceStore }): void {
  const { store } = options;
  const query = <S extends ParamSpec>(c: Context, shape: QueryShape<S>) => parseQuery(shape, new URL(c.req.url).searchParams).values;

  app.get('/sessions/:id/events', async function listSessionEvents(c) {
    const q = query(c, sessionEventsQuery);
    const sessionId = sessionIdParam.parse(c.req.param('id') ?? '', 'id');
    const page = await sessionEvents(store, sessionId, {
      eventName: q.eventName,
      minSeverity: q.minSeverity,
      limit: q.limit ?? SIGNAL_DEFAULT_LIMIT,
      cursor: q.cursor,
    });
    return c.json({ sessionId, items: page.items.map(logRecordJson), nextCursor: page.nextCursor });
  });

  app.get('/logs', async function listLogs(c) {
    const q = query(c, logsQuery);
    checkRange(q);
    const page = await store.listLogs({
      sessionId: q.session,
      traceId: q.traceId,
      spanId: q.spanId,
      eventName: q.eventName,
      minSeverity: q.minSeverity,
      fromUnixNano: q.from,
      toUnixNano: q.to,
      limit: q.limit ?? SIGNAL_DEFAULT_LIMIT,
      cursor: q.cursor,
    });
    return c.json({ items: page.items.map(logRecordJson), nextCursor: page.nextCursor });
  });

  app.get('/metrics', async function listMetricPoints(c) {
    const q = query(c, metricsQuery);
    checkRange(q);
    const page = await store.listMetricPoints({
      name: q.name,
      sessionId: q.session,
      fromUnixNano: q.from,
      toUnixNano: q.to,
      limit: q.limit ?? SIGNAL_DEFAULT_LIMIT,
      cursor: q.cursor,
    });
    return c.json({ items: page.items.map(metricPointJson), nextCursor: page.nextCursor });
  });
}
