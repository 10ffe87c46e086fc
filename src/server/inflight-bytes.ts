import { numberOption } from '../model/option-values.js';

/** The default `maxInflightBytes`: 256 MiB of request bodies read, inflated and decoded at once. */
export const DEFAULT_MAX_INFLIGHT_BYTES = 256 * 1024 * 1024;

/** The budget is spent by other requests right now: answer 503 + Retry-After. */
export class InflightBytesBusyError extends Error {
  override name = 'InflightBytesBusyError';
  constructor(
    readonly limitBytes: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`the collector is already holding its limit of ${limitBytes} bytes of request bodies; retry later`);
  }
}

/** One request alone would need more than the whole budget: answer 413, a retry cannot help. */
export class InflightBytesTooLargeError extends Error {
  override name = 'InflightBytesTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`request body needs more than the collector's in-flight limit of ${limitBytes} bytes`);
  }
}

export interface InflightBytesOptions {
  /** Bytes of request bodies (as read, as inflated) held at once, over all requests. Default 256 MiB. */
  maxBytes?: number;
  /** How long a request that holds nothing yet waits for room before it is refused. Default 1000 ms. */
  maxWaitMillis?: number;
  /** What a refused client is told to wait. Default 1 s. */
  retryAfterSeconds?: number;
}

interface Waiter {
  bytes: number;
  admit: () => void;
}

const OWNER = 'InflightBytes';

/**
 * A global budget for the bytes of OTLP request bodies in memory at once: an
 * async semaphore counted in bytes. Each request opens a `BodyCharge`, which
 * grows as its body is read and inflated and is released when it is answered.
 *
 * Only a request that holds nothing yet waits for room (first come, first
 * served, up to `maxWaitMillis`); one that already holds bytes and needs more
 * is refused at once rather than waiting with what it holds, so requests can
 * never wait for each other in a circle. `inUseBytes` never exceeds `maxBytes`.
 */
export class InflightBytes {
  readonly maxBytes: number;
  readonly maxWaitMillis: number;
  readonly retryAfterSeconds: number;
  private used = 0;
  private peak = 0;
  private readonly waiters: Waiter[] = [];

  constructor(options: InflightBytesOptions = {}) {
    this.maxBytes = numberOption(OWNER, 'maxBytes', options.maxBytes, DEFAULT_MAX_INFLIGHT_BYTES, { min: 1, integer: true });
    this.maxWaitMillis = numberOption(OWNER, 'maxWaitMillis', options.maxWaitMillis, 1000, { min: 0, max: 60_000 });
    this.retryAfterSeconds = numberOption(OWNER, 'retryAfterSeconds', options.retryAfterSeconds, 1, {
      min: 0,
      max: 86_400,
      integer: true,
    });
  }

  /** Bytes held now by all requests. */
  get inUseBytes(): number {
    return this.used;
  }

  /** The most ever held at once (for tests and metrics). */
  get peakBytes(): number {
    return this.peak;
  }

  /** Requests waiting for room. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** A new, empty charge for one request. */
  open(): BodyCharge {
    return new BodyCharge(this);
  }

  /** @internal Takes `bytes` now or throws; never waits. */
  take(bytes: number, alreadyHeld: number): void {
    if (alreadyHeld + bytes > this.maxBytes) throw new InflightBytesTooLargeError(this.maxBytes);
    // A request that is growing goes before the waiters: refusing it would waste what it has read.
    if (this.used + bytes > this.maxBytes) throw new InflightBytesBusyError(this.maxBytes, this.retryAfterSeconds);
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
  }

  /** @internal Takes `bytes`, waiting (first come, first served) up to maxWaitMillis for room. */
  async takeWaiting(bytes: number): Promise<void> {
    if (bytes > this.maxBytes) throw new InflightBytesTooLargeError(this.maxBytes);
    if (this.waiters.length === 0 && this.used + bytes <= this.maxBytes) {
      this.take(bytes, 0);
      return;
    }
    if (this.maxWaitMillis === 0) throw new InflightBytesBusyError(this.maxBytes, this.retryAfterSeconds);
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        admit: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new InflightBytesBusyError(this.maxBytes, this.retryAfterSeconds));
        // The head may have been this waiter: the next one may fit now.
        this.admitWaiters();
      }, this.maxWaitMillis);
      this.waiters.push(waiter);
    });
  }

  /** @internal */
  give(bytes: number): void {
    this.used -= bytes;
    this.admitWaiters();
  }

  private admitWaiters(): void {
    while (this.waiters.length > 0 && this.used + this.waiters[0].bytes <= this.maxBytes) {
      const waiter = this.waiters.shift() as Waiter;
      this.take(waiter.bytes, 0);
      waiter.admit();
    }
  }
}

/**
 * What one request holds of the budget. `admit` first (it may wait), then
 * `add` as buffers are allocated (the admitted bytes are used up first) and
 * `remove` as they are dropped; `release` when the request is answered.
 */
export class BodyCharge {
  private held = 0;
  private reserve = 0;
  private released = false;

  constructor(private readonly budget: InflightBytes) {}

  /** Bytes this request holds of the budget (an admitted reserve included). */
  get heldBytes(): number {
    return this.held;
  }

  /** Waits for room for `bytes` (e.g. the declared Content-Length) and holds them in reserve for `add`. */
  async admit(bytes: number): Promise<void> {
    if (bytes <= 0 || this.released) return;
    await this.budget.takeWaiting(bytes);
    if (this.released) {
      this.budget.give(bytes);
      return;
    }
    this.held += bytes;
    this.reserve += bytes;
  }

  /** Holds `bytes` more (from the reserve first), or throws InflightBytesBusyError / InflightBytesTooLargeError without waiting. */
  add(bytes: number): void {
    if (bytes <= 0) return;
    const fromReserve = Math.min(this.reserve, bytes);
    this.reserve -= fromReserve;
    const more = bytes - fromReserve;
    if (more === 0) return;
    this.budget.take(more, this.held);
    this.held += more;
  }

  /** Gives back `bytes` of what is held (a buffer that was dropped). */
  remove(bytes: number): void {
    const n = Math.min(Math.max(bytes, 0), this.held - this.reserve);
    if (n <= 0) return;
    this.held -= n;
    this.budget.give(n);
  }

  /** Gives back everything; later calls do nothing. */
  release(): void {
    this.released = true;
    const n = this.held;
    this.held = 0;
    this.reserve = 0;
    if (n > 0) this.budget.give(n);
  }
}
