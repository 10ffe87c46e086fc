import type { Server } from 'node:http';
import { resolve } from 'node:path';
import type { CommitOutcome } from '../ingest/commit-plan.js';
import { createIngestPipeline, createPgIngestPipeline } from '../ingest/ingest-pipeline.js';
import type { IngestPipeline } from '../ingest/ingest-pipeline.js';
import { resolveIngestSettings } from '../ingest/ingest-settings.js';
import type { IngestSettings } from '../ingest/ingest-settings.js';
import { createSkeinApp } from '../server/app.js';
import { DecodePool } from '../server/decode-pool.js';
import { createOtlpExportHandlers } from '../server/grpc/otlp-export-handlers.js';
import { InflightBytes } from '../server/inflight-bytes.js';
import { grpcOutcomeRecorder } from '../server/receiver-metrics.js';
import { MetricsRegistry } from '../server/metrics.js';
import { openWritableStore } from '../store/sqlite/database-file.js';
import { SqliteOutbox } from '../store/sqlite/sqlite-outbox.js';
import type { AsyncChangeFeedReader, ChangeFeedReader } from '../store/change-feed.js';
import { isPostgresUrl } from '../store/postgres/connection.js';
import type { PgOutbox } from '../store/postgres/pg-outbox.js';
import { PostgresTraceStore } from '../store/postgres/postgres-trace-store.js';
import type { TraceStore } from '../store/trace-store.js';
import { createCollectorForwarding } from './collector-forwarding.js';
import type { CollectorForwarding } from './collector-forwarding.js';
import { collectorLimits } from './collector-options.js';
import type { CollectorLimits } from './collector-options.js';
import type { CollectorOptions, RunningCollector } from './collector-options.js';
import { listenGrpc } from './grpc-listener.js';
import { closeServer, listen, serverUrl } from './http-listener.js';
import { startInterruptSweeper } from './interrupt-sweeper.js';

export { GrpcListenError } from './collector-options.js';
export type { CollectorOptions, ForwardProtocol, ForwardTarget, RunningCollector } from './collector-options.js';

/** The composition root of `skein serve` on a SQLite file: store, ingest and forwarding, OTLP/HTTP with the API and viewer on one port, OTLP/gRPC on another. */
export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  if (isPostgresUrl(options.dbPath)) {
    throw new TypeError('startCollector: dbPath is a PostgreSQL URL; use startPostgresCollector');
  }
  // Every number is checked before the database opens, a thread or the server starts.
  const limits = collectorLimits(options);
  const dbPath = options.dbPath === ':memory:' ? ':memory:' : resolve(options.dbPath);
  // Stats scans run on their own thread: a busy day's scan must not stall the receiver.
  const store = openWritableStore({ path: dbPath, statsOnThread: true });
  try {
    const outbox = new SqliteOutbox(store.database);
    return await startOn(options, limits, {
      store,
      outbox,
      dbPath,
      pipeline: (settings, forwarding, afterCommit) =>
        createIngestPipeline({
          dbPath,
          store,
          outbox,
          settings,
          maxPendingSpans: options.maxPendingSpans,
          maxWaitMillis: options.maxWaitMillis,
          refuse: () => forwarding.refusal(),
          afterCommit,
        }),
      startSweeper: () => startInterruptSweeper(store, limits.interruptAfterMillis),
    });
  } catch (error) {
    // A port in use must not leave the database registered as written to.
    await store.close();
    throw error;
  }
}

/**
 * `skein serve --db postgres://…`: the same collector on a PostgreSQL database shared with other
 * replicas. Each replica commits its own requests; the outbox, the live stream's feed, budgets and
 * the open steps of a replica that died are shared through the database (README, "Past one machine").
 * The store marks a dead replica's open steps itself, from its heartbeats: no sweeper here.
 */
export async function startPostgresCollector(options: CollectorOptions): Promise<RunningCollector<PostgresTraceStore, PgOutbox>> {
  const limits = collectorLimits(options);
  const store = await PostgresTraceStore.open({ url: options.dbPath });
  try {
    const outbox = store.outbox();
    return await startOn(options, limits, {
      store,
      outbox,
      dbPath: store.database,
      pipeline: (settings, forwarding, afterCommit) =>
        createPgIngestPipeline({
          store,
          settings,
          maxPendingSpans: options.maxPendingSpans,
          maxWaitMillis: options.maxWaitMillis,
          refuse: () => forwarding.refusal(),
          afterCommit,
        }),
      startSweeper: () => () => undefined,
    });
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** What differs between the two stores; the rest of the collector is the same. */
interface Backend<S extends TraceStore & (ChangeFeedReader | AsyncChangeFeedReader), O extends SqliteOutbox | PgOutbox> {
  store: S;
  outbox: O;
  /** The file, or the URL without its password. */
  dbPath: string;
  pipeline(settings: IngestSettings, forwarding: CollectorForwarding, afterCommit: (outcome: CommitOutcome) => void): IngestPipeline;
  /** Starts marking silent writers' open steps interrupted; returns the stop. */
  startSweeper(): () => void;
}

async function startOn<S extends TraceStore & (ChangeFeedReader | AsyncChangeFeedReader), O extends SqliteOutbox | PgOutbox>(
  options: CollectorOptions,
  limits: CollectorLimits,
  backend: Backend<S, O>,
): Promise<RunningCollector<S, O>> {
  const { store, outbox, dbPath } = backend;
  const targets = options.forward ?? [];
  const upstreams = targets.map((t) => t.url);
  const metrics = new MetricsRegistry();
  const forwarding = createCollectorForwarding(
    outbox,
    targets,
    { maxOutboxBytes: limits.maxOutboxBytes, backoffMillis: options.forwardBackoffMillis },
    metrics,
  );
  const settings = resolveIngestSettings({
    redaction: options.redaction,
    maxTextLength: options.normalize?.maxTextLength,
    prices: options.normalize?.prices,
    budgets: options.budgets,
    storeMode: options.storeMode,
    upstreams,
  });
  const ingest = backend.pipeline(settings, forwarding, (outcome) => {
    forwarding.notify();
    for (const crossing of outcome.crossings) {
      try {
        options.onBudget?.(crossing);
      } catch (error) {
        console.error('skein: the budget callback failed:', error);
      }
    }
  });
  metrics.gauge('skein_ingest_pending_spans', 'Items (spans, log records, metric data points) accepted and waiting for their commit; the name is kept for dashboards.', () => [{ value: ingest.pending }]);

  let accepting = true;
  const live = new AbortController();
  // Big bodies decode on these threads (started on first use); closed after the server.
  const decodePool = new DecodePool();
  // One byte budget over both transports: a burst over gRPC and HTTP at once is bounded together.
  const inflight = new InflightBytes({ maxBytes: limits.maxInflightBytes });
  const { app } = createSkeinApp({
    metrics,
    liveStream: { store, signal: live.signal, pollIntervalMillis: options.livePollIntervalMillis, heartbeatMillis: options.liveHeartbeatMillis },
    token: options.token,
    allowHosts: options.allowHosts,
    maxBodyBytes: options.maxBodyBytes,
    inflight,
    decodePool,
    ready: () => accepting,
    readiness: () => forwarding.readiness(accepting),
    store,
    budgets: options.budgets,
    // The outbox whose depth the receiver checks, so a drop or replay from the viewer keeps it exact.
    forwarding: { outbox, health: () => forwarding.health.upstreams(), onReplay: () => forwarding.notify(), onDrop: () => forwarding.notify() },
    ingest,
  });

  const host = options.host ?? '127.0.0.1';
  let server: Server | undefined;
  let grpc: Awaited<ReturnType<typeof listenGrpc>> | undefined;
  try {
    server = await listen(app.fetch, { host, port: options.port ?? 4318 }, limits.http);
    if (limits.grpcPort !== null) {
      grpc = await listenGrpc({
        host,
        port: limits.grpcPort,
        token: options.token,
        maxBodyBytes: options.maxBodyBytes,
        closeGraceMs: limits.shutdownGraceMillis,
        handlers: createOtlpExportHandlers({ ingest, inflight, decodePool, onOutcome: grpcOutcomeRecorder(metrics) }),
      });
    }
  } catch (error) {
    // A port in use: the writer thread would otherwise keep its connection, and the process, alive.
    if (server) await closeServer(server, 0);
    await ingest.close().catch(() => undefined);
    await decodePool.close();
    throw error;
  }
  const httpServer = server;
  forwarding.start();
  // PostgreSQL: the queues left by upstreams not forwarded to now come from the first read (at once on SQLite).
  await forwarding.countsRead();
  const stopSweeper = backend.startSweeper();
  let closing: Promise<void> | null = null;
  return {
    ...serverUrl(httpServer),
    grpcUrl: grpc?.url ?? null,
    grpcPort: grpc?.port ?? null,
    dbPath,
    forwardTargets: upstreams,
    unconfiguredQueues: forwarding.health.leftovers(),
    store,
    outbox,
    server: httpServer,
    close() {
      closing ??= (async () => {
        accepting = false;
        stopSweeper();
        // Live streams never end by themselves: end them so the server can close.
        live.abort();
        await Promise.all([closeServer(httpServer, limits.shutdownGraceMillis), grpc?.close()]);
        await ingest.close();
        await decodePool.close();
        await forwarding.stop();
        await store.close();
      })();
      return closing;
    },
  };
}
