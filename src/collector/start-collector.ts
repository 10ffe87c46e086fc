import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { OutboxForwarder } from '../forward/outbox-forwarder.js';
import type { BudgetConfig, BudgetEventRecord } from '../model/budgets.js';
import { createIngest, crossesThreads, resolveIngestSettings } from '../ingest/ingest-settings.js';
import type { IngestSettings } from '../ingest/ingest-settings.js';
import { IngestWriterThread } from '../ingest/ingest-writer-thread.js';
import type { RedactionOptions } from '../model/redaction/redactor.js';
import type { NormalizeOptions } from '../model/normalize.js';
import { createSkeinApp } from '../server/app.js';
import { MetricsRegistry } from '../server/metrics.js';
import { GroupCommitIngest } from '../ingest/group-commit-ingest.js';
import { DecodePool } from '../server/decode-pool.js';
import { SqliteOutbox } from '../store/sqlite/sqlite-outbox.js';
import type { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import { openWritableStore } from '../store/sqlite/database-file.js';
import { createIngestCommit } from '../ingest/ingest-commit.js';
import type { CommitOutcome } from '../ingest/ingest-commit.js';
import { ForwardingHealth } from '../forward/forwarding-health.js';
import type { LeftoverQueue } from '../forward/forwarding-health.js';
import type { IngestStoreMode as StoreMode } from '../ingest/ingest-settings.js';
import { numberOption } from '../model/option-values.js';
import { closeServer, httpLimits, listen, serverUrl } from './http-listener.js';
import { DEFAULT_INTERRUPT_AFTER_MILLIS, startInterruptSweeper } from './interrupt-sweeper.js';

export interface ForwardTarget {
  url: string;
  headers?: Record<string, string>;
}

export interface CollectorOptions {
  dbPath: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
  forward?: ForwardTarget[];
  storeMode?: StoreMode;
  maxBodyBytes?: number;
  /**
   * Bytes of OTLP request bodies held at once, as read and as inflated, over
   * all requests; past it requests wait briefly, then get 503 + Retry-After. Default 256 MiB.
   */
  maxInflightBytes?: number;
  normalize?: NormalizeOptions;
  /**
   * Bytes queued for one upstream beyond which new requests are refused with
   * 503 + Retry-After (nothing acknowledged is ever dropped). Default 1 GiB.
   */
  maxOutboxBytes?: number;
  /** Spans accepted and waiting for their commit beyond which requests get 503. Default 100,000. */
  maxPendingSpans?: number;
  /**
   * The longest a new request may expect to wait for its commit, at the
   * measured commit rate, before requests get 503 + Retry-After. Default
   * 5,000 ms: below the OTel SDKs' 10 s export timeout, after which they
   * send again and the spans arrive twice.
   */
  maxWaitMillis?: number;
  /** Secrets removed before spans are stored or forwarded. On by default. */
  redaction?: RedactionOptions;
  /** Forwarder tuning (tests shorten the backoff). */
  forwardBackoffMillis?: { initial: number; max: number };
  /**
   * How long `close()` waits for in-flight requests before cutting their
   * connections (a stalled client must not hold shutdown forever). Default 10 s.
   */
  shutdownGraceMillis?: number;
  /**
   * Open steps of a writer silent this long are marked interrupted, and the
   * live stream says so. Writers on this host whose process is alive are
   * spared (a long model call writes nothing until it ends). Default 60 s; 0 turns it off.
   */
  interruptAfterMillis?: number;
  /**
   * Limits per session (and per agent name and user id), evaluated at every
   * commit. A crossing is recorded once per session, sent on the live stream
   * as a `budget` event, shown by `GET /api/sessions/:id`, and added as a
   * `skein.budget.*` span event to the stored and forwarded crossing span.
   */
  budgets?: BudgetConfig;
  /** Called after the commit that recorded a crossing. Errors it throws are logged, never fail the request. */
  onBudget?: (event: BudgetEventRecord) => void;
  /** Live stream (`GET /api/live`) tuning; tests shorten them. */
  livePollIntervalMillis?: number;
  liveHeartbeatMillis?: number;
  /**
   * Without a token, requests must name the collector by a loopback name, an IP address or one of
   * these (`name`, `*.domain`, `*` for any), else 403: the DNS-rebinding guard (src/server/host-check.ts).
   */
  allowHosts?: readonly string[];
  /** A client must send all its request headers within this. Default 10 s (`DEFAULT_HTTP_LIMITS`). */
  headersTimeoutMillis?: number;
  /**
   * A client must send its whole request, body included, within this; it does not bound the
   * answer (a live stream stays open). At least `headersTimeoutMillis`. Default 60 s.
   */
  requestTimeoutMillis?: number;
  /** An idle keep-alive connection is closed after this. Default 65 s. */
  keepAliveTimeoutMillis?: number;
  /** Connections beyond this many open ones are closed at once (live streams count). Default 512. */
  maxConnections?: number;
}

export interface RunningCollector {
  url: string;
  port: number;
  dbPath: string;
  forwardTargets: string[];
  /** Queues in the file, at startup, for upstreams not forwarded to now (kept for `skein outbox`). */
  unconfiguredQueues: LeftoverQueue[];
  store: SqliteTraceStore;
  outbox: SqliteOutbox;
  /** The listening HTTP server, for inspection (its limits); stop it with `close()`. */
  server: Server;
  /** Stop accepting, finish in-flight requests, commit, stop forwarding, close the database. Idempotent. */
  close(): Promise<void>;
}

/** The composition root of `skein serve`: store, ingest, forwarding and HTTP on one port. */
export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  const dbPath = options.dbPath === ':memory:' ? ':memory:' : resolve(options.dbPath);
  // Stats scans run on their own thread: a busy day's scan must not stall the receiver.
  const store = openWritableStore({ path: dbPath, statsOnThread: true });
  try {
    return await startOn(store, dbPath, options);
  } catch (error) {
    // A port in use must not leave the database registered as written to.
    await store.close();
    throw error;
  }
}

async function startOn(store: SqliteTraceStore, dbPath: string, options: CollectorOptions): Promise<RunningCollector> {
  const limits = httpLimits(options);
  const outbox = new SqliteOutbox(store.database);
  const targets = options.forward ?? [];
  const upstreams = targets.map((t) => t.url);
  const maxOutboxBytes = numberOption('startCollector', 'maxOutboxBytes', options.maxOutboxBytes, 1024 ** 3, { min: 1, integer: true });
  const shutdownGraceMillis = numberOption('startCollector', 'shutdownGraceMillis', options.shutdownGraceMillis, 10_000, { min: 0 });
  // Checked before anything starts: a bad value must not leave a server listening.
  const interruptAfterMillis = numberOption(
    'startCollector',
    'interruptAfterMillis',
    options.interruptAfterMillis,
    DEFAULT_INTERRUPT_AFTER_MILLIS,
    { min: 0 },
  );
  const settings = resolveIngestSettings({
    redaction: options.redaction,
    maxTextLength: options.normalize?.maxTextLength,
    prices: options.normalize?.prices,
    budgets: options.budgets,
    storeMode: options.storeMode,
    upstreams,
  });
  // Builds the redactor and normalizer here: a bad pattern or maxTextLength fails before anything starts.
  const commitHere = createIngestCommit({ store, outbox, ingest: createIngest(settings) });
  let accepting = true;
  const live = new AbortController();

  const metrics = new MetricsRegistry();
  const deliveries = metrics.counter(
    'skein_forward_attempts_total',
    'Forwarding attempts by upstream and outcome (delivered, retry, dead, error).',
  );
  const forwardedSpans = metrics.counter('skein_forward_spans_delivered_total', 'Spans delivered upstream.');
  const forwarders = targets.map(
    (target) =>
      new OutboxForwarder({
        outbox,
        url: target.url,
        headers: target.headers,
        initialBackoffMillis: options.forwardBackoffMillis?.initial,
        maxBackoffMillis: options.forwardBackoffMillis?.max,
        onAttempt(attempt) {
          deliveries.inc({ upstream: attempt.upstream, outcome: attempt.outcome });
          if (attempt.outcome === 'delivered') forwardedSpans.inc({ upstream: attempt.upstream }, attempt.spanCount);
          if (attempt.outcome === 'dead') {
            console.error(`skein: ${attempt.upstream} refused ${attempt.spanCount} spans for good: ${attempt.error}`);
          }
        },
      }),
  );
  const forwarding = new ForwardingHealth(outbox, forwarders, maxOutboxBytes);
  for (const gauge of forwarding.gauges()) metrics.gauge(gauge.name, gauge.help, gauge.read);
  metrics.gauge('skein_ingest_pending_spans', 'Spans accepted and waiting for their commit.', () => [
    { value: ingest.pending },
  ]);

  // Big bodies decode on these threads (started on first use); closed last, after the server.
  const decodePool = new DecodePool();
  const { app } = createSkeinApp({
    metrics,
    liveStream: {
      store,
      signal: live.signal,
      pollIntervalMillis: options.livePollIntervalMillis,
      heartbeatMillis: options.liveHeartbeatMillis,
    },
    token: options.token,
    allowHosts: options.allowHosts,
    maxBodyBytes: options.maxBodyBytes,
    maxInflightBytes: options.maxInflightBytes,
    decodePool,
    ready: () => accepting,
    readiness() {
      const status = !accepting ? 'shutting down' : forwarding.fullUpstream() !== undefined ? 'outbox full' : 'ready';
      return {
        ready: status === 'ready',
        body: { status, forwarding: forwarding.upstreams(), unconfiguredQueues: forwarding.leftovers() },
      };
    },
    store,
    budgets: options.budgets,
    // The outbox whose depth the receiver checks, so a drop or replay from the viewer keeps it exact.
    forwarding: { outbox, health: () => forwarding.upstreams(), onReplay: () => forwarders.forEach((f) => f.notify()) },
    ingest: { ingest: (spans) => ingest.ingest(spans) },
  });

  const ingest = new GroupCommitIngest({
    maxPendingSpans: options.maxPendingSpans,
    maxWaitMillis: options.maxWaitMillis,
    refuse() {
      const full = forwarding.fullUpstream();
      if (full === undefined) return null;
      return `the forwarding outbox for ${full} is full (${outbox.queuedBytes(full)} bytes queued); retry later`;
    },
    async commit(received) {
      let outcome: CommitOutcome;
      if (writer?.alive) {
        outcome = await writer.commit(received);
        // Queued through the thread's connection: counted here too, for the outbox bound.
        if (outcome.enqueued) outbox.counted(upstreams, outcome.enqueued.spans, outcome.enqueued.bytes);
      } else {
        outcome = commitHere(received);
      }
      for (const forwarder of forwarders) forwarder.notify();
      for (const crossing of outcome.crossings) {
        try {
          options.onBudget?.(crossing);
        } catch (error) {
          console.error('skein: the budget callback failed:', error);
        }
      }
    },
  });

  // After every option is checked (GroupCommitIngest checks its own): a thread started before a
  // refused option would hold its connection, and the process, open. `commit` runs only once
  // requests arrive, by when it is set.
  const writer = startWriterThread(dbPath, settings);

  let server: Server;
  try {
    server = await listen(app.fetch, { host: options.host ?? '127.0.0.1', port: options.port ?? 4318 }, limits);
  } catch (error) {
    // A port in use: the writer thread would otherwise keep its connection, and the process, alive.
    await writer?.close().catch(() => undefined);
    throw error;
  }
  for (const forwarder of forwarders) forwarder.start();
  const stopSweeper = startInterruptSweeper(store, interruptAfterMillis);
  const { url, port } = serverUrl(server);
  let closing: Promise<void> | null = null;

  return {
    url,
    port,
    dbPath,
    forwardTargets: upstreams,
    unconfiguredQueues: forwarding.leftovers(),
    store,
    outbox,
    server,
    close() {
      closing ??= (async () => {
        accepting = false;
        stopSweeper();
        // Live streams never end by themselves: end them so the server can close.
        live.abort();
        await closeServer(server, shutdownGraceMillis);
        await ingest.drain();
        await writer?.close().catch((error: unknown) => console.error('skein: closing the writer thread failed:', error));
        await decodePool.close();
        await Promise.all(forwarders.map((f) => f.stop()));
        await store.close();
      })();
      return closing;
    },
  };
}

/**
 * The writer thread, when the normalization can be rebuilt there: not for an
 * in-memory database (a second connection would open another one) nor for a
 * price table of the app's own making (its lookup cannot cross threads); the
 * collector then commits on its own thread.
 */
function startWriterThread(dbPath: string, settings: IngestSettings): IngestWriterThread | undefined {
  if (dbPath === ':memory:' || !crossesThreads(settings)) return undefined;
  return new IngestWriterThread({
    dbPath,
    settings,
    onError: (error) => console.error('skein: the writer thread failed; committing on the main thread from now on:', error),
  });
}
