/**
 * Operations routes of the query API: forwarding per upstream (queued, oldest
 * age, last error, dead letters), replaying dead letters and dropping a
 * queue, as `skein outbox` does from the command line. Deleting a session is
 * `DELETE /sessions/:id` in index.ts.
 *
 * The mutating routes are POST and, like every route, behind the token and
 * the host check. They also require `Content-Type: application/json` (the body
 * may be `{}`): a cross-site HTML form cannot send that type without a CORS
 * preflight, which this server never grants, so a page elsewhere cannot make
 * a browser drop a queue on a collector without a token.
 */

import type { Context, Hono } from 'hono';
import { DeadLetterNotFoundError } from '../../store/outbox.js';
import type { DeadLetter, DroppedQueue, OutboxQueue, ReplayedDeadLetter } from '../../store/outbox.js';
import type { RouteSpec } from './api-spec.js';
import { flag, integer, parseQuery, required, text } from './params.js';
import type { JsonSchema, ParamSpec, QueryShape } from './params.js';

/** Synchronous (SQLite) or not (PostgreSQL): the routes await either. */
type MaybeAsync<T> = T | Promise<T>;

/** What the routes need of the outbox: `SqliteOutbox` and `PgOutbox` have it. */
export interface OutboxOperations {
  queues(): MaybeAsync<OutboxQueue[]>;
  findDeadLetter(id: number): MaybeAsync<{ upstream: string } | null>;
  listDeadLetters(options: { upstream?: string; limit?: number }): MaybeAsync<DeadLetter[]>;
  replayDead(target: readonly number[] | { upstream?: string }): MaybeAsync<ReplayedDeadLetter[]>;
  dropQueue(upstream: string, options: { dead?: boolean }): MaybeAsync<DroppedQueue>;
}

/** One configured upstream as the running forwarder sees it (`ForwardingHealth.upstreams()` has these fields). */
export interface UpstreamHealth {
  upstream: string;
  state: string;
  consecutiveFailures: number;
  lastError: string | null;
  lastErrorAgeSeconds: number | null;
  pausedForSeconds: number | null;
}

export interface ForwardingOperations {
  outbox: OutboxOperations;
  /** The forwarders of this process, when any: their state, failures and last error. */
  health?: () => readonly UpstreamHealth[];
  /** Called after a replay, so the forwarders send the entries now rather than at their next look. */
  onReplay?: () => void;
  /** Called after a drop, so counts read in the background (a PostgreSQL outbox's) are read again now. */
  onDrop?: () => void;
}

const upstreamParam = required(text('The upstream URL, as `skein serve --forward` was given it.'));

export const forwardingQuery = { params: {} } satisfies QueryShape<ParamSpec>;
export const deadLettersQuery = {
  params: {
    upstream: text('Only this upstream.'),
    limit: integer('At most this many, newest first.', { min: 1, max: 1000 }, { default: 100 }),
  },
} satisfies QueryShape<ParamSpec>;
export const replayQuery = {
  params: {
    upstream: upstreamParam,
    id: integer('Only this dead letter (of that upstream); without it, every dead letter of the upstream.', { min: 1 }),
  },
} satisfies QueryShape<ParamSpec>;
export const dropQuery = {
  params: {
    upstream: upstreamParam,
    dead: flag('Delete its dead letters too.', { default: false }),
  },
} satisfies QueryShape<ParamSpec>;

const error = { description: 'Error.', schema: 'Error' };
const mutationErrors = {
  400: { description: 'A parameter is malformed.', schema: 'Error' },
  404: { description: 'Nothing queued or dead for that upstream, the dead letter is gone, or this server has no outbox.', schema: 'Error' },
  415: { description: 'The request is not `Content-Type: application/json`.', schema: 'Error' },
};

export const OPERATIONS_ROUTES: RouteSpec[] = [
  {
    method: 'get', path: '/operations/forwarding', operationId: 'getForwarding',
    summary: 'Forwarding per upstream: queued requests, the age of the oldest, the last error, dead letters.',
    query: forwardingQuery,
    responses: { 200: { description: 'Every configured upstream and every upstream with anything queued or dead.', schema: 'Forwarding' } },
  },
  {
    method: 'get', path: '/operations/forwarding/dead-letters', operationId: 'listDeadLetters',
    summary: 'Requests upstreams refused for good, newest first, with their answers.',
    query: deadLettersQuery,
    responses: { 200: { description: 'The dead letters.', schema: 'DeadLetters' }, 400: error },
  },
  {
    method: 'post', path: '/operations/forwarding/replay', operationId: 'replayDeadLetters',
    summary: 'Moves dead letters back into their queue (attempts reset, due now). Requires Content-Type: application/json.',
    query: replayQuery,
    responses: { 200: { description: 'What was moved.', schema: 'Replayed' }, ...mutationErrors },
  },
  {
    method: 'post', path: '/operations/forwarding/drop', operationId: 'dropQueue',
    summary: "Deletes an upstream's queue (with dead=true, its dead letters too). Requires Content-Type: application/json.",
    query: dropQuery,
    responses: { 200: { description: 'What was deleted.', schema: 'Dropped' }, ...mutationErrors },
  },
];

const int: JsonSchema = { type: 'integer' };
const nullableNumber: JsonSchema = { type: ['number', 'null'] };
const nullableString: JsonSchema = { type: ['string', 'null'] };
const obj = (properties: Record<string, JsonSchema>): JsonSchema => ({ type: 'object', properties, required: Object.keys(properties) });
const deadLetter = obj({
  id: int, upstream: { type: 'string' }, spanCount: int, attempts: int, failedAtMillis: int,
  status: { type: ['integer', 'null'], description: 'The HTTP status of the refusal; null when there was no HTTP answer.' },
  response: { type: 'string', description: "The upstream's answer (cut at 10,000 characters)." },
});

export const OPERATIONS_SCHEMAS: Record<string, JsonSchema> = {
  Forwarding: obj({
    available: { type: 'boolean', description: 'False when this server has no outbox (not a SQLite store).' },
    upstreams: {
      type: 'array',
      items: obj({
        upstream: { type: 'string' },
        configured: { type: 'boolean', description: 'Forwarded to by this server now (false: a queue left in the file).' },
        state: { type: ['string', 'null'], description: 'delivering, failing or stopped; null when not configured here.' },
        queued: { type: 'integer', description: 'Requests waiting to be delivered.' },
        queuedSpans: int,
        queuedBytes: int,
        oldestEnqueuedAtMillis: { type: ['integer', 'null'] },
        oldestAgeSeconds: nullableNumber,
        consecutiveFailures: { type: ['integer', 'null'] },
        lastError: { ...nullableString, description: 'The last failed attempt of this process, when it forwards to the upstream.' },
        lastErrorAgeSeconds: nullableNumber,
        pausedForSeconds: nullableNumber,
        deadLetters: int,
        deadSpans: int,
        lastDeadLetter: { oneOf: [deadLetter, { type: 'null' }], description: 'The newest dead letter, with the answer that refused it.' },
      }),
    },
  }),
  DeadLetter: deadLetter,
  DeadLetters: obj({ deadLetters: { type: 'array', items: { $ref: '#/components/schemas/DeadLetter' } } }),
  Replayed: obj({
    replayed: {
      type: 'array',
      items: obj({ deadId: int, id: int, upstream: { type: 'string' }, spanCount: int, bytes: int }),
    },
  }),
  Dropped: obj({ dropped: obj({ upstream: { type: 'string' }, entries: int, spans: int, bytes: int, deadLetters: int }) }),
};

function notFound(c: Context, message: string): Response {
  return c.json({ error: { code: 'not_found', message } }, 404);
}

function requireJson(c: Context): Response | null {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') return null;
  return c.json({ error: { code: 'bad_request', message: 'send Content-Type: application/json (the body may be {})' } }, 415);
}

/**
 * Adds the operations routes to the query API's app (relative to its mount point). The forwarding
 * operations are those of the collector's own outbox (whose in-memory depth the receiver checks);
 * without them (an API over a store alone) the routes say there is no forwarding outbox.
 */
export function registerOperations(app: Hono, options: { forwarding?: ForwardingOperations }): void {
  const forwarding = (): ForwardingOperations | null => options.forwarding ?? null;
  const query = <S extends ParamSpec>(c: Context, shape: QueryShape<S>) => parseQuery(shape, new URL(c.req.url).searchParams).values;

  app.get('/operations/forwarding', async function getForwarding(c) {
    query(c, forwardingQuery);
    const ops = forwarding();
    if (ops === null) return c.json({ available: false, upstreams: [] });
    const now = Date.now();
    const health = new Map((ops.health?.() ?? []).map((h) => [h.upstream, h]));
    const queues = new Map((await ops.outbox.queues()).map((q) => [q.upstream, q]));
    const names = [...new Set([...health.keys(), ...queues.keys()])];
    const upstreams = [];
    for (const upstream of names) {
      const q = queues.get(upstream);
      const h = health.get(upstream);
      const oldest = q?.oldestEnqueuedAtMillis ?? null;
      const deadLetters = q?.deadLetters ?? 0;
      upstreams.push({
        upstream,
        configured: h !== undefined,
        state: h?.state ?? null,
        queued: q?.entries ?? 0,
        queuedSpans: q?.spans ?? 0,
        queuedBytes: q?.bytes ?? 0,
        oldestEnqueuedAtMillis: oldest,
        oldestAgeSeconds: oldest === null ? null : Math.max(0, now - oldest) / 1000,
        consecutiveFailures: h?.consecutiveFailures ?? null,
        lastError: h?.lastError ?? null,
        lastErrorAgeSeconds: h?.lastErrorAgeSeconds ?? null,
        pausedForSeconds: h?.pausedForSeconds ?? null,
        deadLetters,
        deadSpans: q?.deadSpans ?? 0,
        lastDeadLetter: deadLetters > 0 ? ((await ops.outbox.listDeadLetters({ upstream, limit: 1 }))[0] ?? null) : null,
      });
    }
    return c.json({ available: true, upstreams });
  });

  app.get('/operations/forwarding/dead-letters', async function listDeadLetters(c) {
    const q = query(c, deadLettersQuery);
    const ops = forwarding();
    return c.json({ deadLetters: ops === null ? [] : await ops.outbox.listDeadLetters({ upstream: q.upstream, limit: q.limit }) });
  });

  app.post('/operations/forwarding/replay', async function replayDeadLetters(c) {
    const q = query(c, replayQuery);
    const refused = requireJson(c);
    if (refused) return refused;
    const ops = forwarding();
    if (ops === null) return notFound(c, 'this server has no forwarding outbox');
    if (q.id !== undefined && (await ops.outbox.findDeadLetter(q.id))?.upstream !== q.upstream) {
      return notFound(c, `no dead letter with id ${q.id} for ${q.upstream}`);
    }
    let replayed: ReplayedDeadLetter[];
    try {
      replayed = await ops.outbox.replayDead(q.id !== undefined ? [q.id] : { upstream: q.upstream });
    } catch (caught) {
      if (caught instanceof DeadLetterNotFoundError) return notFound(c, caught.message);
      throw caught;
    }
    if (replayed.length === 0) return notFound(c, `no dead letters for ${q.upstream}`);
    ops.onReplay?.();
    return c.json({ replayed });
  });

  app.post('/operations/forwarding/drop', async function dropQueue(c) {
    const q = query(c, dropQuery);
    const refused = requireJson(c);
    if (refused) return refused;
    const ops = forwarding();
    if (ops === null) return notFound(c, 'this server has no forwarding outbox');
    const queue = (await ops.outbox.queues()).find((candidate) => candidate.upstream === q.upstream);
    if (!queue || (queue.entries === 0 && !(q.dead && queue.deadLetters > 0))) {
      return notFound(c, `nothing ${q.dead ? 'queued or dead' : 'queued'} for ${q.upstream}`);
    }
    const dropped = await ops.outbox.dropQueue(q.upstream, { dead: q.dead });
    ops.onDrop?.();
    return c.json({ dropped });
  });
}
