import type { Server } from 'node:http';
import type { ForwardTarget } from './collector-forwarding.js';
import type { LeftoverQueue } from '../forward/forwarding-health.js';
import type { IngestStoreMode } from '../ingest/ingest-settings.js';
import type { BudgetConfig, BudgetEventRecord } from '../model/budgets.js';
import type { NormalizeOptions } from '../model/normalize.js';
import { numberOption, optionalNumberOption } from '../model/option-values.js';
import type { RedactionOptions } from '../model/redaction/redactor.js';
import type { SqliteOutbox } from '../store/sqlite/sqlite-outbox.js';
import type { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import { httpLimits } from './http-listener.js';
import type { HttpLimits } from './http-listener.js';
import { DEFAULT_INTERRUPT_AFTER_MILLIS } from './interrupt-sweeper.js';

export type { ForwardProtocol, ForwardTarget } from './collector-forwarding.js';

export interface CollectorOptions {
  /** A SQLite file (`startCollector`), or a `postgres://` URL (`startPostgresCollector`). */
  dbPath: string;
  host?: string;
  /** OTLP/HTTP, the API and the viewer. Default 4318; 0 picks a free port. */
  port?: number;
  /**
   * OTLP/gRPC (traces, logs, metrics) on the same host: a port (0 picks a
   * free one) or `off`. Default `off` here; `skein serve` defaults it to 4317.
   */
  grpcPort?: number | 'off';
  token?: string;
  forward?: ForwardTarget[];
  storeMode?: IngestStoreMode;
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
  /** Items (spans, log records, metric data points) waiting for their commit beyond which requests get 503. Default 100,000. */
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

export interface RunningCollector<Store = SqliteTraceStore, Outbox = SqliteOutbox> {
  url: string;
  port: number;
  /** `http://host:port` of the OTLP/gRPC listener (what OTEL_EXPORTER_OTLP_ENDPOINT takes), or null when off. */
  grpcUrl: string | null;
  grpcPort: number | null;
  /** The database file, or a PostgreSQL URL without its password. */
  dbPath: string;
  forwardTargets: string[];
  /** Queues in the file, at startup, for upstreams not forwarded to now (kept for `skein outbox`). */
  unconfiguredQueues: LeftoverQueue[];
  store: Store;
  outbox: Outbox;
  /** The listening HTTP server, for inspection (its limits); stop it with `close()`. */
  server: Server;
  /** Stop accepting, finish in-flight requests, commit, stop forwarding, close the database. Idempotent. */
  close(): Promise<void>;
}


/** The gRPC listener could not bind its address (in use, not permitted, not this machine's). */
export class GrpcListenError extends Error {
  override name = 'GrpcListenError';
  constructor(
    readonly address: string,
    readonly reason: string,
  ) {
    super(`cannot listen for OTLP/gRPC on ${address}: ${reason}`);
  }
}

/** The collector's numbers, defaulted one by one and checked (errors name the option) before anything starts. */
export interface CollectorLimits {
  http: HttpLimits;
  /** null: no gRPC listener. */
  grpcPort: number | null;
  maxOutboxBytes: number;
  /** Undefined: the receivers' default (`InflightBytes`). */
  maxInflightBytes: number | undefined;
  shutdownGraceMillis: number;
  interruptAfterMillis: number;
}

export function collectorLimits(options: CollectorOptions): CollectorLimits {
  const owner = 'startCollector';
  return {
    http: httpLimits(options),
    grpcPort:
      options.grpcPort === undefined || options.grpcPort === 'off'
        ? null
        : numberOption(owner, 'grpcPort', options.grpcPort, 0, { min: 0, max: 65_535, integer: true }),
    maxOutboxBytes: numberOption(owner, 'maxOutboxBytes', options.maxOutboxBytes, 1024 ** 3, { min: 1, integer: true }),
    maxInflightBytes: optionalNumberOption(owner, 'maxInflightBytes', options.maxInflightBytes, { min: 1, integer: true }),
    shutdownGraceMillis: numberOption(owner, 'shutdownGraceMillis', options.shutdownGraceMillis, 10_000, { min: 0 }),
    interruptAfterMillis: numberOption(owner, 'interruptAfterMillis', options.interruptAfterMillis, DEFAULT_INTERRUPT_AFTER_MILLIS, {
      min: 0,
    }),
  };
}
