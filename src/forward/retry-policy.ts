/**
 * When the forwarder sends a refused request again, and how long it waits:
 * OTLP/HTTP's "Retryable Response Codes" and "OTLP/HTTP Throttling" (an
 * exponential backoff with jitter, never sooner than `Retry-After`). Pure
 * functions: the forwarder supplies the clock and the randomness.
 */

/**
 * What one attempt's answer means, the same shape for OTLP/HTTP (here) and
 * OTLP/gRPC (grpc-retry-policy.ts): delivered; sent again after the backoff,
 * never sooner than the upstream's own delay (Retry-After, RetryInfo); or
 * refused for good (dead-lettered).
 */
export type DeliveryVerdict =
  | { outcome: 'delivered' }
  | { outcome: 'retry'; retryAfterMillis: number | null }
  | { outcome: 'dead' };

/** An OTLP/HTTP answer's verdict: 2xx delivered, 429/502/503/504 retried after Retry-After, anything else dead. */
export function httpVerdict(status: number, retryAfter: string | null, nowMillis = Date.now()): DeliveryVerdict {
  if (status >= 200 && status < 300) return { outcome: 'delivered' };
  if (isRetryableStatus(status)) return { outcome: 'retry', retryAfterMillis: parseRetryAfterMillis(retryAfter, nowMillis) };
  return { outcome: 'dead' };
}

/** The answers OTLP/HTTP lists as retryable ("Retryable Response Codes"). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * True for 429, 502, 503 and 504. The spec says every other 4xx and 5xx MUST
 * NOT be retried: such a request goes to the dead letters, with its payload,
 * for `skein outbox replay` once the upstream is fixed.
 */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/**
 * The longest Retry-After honoured: an hour. Longer than any planned pause;
 * a bogus value (`99999999999`, a date in 2100) must not stop forwarding for
 * years, in this process or, persisted on the entry, after a restart.
 */
export const MAX_RETRY_AFTER_MILLIS = 3_600_000;

/**
 * Retry-After as seconds or an HTTP date, in milliseconds from now (0 for a
 * date past, at most `MAX_RETRY_AFTER_MILLIS`); null when absent or unreadable.
 */
export function parseRetryAfterMillis(value: string | null, nowMillis = Date.now()): number | null {
  if (!value) return null;
  const text = value.trim();
  // RFC 9110: delay-seconds is 1*DIGIT; anything else must be an HTTP-date
  // (Date.parse alone would read "-3" or "1.5" as years).
  if (/^\d+$/.test(text)) return Math.min(MAX_RETRY_AFTER_MILLIS, Number(text) * 1000);
  if (!/[a-z]/i.test(text)) return null;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.min(MAX_RETRY_AFTER_MILLIS, Math.max(0, date - nowMillis));
}

export interface BackoffSettings {
  initialBackoffMillis: number;
  maxBackoffMillis: number;
}

/**
 * The pause after a failure: exponential in the failures before it, capped,
 * with jitter over the upper half ([backoff/2, backoff)) so that many
 * collectors retrying one upstream drift apart; never sooner than Retry-After.
 * `random` returns [0, 1).
 */
export function retryDelayMillis(
  failuresBefore: number,
  retryAfterMillis: number | null,
  settings: BackoffSettings,
  random: () => number,
): number {
  const backoff = Math.min(settings.maxBackoffMillis, settings.initialBackoffMillis * 2 ** Math.min(failuresBefore, 30));
  return Math.max(retryAfterMillis ?? 0, backoff * (0.5 + random() / 2));
}
