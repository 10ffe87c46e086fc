import type { ForwarderHealth, OutboxForwarder } from './outbox-forwarder.js';
import type { OutboxDepth } from '../store/outbox.js';
import type { OutboxCounts } from './outbox-counts.js';

/** One upstream as `/readyz` shows it: the forwarder's health and its queue. */
export interface UpstreamReadiness extends Omit<ForwarderHealth, 'lastErrorAtMillis' | 'lastDeliveredAtMillis' | 'pausedUntilMillis'> {
  queuedEntries: number;
  queuedSpans: number;
  queuedBytes: number;
  lastErrorAgeSeconds: number | null;
  pausedForSeconds: number | null;
  /** True once the queue has reached the outbox bound: new exports are refused with 503. */
  full: boolean;
}

/** A queue in the file for an upstream that is not configured now. */
export interface LeftoverQueue {
  upstream: string;
  entries: number;
  spans: number;
  deadLetters: number;
}

/**
 * A gauge as plain data, read at scrape time. The collector hands these to
 * its metrics registry: forward/ renders nothing itself.
 */
export interface ForwardingGauge {
  name: string;
  help: string;
  read: () => Array<{ labels: { upstream: string }; value: number }>;
}

/**
 * What an operator needs to see of forwarding, in metrics and on `/readyz`:
 * per upstream the attempts by outcome (counted by the caller), the queue,
 * the consecutive failures, the age of the last error and the pause; and
 * queues left behind for upstreams no longer configured.
 *
 * Every read is synchronous and cheap: `outbox` is SQLite's outbox (its
 * in-memory depth, exact) or, for PostgreSQL, an `OutboxSnapshot` of the
 * shared outbox refreshed in the background.
 */
export class ForwardingHealth {
  constructor(
    private readonly outbox: OutboxCounts,
    private readonly forwarders: readonly OutboxForwarder[],
    private readonly maxOutboxBytes: number,
  ) {}

  /** Queues (or dead letters) in the file for upstreams nobody forwards to now: they wait for `skein outbox` or a restart with that `--forward`. */
  leftovers(): LeftoverQueue[] {
    const configured = new Set(this.forwarders.map((f) => f.upstream));
    const dead = this.outbox.deadLetterCounts();
    const byUpstream = new Map<string, LeftoverQueue>();
    for (const d of this.outbox.depth()) {
      if (!configured.has(d.upstream)) byUpstream.set(d.upstream, { upstream: d.upstream, entries: d.entries, spans: d.spans, deadLetters: 0 });
    }
    for (const [upstream, n] of dead) {
      if (configured.has(upstream)) continue;
      const q = byUpstream.get(upstream) ?? { upstream, entries: 0, spans: 0, deadLetters: 0 };
      q.deadLetters = n;
      byUpstream.set(upstream, q);
    }
    return [...byUpstream.values()];
  }

  upstreams(nowMillis = Date.now()): UpstreamReadiness[] {
    return this.forwarders.map((forwarder) => {
      const { lastErrorAtMillis, lastDeliveredAtMillis: _delivered, pausedUntilMillis, ...health } = forwarder.health(nowMillis);
      const depth = this.depthOf(forwarder.upstream);
      return {
        ...health,
        queuedEntries: depth.entries,
        queuedSpans: depth.spans,
        queuedBytes: depth.bytes,
        lastErrorAgeSeconds: lastErrorAtMillis === null ? null : (nowMillis - lastErrorAtMillis) / 1000,
        pausedForSeconds: pausedUntilMillis === null ? null : (pausedUntilMillis - nowMillis) / 1000,
        full: depth.bytes >= this.maxOutboxBytes,
      };
    });
  }

  /** The first upstream whose queue is full, for refusing new exports; undefined when none is. */
  fullUpstream(): string | undefined {
    return this.forwarders.find((f) => this.outbox.queuedBytes(f.upstream) >= this.maxOutboxBytes)?.upstream;
  }

  /** The per-upstream gauges of forwarding (queue depth, dead letters, failures, pause) and of leftover queues. */
  gauges(): ForwardingGauge[] {
    const gauges: ForwardingGauge[] = [];
    const gauge = (name: string, help: string, read: ForwardingGauge['read']) => gauges.push({ name, help, read });
    const perUpstream = (read: (d: OutboxDepth) => number) => () =>
      this.forwarders.map(({ upstream }) => ({ labels: { upstream }, value: read(this.depthOf(upstream)) }));
    gauge('skein_outbox_entries', 'Requests queued for an upstream.', perUpstream((d) => d.entries));
    gauge('skein_outbox_spans', 'Spans queued for an upstream.', perUpstream((d) => d.spans));
    gauge('skein_outbox_bytes', 'Payload bytes queued for an upstream.', perUpstream((d) => d.bytes));
    gauge(
      'skein_outbox_oldest_age_seconds',
      'Age of the oldest queued request per upstream.',
      perUpstream((d) => (d.oldestEnqueuedAtMillis === null ? 0 : (Date.now() - d.oldestEnqueuedAtMillis) / 1000)),
    );
    gauge('skein_outbox_dead_letters', 'Requests an upstream refused for good.', () => {
      const counts = this.outbox.deadLetterCounts();
      return this.forwarders.map(({ upstream }) => ({ labels: { upstream }, value: counts.get(upstream) ?? 0 }));
    });
    const perForwarder = (read: (h: ForwarderHealth, now: number) => number | null) => () => {
      const now = Date.now();
      const out: Array<{ labels: { upstream: string }; value: number }> = [];
      for (const f of this.forwarders) {
        const value = read(f.health(now), now);
        if (value !== null) out.push({ labels: { upstream: f.upstream }, value });
      }
      return out;
    };
    gauge(
      'skein_forward_consecutive_failures',
      'Failed delivery attempts to an upstream since its last success.',
      perForwarder((h) => h.consecutiveFailures),
    );
    gauge(
      'skein_forward_last_error_age_seconds',
      'Seconds since the last failed delivery attempt (no series before the first failure).',
      perForwarder((h, now) => (h.lastErrorAtMillis === null ? null : (now - h.lastErrorAtMillis) / 1000)),
    );
    gauge(
      'skein_forward_paused_until_timestamp_seconds',
      'Unix time before which nothing is sent to a failing upstream (0 when not paused).',
      perForwarder((h) => (h.pausedUntilMillis === null ? 0 : h.pausedUntilMillis / 1000)),
    );
    gauge(
      'skein_outbox_unconfigured_entries',
      'Requests queued in the database for an upstream that is not forwarded to now (see skein outbox).',
      () => this.leftovers().map((q) => ({ labels: { upstream: q.upstream }, value: q.entries })),
    );
    return gauges;
  }

  private depthOf(upstream: string): OutboxDepth {
    // Every configured upstream gets a series, 0 when its queue is empty, so
    // dashboards and alerts see "drained" rather than "missing".
    return (
      this.outbox.depth().find((d) => d.upstream === upstream) ?? {
        upstream,
        entries: 0,
        spans: 0,
        bytes: 0,
        oldestEnqueuedAtMillis: null,
      }
    );
  }
}

/** The startup line for queues nobody forwards to now; null when there are none. */
export function describeLeftovers(leftovers: readonly LeftoverQueue[]): string | null {
  if (leftovers.length === 0) return null;
  const parts = leftovers.map((q) => {
    const what = [
      q.entries > 0 ? `${q.entries} queued request${q.entries === 1 ? '' : 's'} (${q.spans} span${q.spans === 1 ? '' : 's'})` : null,
      q.deadLetters > 0 ? `${q.deadLetters} dead letter${q.deadLetters === 1 ? '' : 's'}` : null,
    ].filter((p) => p !== null);
    return `${q.upstream}: ${what.join(', ')}`;
  });
  return `skein: the database keeps forwarding data for upstreams not forwarded to now (kept; \`skein outbox\` lists, replays or drops them): ${parts.join('; ')}`;
}
