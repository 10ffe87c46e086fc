import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { createLiveStream } from './live-stream/index.js';
import type { LiveStreamOptions } from './live-stream/index.js';
import { MetricsRegistry } from './metrics.js';
import { hostCheck } from './host-check.js';
import { createOtlpReceiver } from './otlp-receiver.js';
import { httpOutcomeRecorder } from './receiver-metrics.js';
import { createQueryApi } from './query-api/index.js';
import type { ForwardingOperations } from './query-api/operations.js';
import { tokenAuth } from './token-auth.js';
import { createViewer, isViewerShellPath } from './viewer/index.js';
import type { BudgetConfig } from '../model/budgets.js';
import type { TraceStore } from '../store/trace-store.js';
import type { SignalIngest, TraceIngest } from '../ingest/trace-ingest.js';
import type { DecodePool } from './decode-pool.js';
import type { InflightBytes } from './inflight-bytes.js';

export interface SkeinAppOptions {
  /** Every signal's pipeline; one that takes spans only serves `/v1/traces` alone. */
  ingest: SignalIngest | TraceIngest;
  /** The store the query API reads; without it only ingest and operations routes are served. */
  store?: TraceStore;
  /** When set, every route but the viewer's data-free page and assets requires `Authorization: Bearer <token>`. */
  token?: string;
  maxBodyBytes?: number;
  /** Bytes of request bodies held at once over all requests (the receiver's budget). Default 256 MiB. */
  maxInflightBytes?: number;
  /** The budget itself, to share it with the OTLP/gRPC handlers (`maxInflightBytes` is then ignored). */
  inflight?: InflightBytes;
  /** Where the receiver decodes big bodies; the caller closes it. Default: a pool of the receiver's own. */
  decodePool?: DecodePool;
  /**
   * Without a token, only requests whose Host is a loopback name, an IP address or one of these are
   * answered (403 otherwise): the DNS-rebinding guard, see host-check.ts. With a token, the token protects.
   */
  allowHosts?: readonly string[];
  metrics?: MetricsRegistry;
  /** Whether the app can take traffic (false while shutting down). */
  ready?: () => boolean;
  /** `/readyz` in detail (e.g. forwarding per upstream): 503 when not ready. Default: from `ready`. */
  readiness?: () => Readiness;
  /** The budgets the collector evaluates: shown by `GET /api/budgets` and in `GET /api/sessions/:id`. */
  budgets?: BudgetConfig;
  /** The outbox and forwarders behind `/api/operations/forwarding…`; default an outbox on the store's database. */
  forwarding?: ForwardingOperations;
  /** Serves `GET /api/live` (Server-Sent Events) from this change feed. */
  liveStream?: Omit<LiveStreamOptions, 'metrics'>;
}

/** What `/readyz` answers: 200 with `body` when ready, else 503. */
export interface Readiness {
  ready: boolean;
  body: { status: string } & Record<string, unknown>;
}

/** Composes the sub-apps on one Hono app. The receiver and the query API never import each other. */
export function createSkeinApp(options: SkeinAppOptions): { app: Hono; metrics: MetricsRegistry } {
  const metrics = options.metrics ?? new MetricsRegistry();
  const recordOutcome = httpOutcomeRecorder(metrics);

  const app = new Hono();
  // First: a rebound name must not reach any route, not even to be counted or drained.
  if (!options.token) app.use('*', hostCheck({ allowHosts: options.allowHosts }));
  if (options.ready) {
    const ready = options.ready;
    // While shutting down, a keep-alive connection is closed after the answer
    // instead of idling until its timeout and holding the shutdown up.
    app.use('*', async function closeWhenDraining(c, next) {
      await next();
      if (!ready()) c.header('Connection', 'close');
    });
  }
  if (options.token) {
    const requireToken = tokenAuth({ token: options.token });
    // The viewer's page and assets hold no data (the page asks for the token and sends it to the API), so they load without one.
    app.use('*', async function tokenAuthExceptViewerShell(c, next) {
      if ((c.req.method === 'GET' || c.req.method === 'HEAD') && isViewerShellPath(c.req.path)) return next();
      return requireToken(c, next);
    });
  }

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const { ready, body } =
      options.readiness?.() ??
      (options.ready?.() === false ? { ready: false, body: { status: 'shutting down' } } : { ready: true, body: { status: 'ready' } });
    return c.json(body, ready ? 200 : 503);
  });
  app.get('/metrics', (c) => c.text(metrics.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4' }));

  if (options.store) app.route('/api', createQueryApi({ store: options.store, budgets: options.budgets, forwarding: options.forwarding }));
  app.route(
    '/',
    createOtlpReceiver({
      ingest: options.ingest,
      maxBodyBytes: options.maxBodyBytes,
      maxInflightBytes: options.maxInflightBytes,
      inflight: options.inflight,
      decodePool: options.decodePool,
      onOutcome: (outcome) => recordOutcome({ ...outcome, status: String(outcome.status) }),
    }),
  );

  if (options.liveStream) app.route('/api', createLiveStream({ ...options.liveStream, metrics }));

  // Last: the viewer's page routes must not shadow the API or the receiver.
  app.route('/', createViewer());

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      return c.json({ error: { code: 'bad_request', message: error.message } }, error.status);
    }
    console.error(error);
    return c.json({ error: { code: 'internal', message: 'internal error; see the server log' } }, 500);
  });

  return { app, metrics };
}
