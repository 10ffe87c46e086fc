import type { OutboxEntry } from '../src/index.js';
import { otlpTracesUrl } from './traces-url.js';

type ForwarderEntry = Pick<OutboxEntry, 'id' | 'payload' | 'spanCount' | 'attempts'>;

/** What the forwarder needs from an outbox (`SqliteOutbox` provides it). */
export interface ForwarderOutbox {
  /** Entries due now for the upstream, in the order they should be sent. */
  dueEntries(upstream: string, limit: number, nowMillis?: number): ForwarderEntry[];
  nextAttemptAt(upstream: string): number | null;
  delivered(id: number): void;
  retryLater(id: number, nextAttemptAtMillis: number, error: string): void;
  deadLetter(id: number, status: number | null, response: string, nowMillis?: number): void;
}

export interface OutboxForwarderOptions {
  outbox: ForwarderOutbox;
  /** An OTLP/HTTP endpoint: a base (`http://collector:4318`) gets `/v1/traces` appended. */
  url: string;
  headers?: Record<string, string>;
  timeoutMillis?: number;
  initialBackoffMillis?: number;
  maxBackoffMillis?: number;
  /** Called after every attempt, for metrics and logs. */
  onAttempt?: (attempt: DeliveryAttempt) => void;
  /** Replaceable for tests; returns [0, 1). */
  random?: () => number;
}

export interface DeliveryAttempt {
  upstream: string;
  outcome: 'delivered' | 'retry' | 'dead';
  status: number | null;
  spanCount: number;
  error?: string;
}

/**
 * OTLP's retryable answers (spec, "OTLP/HTTP Throttling" and "Failures"):
 * 429, 502, 503, 504. Other 5xx are retried too: the outbox never drops data
 * for a fault on the upstream's side. Any other 4xx is final.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now; null when absent or unreadable. */
export function parseRetryAfterMillis(value: string | null, nowMillis = Date.now()): number | null {
  if (!value) return null;
  const text = value.trim();
  // RFC 9110: delay-seconds is 1*DIGIT; anything else must be an HTTP-date
  // (Date.parse alone would read "-3" or "1.5" as years).
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return null;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMillis);
}


/**
 * Delivers one upstream's outbox in order, one request at a time. A failed
 * attempt pauses the whole upstream (exponential backoff with jitter, never
 * sooner than Retry-After) and is retried first when the pause ends, so an
 * outage costs one request per backoff step, not one per queued entry, and
 * requests that arrive during the pause wait behind it.
 */
export class OutboxForwarder {
  readonly upstream: string;
  private readonly endpoint: string;
  private readonly options: Required<Omit<OutboxForwarderOptions, 'onAttempt' | 'headers'>> &
    Pick<OutboxForwarderOptions, 'onAttempt' | 'headers'>;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: AbortController | null = null;
  /** Nothing is sent before this (epoch millis): the backoff or Retry-After of the last failure. */
  private pausedUntilMillis = 0;
  /** The entry that failed last: retried before anything newer. */
  private retrying: ForwarderEntry | null = null;

  constructor(options: OutboxForwarderOptions) {
    this.options = {
      timeoutMillis: 10_000,
      initialBackoffMillis: 500,
      maxBackoffMillis: 60_000,
      random: Math.random,
      ...options,
    };
    this.upstream = options.url;
    this.endpoint = otlpTracesUrl(options.url);
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.loop().catch((error: unknown) => {
      console.error(`skein: forwarder for ${this.upstream} stopped:`, error);
    });
  }

  /** Something was enqueued: deliver now if idle. */
  notify(): void {
    this.wake?.();
  }

  /** Stops after the attempt in flight (which is given up to its timeout). Queued entries stay queued. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { outbox } = this.options;
    while (!this.stopped) {
      if (Date.now() < this.pausedUntilMillis) {
        // notify() wakes this early; the loop then goes back to sleep.
        await this.sleepUntil(this.pausedUntilMillis);
        continue;
      }
      const entry = this.retrying ?? outbox.dueEntries(this.upstream, 1)[0];
      if (!entry) {
        await this.sleepUntil(outbox.nextAttemptAt(this.upstream));
        continue;
      }
      await this.attempt(entry);
    }
  }

  private async attempt(entry: ForwarderEntry): Promise<void> {
    const { outbox, onAttempt } = this.options;
    this.retrying = null;
    let status: number | null = null;
    let retryAfter: number | null = null;
    let errorText: string;
    try {
      this.inFlight = new AbortController();
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { ...this.options.headers, 'content-type': 'application/x-protobuf' },
        body: entry.payload,
        signal: AbortSignal.any([this.inFlight.signal, AbortSignal.timeout(this.options.timeoutMillis)]),
      });
      status = response.status;
      const body = new Uint8Array(await response.arrayBuffer());
      if (response.ok) {
        outbox.delivered(entry.id);
        onAttempt?.({ upstream: this.upstream, outcome: 'delivered', status, spanCount: entry.spanCount });
        return;
      }
      retryAfter = parseRetryAfterMillis(response.headers.get('retry-after'));
      errorText = `HTTP ${status}: ${describeBody(body, response.headers.get('content-type'))}`;
      if (!isRetryableStatus(status)) {
        outbox.deadLetter(entry.id, status, errorText);
        onAttempt?.({ upstream: this.upstream, outcome: 'dead', status, spanCount: entry.spanCount, error: errorText });
        return;
      }
    } catch (error) {
      errorText = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    } finally {
      this.inFlight = null;
    }
    const backoff = Math.min(
      this.options.maxBackoffMillis,
      this.options.initialBackoffMillis * 2 ** Math.min(entry.attempts, 30),
    );
    // Full jitter over the upper half keeps retries from many collectors apart.
    const delay = Math.max(retryAfter ?? 0, backoff * (0.5 + this.options.random() / 2));
    this.pausedUntilMillis = Date.now() + delay;
    // Persisted too, so that after a restart this entry still waits its turn.
    outbox.retryLater(entry.id, this.pausedUntilMillis, errorText);
    this.retrying = { ...entry, attempts: entry.attempts + 1 };
    onAttempt?.({ upstream: this.upstream, outcome: 'retry', status, spanCount: entry.spanCount, error: errorText });
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
        this.timer = setTimeout(done, Math.max(0, atMillis - Date.now()));
        this.timer.unref();
      }
    });
  }
}

/** The upstream's answer as text: JSON and text as sent, an OTLP protobuf `google.rpc.Status` decoded. */
export function describeBody(body: Uint8Array, contentType: string | null): string {
  if (body.byteLength === 0) return '(empty body)';
  if (contentType?.includes('json') || contentType?.startsWith('text/')) {
    return new TextDecoder().decode(body.subarray(0, 2000));
  }
  if (contentType?.includes('protobuf')) {
    const status = readRpcStatus(body);
    if (status) return `google.rpc.Status code ${status.code}: ${status.message}`;
  }
  return `${body.byteLength} bytes of ${contentType ?? 'unknown type'}`;
}

/**
 * Reads `code` (field 1, varint) and `message` (field 2, string) of a
 * protobuf `google.rpc.Status`, skipping `details`. Null when it is not one.
 */
function readRpcStatus(bytes: Uint8Array): { code: number; message: string } | null {
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= bytes.length) throw new RangeError('truncated varint');
      const b = bytes[pos++];
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    throw new RangeError('varint too long');
  };
  let code = 0;
  let message = '';
  try {
    while (pos < bytes.length) {
      const key = varint();
      const field = Math.floor(key / 8);
      const wireType = key & 7;
      if (wireType === 0) {
        const v = varint();
        if (field === 1) code = v;
      } else if (wireType === 2) {
        const length = varint();
        if (pos + length > bytes.length) return null;
        if (field === 2) message = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(pos, pos + length));
        pos += length;
      } else {
        return null;
      }
    }
  } catch {
    return null;
  }
  return { code, message };
}
