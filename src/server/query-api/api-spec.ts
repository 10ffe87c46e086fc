/**
 * Every route of the query API: its parameters (which validate requests) and
 * its responses (schemas in `api-schemas.ts`). The OpenAPI document is generated from this table, and the
 * handlers parse with the same `query` shapes, so the two cannot disagree.
 */

import { STEP_TYPES } from '../../model/types.js';
import { DEFAULT_LIMIT, MAX_LIMIT, SESSION_SORTS, SESSION_STATUSES, STATS_GROUPS } from '../../query/query-options.js';
import { OPERATIONS_ROUTES } from './operations.js';
import { SIGNAL_ROUTES } from './signal-routes.js';
import { decimal, duration, flag, hexId, integer, oneOf, required, text, time } from './params.js';
import type { Param, ParamSpec, QueryShape } from './params.js';
import { EXPORT_CONTENT_TYPES, EXPORT_FORMATS } from '../../query/session-export.js';

const limit = integer('Page size.', { min: 1, max: MAX_LIMIT }, { default: DEFAULT_LIMIT });
const cursor = text('`nextCursor` of the previous page (opaque). Pages stay stable while new spans arrive.');

export const sessionsQuery = {
  params: {
    from: time('Sessions with activity at or after this time.'),
    to: time('Sessions that started before this time.'),
    status: oneOf(SESSION_STATUSES, 'Session status.'),
    agent: text('Agent name.'),
    model: text('A model used by at least one model call of the session.'),
    user: text('User id.'),
    minTokens: integer('Minimum total tokens.', { min: 0 }),
    minCost: decimal('Minimum cost in USD.'),
    q: text('Sessions with at least one step whose name, content or reasoning contains all these words.'),
    internal: flag("Also list sessions made only of an agent's internal plumbing spans (Codex CLI's own traces).", {
      default: false,
    }),
    sort: oneOf(SESSION_SORTS, 'Order: most recent activity, oldest start, newest start, highest cost, most tokens, longest.', {
      default: 'recent',
    }),
    limit,
    cursor,
  },
} satisfies QueryShape<ParamSpec>;

export const spansQuery = {
  params: {
    session: text('Session id.'),
    trace: hexId('Trace id.', 16),
    stepType: oneOf(STEP_TYPES, 'Step type.'),
    model: text('Request or response model.'),
    provider: text('Provider (openai, anthropic, …).'),
    error: flag('Only failed steps (true) or only successful ones (false).'),
    minDuration: duration('Minimum duration; open steps never match.'),
    from: time('Steps that started at or after this time.'),
    to: time('Steps that started before this time.'),
    limit,
    cursor,
  },
  prefixed: {
    prefix: 'attr.',
    description:
      'Attribute equality, repeatable with different keys: `attr.gen_ai.tool.name=search`. A value that reads as a ' +
      'number or true/false matches that type; quote it (`attr.k="42"`) to match the string.',
    schema: { type: 'string' },
  },
} satisfies QueryShape<ParamSpec>;

export const searchQuery = {
  params: {
    q: required(text('Words to find in step names, inputs, outputs and reasoning.')),
    syntax: oneOf(['plain', 'fts5'] as const, 'plain: every word must occur; fts5: SQLite FTS5 query syntax (phrases, prefix*, OR, NOT, column filters).', {
      default: 'plain',
    }),
    session: text('Only this session.'),
    internal: flag("Also search an agent's internal plumbing spans (Codex CLI's own traces).", { default: false }),
    limit,
  },
} satisfies QueryShape<ParamSpec>;

export const statsQuery = {
  params: {
    by: oneOf(STATS_GROUPS, 'Group model calls by model, provider, agent, user id or UTC day.', { default: 'model' }),
    from: time('Model calls that started at or after this time.'),
    to: time('Model calls that started before this time.'),
  },
} satisfies QueryShape<ParamSpec>;

export const exportQuery = {
  params: {
    format: required(oneOf(EXPORT_FORMATS, 'otlp: OTLP/JSON request; jsonl: one step per line; md: Markdown transcript.')),
  },
} satisfies QueryShape<ParamSpec>;

export const noQuery = { params: {} } satisfies QueryShape<ParamSpec>;

export const sessionIdParam = required(text('Session id.'));
export const traceIdParam = required(hexId('Trace id: 32 lowercase hex digits.', 16));

export interface RouteSpec {
  method: 'get' | 'delete' | 'post';
  /** OpenAPI template, relative to the mount point: `/sessions/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  pathParams?: Record<string, Param<unknown>>;
  query: QueryShape<ParamSpec>;
  /** Status → response description and schema (JSON) or content types. */
  responses: Record<number, { description: string; schema?: string; contentTypes?: string[] }>;
}

const notFound = (what: string) => ({ 404: { description: `Unknown ${what}.`, schema: 'Error' } });
const badRequest = { 400: { description: 'A parameter is malformed or not supported; `parameter` names it.', schema: 'Error' } };

export const ROUTES: RouteSpec[] = [
  {
    method: 'get', path: '/sessions', operationId: 'listSessions', summary: 'Sessions, filtered and sorted, one page.',
    query: sessionsQuery,
    responses: { 200: { description: 'A page of sessions.', schema: 'SessionPage' }, ...badRequest },
  },
  {
    method: 'get', path: '/sessions/{id}', operationId: 'getSession', summary: 'One session with its per-model breakdown and, when budgets apply, its budget.',
    pathParams: { id: sessionIdParam }, query: noQuery,
    responses: { 200: { description: 'The session.', schema: 'SessionDetail' }, ...badRequest, ...notFound('session') },
  },
  {
    method: 'delete', path: '/sessions/{id}', operationId: 'deleteSession', summary: 'Deletes a session and its spans.',
    pathParams: { id: sessionIdParam }, query: noQuery,
    responses: { 204: { description: 'Deleted.' }, ...badRequest, ...notFound('session') },
  },
  {
    method: 'get', path: '/sessions/{id}/timeline', operationId: 'getTimeline', summary: 'Every step in start order.',
    pathParams: { id: sessionIdParam }, query: noQuery,
    responses: { 200: { description: 'The timeline.', schema: 'Timeline' }, ...badRequest, ...notFound('session') },
  },
  {
    method: 'get', path: '/sessions/{id}/tree', operationId: 'getTree', summary: 'The timeline as a nested tree.',
    pathParams: { id: sessionIdParam }, query: noQuery,
    responses: { 200: { description: 'Root steps with their children.', schema: 'Tree' }, ...badRequest, ...notFound('session') },
  },
  {
    method: 'get', path: '/sessions/{id}/export', operationId: 'exportSession',
    summary: 'The session as OTLP/JSON, Skein JSONL or a Markdown transcript.',
    pathParams: { id: sessionIdParam }, query: exportQuery,
    responses: {
      200: { description: 'The export, as an attachment.', contentTypes: [...new Set(Object.values(EXPORT_CONTENT_TYPES))] },
      ...badRequest,
      ...notFound('session'),
    },
  },
  {
    method: 'get', path: '/traces/{traceId}', operationId: 'getTrace', summary: 'Every span of a trace, in start order, each with the log records tied to it.',
    pathParams: { traceId: traceIdParam }, query: noQuery,
    responses: { 200: { description: 'The spans.', schema: 'Trace' }, ...badRequest, ...notFound('trace') },
  },
  {
    method: 'get', path: '/spans', operationId: 'listSpans', summary: 'Spans matching every filter, newest first.',
    query: spansQuery,
    responses: { 200: { description: 'A page of spans.', schema: 'SpanPage' }, ...badRequest },
  },
  {
    method: 'get', path: '/search', operationId: 'search', summary: 'Full-text search over names, content and reasoning.',
    query: searchQuery,
    responses: { 200: { description: 'Hits, newest first, with highlighted snippets.', schema: 'SearchResult' }, ...badRequest },
  },
  {
    method: 'get', path: '/budgets', operationId: 'getBudgets',
    summary: 'The budgets this server evaluates: limits per session, per agent name and per user id.',
    query: noQuery,
    responses: { 200: { description: 'The configured limits.', schema: 'Budgets' }, ...badRequest },
  },
  {
    method: 'get', path: '/stats', operationId: 'stats', summary: 'Usage, cost and latency of model calls, grouped.',
    query: statsQuery,
    responses: { 200: { description: 'One row per group.', schema: 'Stats' }, ...badRequest },
  },
  ...SIGNAL_ROUTES,
  ...OPERATIONS_ROUTES,
];
