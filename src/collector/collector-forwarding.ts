import { ForwardingHealth } from '../forward/forwarding-health.js';
import { OutboxSnapshot } from '../forward/outbox-counts.js';
import type { OutboxCounts } from '../forward/outbox-counts.js';
import { OutboxForwarder } from '../forward/outbox-forwarder.js';
import type { ForwardProtocol } from '../forward/outbox-forwarder.js';
import type { OtlpSignal } from '../model/signals.js';
import type { MetricsRegistry } from '../server/metrics.js';
import type { PgOutbox } from '../store/postgres/pg-outbox.js';
import type { SqliteOutbox } from '../store/sqlite/sqlite-outbox.js';

export type { ForwardProtocol } from '../forward/outbox-forwarder.js';

/** One `--forward` upstream: every signal goes to it, over OTLP/HTTP (the default) or OTLP/gRPC. */
export interface ForwardTarget {
  /** http: an OTLP/HTTP endpoint (`http://host:4318`, signal paths derived); grpc: `host:port`, `http://` or `https://host:port`. */
  url: string;
  protocol?: ForwardProtocol;
  /** HTTP headers, or gRPC metadata. */
  headers?: Record<string, string>;
  /** gzip each request. Default false. */
  gzip?: boolean;
}

const ITEM_NAMES: Record<OtlpSignal, [string, string]> = {
  traces: ['span', 'spans'],
  logs: ['log record', 'log records'],
  metrics: ['metric data point', 'metric data points'],
};

export interface CollectorForwarding {
  health: ForwardingHealth;
  /** Something was queued (or replayed): deliver it now rather than at the next poll. */
  notify(): void;
  /** `/readyz`: ready unless shutting down or an upstream's outbox is full; the forwarding detail either way. */
  readiness(accepting: boolean): { ready: boolean; body: { status: string } & Record<string, unknown> };
  /** Why a request must be refused now (an upstream's outbox is full), or null. */
  refusal(): string | null;
  /**
   * Resolves once the counts `health` serves have been read since this call
   * (at once on SQLite, whose counts are always current): e.g. before
   * `health.leftovers()` at startup on PostgreSQL. Never rejects.
   */
  countsRead(): Promise<void>;
  start(): void;
  /** Resolves once every delivery in progress has ended (and, on PostgreSQL, this replica's claims are released). */
  stop(): Promise<void>;
}

/**
 * One forwarder per upstream on the collector's outbox, its attempts counted in `metrics`
 * (and a refusal for good logged), its health exported as gauges.
 *
 * The outbox is SQLite's (one process delivers it; its counts are exact and
 * in memory) or PostgreSQL's (shared: any replica delivers each entry, on a
 * claim). For PostgreSQL, the gauges, `/readyz` and `refusal()` read a
 * snapshot of the counts, re-read after each forwarding attempt, on
 * `notify()` and every few seconds, so they stay synchronous and cheap.
 */
export function createCollectorForwarding(
  outbox: SqliteOutbox | PgOutbox,
  targets: readonly ForwardTarget[],
  options: { maxOutboxBytes: number; backoffMillis?: { initial: number; max: number } },
  metrics: MetricsRegistry,
): CollectorForwarding {
  const attempts = metrics.counter(
    'skein_forward_attempts_total',
    'Forwarding attempts by upstream and outcome (delivered, retry, dead, error).',
  );
  const delivered = metrics.counter('skein_forward_spans_delivered_total', 'Spans delivered upstream.');
  const deliveredItems = metrics.counter(
    'skein_forward_items_delivered_total',
    'Items delivered upstream by signal: spans, log records, metric data points.',
  );
  const { counts, snapshot } = countsOf(outbox);
  const refreshCounts = () => void snapshot?.refresh();
  const forwarders = targets.map(
    (target) =>
      new OutboxForwarder({
        outbox,
        url: target.url,
        protocol: target.protocol,
        headers: target.headers,
        gzip: target.gzip,
        initialBackoffMillis: options.backoffMillis?.initial,
        maxBackoffMillis: options.backoffMillis?.max,
        onAttempt(attempt) {
          refreshCounts();
          attempts.inc({ upstream: attempt.upstream, outcome: attempt.outcome });
          if (attempt.outcome === 'delivered' && attempt.signal !== null) {
            if (attempt.signal === 'traces') delivered.inc({ upstream: attempt.upstream }, attempt.spanCount);
            deliveredItems.inc({ upstream: attempt.upstream, signal: attempt.signal }, attempt.spanCount);
          }
          if (attempt.outcome === 'dead') {
            const [one, many] = ITEM_NAMES[attempt.signal ?? 'traces'];
            console.error(`skein: ${attempt.upstream} refused ${attempt.spanCount} ${attempt.spanCount === 1 ? one : many} for good: ${attempt.error}`);
          }
        },
      }),
  );
  const health = new ForwardingHealth(counts, forwarders, options.maxOutboxBytes);
  for (const gauge of health.gauges()) metrics.gauge(gauge.name, gauge.help, gauge.read);
  return {
    health,
    readiness(accepting) {
      const status = !accepting ? 'shutting down' : health.fullUpstream() !== undefined ? 'outbox full' : 'ready';
      return { ready: status === 'ready', body: { status, forwarding: health.upstreams(), unconfiguredQueues: health.leftovers() } };
    },
    refusal() {
      const full = health.fullUpstream();
      return full === undefined ? null : `the forwarding outbox for ${full} is full (${counts.queuedBytes(full)} bytes queued); retry later`;
    },
    countsRead: async () => {
      await snapshot?.refresh();
    },
    notify: () => {
      // Without upstreams a commit queued nothing: the counts (leftover queues) wait for the timer.
      // On PostgreSQL a refresh is two aggregate queries, and a commit's notify comes every commit.
      if (forwarders.length > 0) refreshCounts();
      forwarders.forEach((f) => f.notify());
    },
    start: () => {
      snapshot?.start();
      forwarders.forEach((f) => f.start());
    },
    stop: async () => {
      await Promise.all(forwarders.map((f) => f.stop()));
      await snapshot?.stop();
    },
  };
}

/** PgOutbox's counts are queries (every replica changes them): served from a snapshot. SqliteOutbox's are in memory, exact. */
function countsOf(outbox: SqliteOutbox | PgOutbox): { counts: OutboxCounts; snapshot: OutboxSnapshot | null } {
  if (!('claimDue' in outbox)) return { counts: outbox, snapshot: null };
  const snapshot = new OutboxSnapshot(outbox);
  return { counts: snapshot, snapshot };
}
