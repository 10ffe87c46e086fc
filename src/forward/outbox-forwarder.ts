import { numberOption } from '../model/option-values.js';
import type { OutboxEntry } from '../store/outbox.js';
import { FORWARD_PROTOCOLS } from './delivery-transport.js';
import type { DeliveryTransport, ForwardProtocol } from './delivery-transport.js';
import { forwardingOutboxOf } from './forwarding-outbox.js';
import type { ClaimingOutbox, ForwarderEntry, ForwarderOutbox, ForwardingOutbox } from './forwarding-outbox.js';
import { GrpcDelivery } from './grpc-delivery.js';
import { HttpDelivery } from './http-delivery.js';
import { retryDelayMillis } from './retry-policy.js';

export type { ForwardProtocol } from './delivery-transport.js';
export type { ClaimingOutbox, ForwarderOutbox, ForwardingOutbox } from './forwarding-outbox.js';

export interface OutboxForwarderOptions {
  /**
   * `SqliteOutbox` (or any `ForwarderOutbox`), `PgOutbox` (or any
   * `ClaimingOutbox`: entries are claimed on a lease of `leaseMillis`
   * before each attempt, the claims released on stop), or a `ForwardingOutbox`.
   */
  outbox: ForwarderOutbox | ClaimingOutbox | ForwardingOutbox;
  /**
   * The upstream, and the key of its queue in the outbox. OTLP/HTTP: an
   * endpoint whose signal paths `otlpSignalUrl` derives (a base
   * `http://collector:4318` gets `/v1/traces`, `/v1/logs`, `/v1/metrics`).
   * OTLP/gRPC: `host:port`, `http://host:port` or `https://host:port` (TLS).
   */
  url: string;
  /** `http` (the default) or `grpc`. */
  protocol?: ForwardProtocol;
  /** HTTP headers, or gRPC metadata. */
  headers?: Record<string, string>;
  /** Per attempt: the fetch timeout, or the gRPC deadline. Default 10 s. */
  timeoutMillis?: number;
  /**
   * A claiming outbox (PostgreSQL): how long a claim lasts, measured from
   * just before the attempt. Longer than `timeoutMillis`, so no other replica
   * takes the entry over while it is sent; shorter means a crashed replica's
   * entries wait less. Default `timeoutMillis` plus the larger of it and 30 s.
   */
  leaseMillis?: number;
  /** gzip each request. Default false. */
  gzip?: boolean;
  initialBackoffMillis?: number;
  maxBackoffMillis?: number;
  /** Called after every attempt, for metrics and logs. */
  onAttempt?: (attempt: DeliveryAttempt) => void;
  /** Replaceable for tests; returns [0, 1). */
  random?: () => number;
}

export interface DeliveryAttempt {
  upstream: string;
  /**
   * `delivered`; `retry` (a retryable answer or a network error: sent again
   * after the backoff); `dead` (a final refusal, moved to the dead letters);
   * `error` (the forwarder's own failure, e.g. the outbox could not be read: retried).
   */
  outcome: 'delivered' | 'retry' | 'dead' | 'error';
  /** The HTTP status or gRPC status code; null without an answer. */
  status: number | null;
  signal: OutboxEntry['signal'] | null;
  /** The entry's items (spans, log records or metric data points). */
  spanCount: number;
  error?: string;
}

/** What an operator needs to see of one upstream's delivery (`/readyz`, metrics). */
export interface ForwarderHealth {
  upstream: string;
  /** `delivering` when the last attempt succeeded (or none failed yet), `failing` while attempts fail, `stopped` after stop(). */
  state: 'delivering' | 'failing' | 'stopped';
  /** Failed attempts (retryable answers, network errors, internal errors) since the last delivery. */
  consecutiveFailures: number;
  lastError: string | null;
  lastErrorAtMillis: number | null;
  lastDeliveredAtMillis: number | null;
  /** Nothing is sent before this (epoch millis); null when not paused. */
  pausedUntilMillis: number | null;
}

/** The upstream's answer to an entry, delivered or refused for good, as the outbox must record it. */
type Answer = Omit<DeliveryAttempt, 'outcome' | 'error'> & { outcome: 'delivered' | 'dead'; error: string; id: number };

const OWNER = 'OutboxForwarder';
/** How long an idle forwarder sleeps before it looks at its queue again without being notified. */
const IDLE_RECHECK_MILLIS = 60_000;

/**
 * Delivers one upstream's outbox in order, one request at a time, every
 * signal in the one queue (so in order per signal too), over OTLP/HTTP or
 * OTLP/gRPC. A failed attempt pauses the whole upstream (exponential backoff
 * with jitter, never sooner than Retry-After or gRPC's RetryInfo) and is
 * retried first when the pause ends, so an
 * outage costs one request per backoff step, not one per queued entry, and
 * requests that arrive during the pause wait behind it.
 *
 * On PostgreSQL's outbox, shared by replicas, each entry is claimed on a
 * lease just before it is sent (forwarding-outbox.ts): any live replica
 * delivers it, one at a time per (upstream, signal) queue, in order.
 *
 * The loop never ends on an error: a failure of its own (the outbox could
 * not be read or updated, the database is down) is logged, counted as an
 * `error` attempt and retried with the same backoff. Only `stop()` ends it.
 */
export class OutboxForwarder {
  readonly upstream: string;
  readonly protocol: ForwardProtocol;
  private readonly transport: DeliveryTransport;
  private readonly outbox: ForwardingOutbox;
  private readonly initialBackoffMillis: number;
  private readonly maxBackoffMillis: number;
  private readonly random: () => number;
  private readonly onAttempt: ((attempt: DeliveryAttempt) => void) | undefined;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Nothing is sent before this (epoch millis): the backoff or Retry-After of the last failure. */
  private pausedUntilMillis = 0;
  /** The entry that failed last: retried before anything newer. */
  private retrying: ForwarderEntry | null = null;
  /**
   * An answer (delivered, or refused for good) the outbox failed to record:
   * recorded again before anything is sent, rather than the entry being sent
   * again. Until it is, the entry stays queued: never lost.
   */
  private unrecorded: Answer | null = null;
  private consecutiveFailures = 0;
  private lastError: string | null = null;
  private lastErrorAtMillis: number | null = null;
  private lastDeliveredAtMillis: number | null = null;
  /** When the last internal error was logged: a stuck outbox logs once a minute, not once per retry. */
  private lastLoggedAtMillis = -Infinity;

  constructor(options: OutboxForwarderOptions) {
    const timeoutMillis = numberOption(OWNER, 'timeoutMillis', options.timeoutMillis, 10_000, { min: 1, max: 3_600_000 });
    const leaseMillis = numberOption(OWNER, 'leaseMillis', options.leaseMillis, Math.ceil(timeoutMillis + Math.max(timeoutMillis, 30_000)), {
      min: timeoutMillis + 1,
      max: 86_400_000,
      integer: true,
    });
    this.initialBackoffMillis = numberOption(OWNER, 'initialBackoffMillis', options.initialBackoffMillis, 500, {
      min: 1,
      max: 3_600_000,
    });
    this.maxBackoffMillis = numberOption(OWNER, 'maxBackoffMillis', options.maxBackoffMillis, 60_000, {
      min: this.initialBackoffMillis,
      max: 86_400_000,
    });
    this.random = options.random ?? Math.random;
    this.onAttempt = options.onAttempt;
    this.upstream = options.url;
    this.protocol = options.protocol ?? 'http';
    if (!FORWARD_PROTOCOLS.includes(this.protocol)) {
      throw new Error(`${OWNER}: protocol must be ${FORWARD_PROTOCOLS.map((p) => `'${p}'`).join(' or ')}, got '${String(this.protocol)}'`);
    }
    const settings = { url: options.url, headers: options.headers ?? {}, timeoutMillis, gzip: options.gzip ?? false };
    this.transport =
      this.protocol === 'grpc'
        ? new GrpcDelivery(settings, { initialBackoffMillis: this.initialBackoffMillis, maxBackoffMillis: this.maxBackoffMillis })
        : new HttpDelivery(settings);
    // Last: a claiming outbox counts this forwarder among those whose stop releases its claims.
    this.outbox = forwardingOutboxOf(options.outbox, leaseMillis);
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.loop();
  }

  /** Something was enqueued: deliver now if idle. */
  notify(): void {
    this.wake?.();
  }

  /**
   * Stops after the attempt in flight (which is given up to its timeout).
   * Queued entries stay queued; on a claiming outbox, its claims are released
   * (when every forwarder on it has stopped) so other replicas need not wait for the leases.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    this.transport.close();
    try {
      await this.outbox.release();
    } catch (error) {
      // The database is away: the leases run out by themselves.
      console.error(`skein: releasing the claims of ${this.upstream} failed (they expire with their lease):`, error);
    }
  }

  health(nowMillis = Date.now()): ForwarderHealth {
    return {
      upstream: this.upstream,
      state: this.stopped ? 'stopped' : this.consecutiveFailures > 0 ? 'failing' : 'delivering',
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      lastErrorAtMillis: this.lastErrorAtMillis,
      lastDeliveredAtMillis: this.lastDeliveredAtMillis,
      pausedUntilMillis: this.pausedUntilMillis > nowMillis ? this.pausedUntilMillis : null,
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.step();
      } catch (error) {
        this.failedInternally(error);
      }
    }
  }

  private async step(): Promise<void> {
    if (Date.now() < this.pausedUntilMillis) {
      // notify() wakes this early; the loop then goes back to sleep.
      await this.sleepUntil(this.pausedUntilMillis);
      return;
    }
    if (this.unrecorded) {
      await this.record(this.unrecorded);
      return;
    }
    const entry = await this.outbox.next(this.upstream, this.retrying);
    if (!entry) {
      this.retrying = null;
      // Idle, but not forever: entries another process queued (`skein outbox replay`, another replica) are found within a minute.
      await this.sleepUntil((await this.outbox.nextAttemptAt(this.upstream)) ?? Date.now() + IDLE_RECHECK_MILLIS);
      return;
    }
    await this.attempt(entry);
  }

  private async attempt(entry: ForwarderEntry): Promise<void> {
    this.retrying = null;
    const { verdict, status, error } = await this.transport.send(entry.payload, entry.signal);
    const attempt = { upstream: this.upstream, status, signal: entry.signal, spanCount: entry.spanCount };
    if (verdict.outcome === 'delivered' || verdict.outcome === 'dead') {
      // Kept until recorded: should the outbox update fail (the database is down), it is recorded again after the backoff.
      this.unrecorded = { ...attempt, outcome: verdict.outcome, error, id: entry.id };
      await this.record(this.unrecorded);
      return;
    }
    this.retrying = { ...entry, attempts: entry.attempts + 1 };
    this.pause(entry.attempts, verdict.retryAfterMillis, error);
    // Persisted too, so that after a restart this entry still waits its turn.
    if (!(await this.outbox.retryLater(entry.id, this.pausedUntilMillis, error))) this.retrying = null;
    this.report({ ...attempt, outcome: 'retry', error });
  }

  /** Records the upstream's answer in the outbox, then reports it. */
  private async record(answer: Answer): Promise<void> {
    const { id, error, ...attempt } = answer;
    // deadLetter is false when another replica holds the entry now (this one's lease ran out): it decides.
    if (attempt.outcome === 'delivered') await this.outbox.delivered(id);
    else await this.outbox.deadLetter(id, attempt.status, error);
    this.unrecorded = null;
    // The upstream answered: the connection is healthy (after a refusal, only that request was refused).
    this.succeeded();
    this.report(attempt.outcome === 'delivered' ? attempt : { ...attempt, error });
  }

  /** A failure of the forwarder's own (the outbox): logged, counted, retried after the backoff. */
  private failedInternally(error: unknown): void {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.pause(this.consecutiveFailures, null, text);
    const now = Date.now();
    if (now - this.lastLoggedAtMillis >= 60_000) {
      this.lastLoggedAtMillis = now;
      console.error(
        `skein: forwarding to ${this.upstream} failed (${text}); retrying in ${Math.round(this.pausedUntilMillis - now)} ms`,
      );
    }
    this.report({ upstream: this.upstream, outcome: 'error', status: null, signal: null, spanCount: 0, error: text });
  }

  /** Backs off (retry-policy.ts): exponential in the failures so far, with jitter, never sooner than Retry-After or RetryInfo. */
  private pause(failuresBefore: number, retryAfterMillis: number | null, errorText: string): void {
    const delay = retryDelayMillis(
      failuresBefore,
      retryAfterMillis,
      { initialBackoffMillis: this.initialBackoffMillis, maxBackoffMillis: this.maxBackoffMillis },
      this.random,
    );
    const now = Date.now();
    this.pausedUntilMillis = now + delay;
    this.consecutiveFailures++;
    this.lastError = errorText;
    this.lastErrorAtMillis = now;
  }

  private succeeded(): void {
    this.consecutiveFailures = 0;
    this.lastDeliveredAtMillis = Date.now();
  }

  /** A metrics or log callback that throws must not end the loop. */
  private report(attempt: DeliveryAttempt): void {
    try {
      this.onAttempt?.(attempt);
    } catch (error) {
      console.error('skein: a forwarding callback failed:', error);
    }
  }

  private sleepUntil(atMillis: number | null): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        this.wake = null;
        resolve();
      };
      this.wake = done;
      if (atMillis !== null) {
        this.timer = setTimeout(done, Math.max(0, Math.min(atMillis - Date.now(), 2 ** 31 - 1)));
        this.timer.unref();
      }
    });
  }
}
