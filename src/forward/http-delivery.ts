/**
 * OTLP/HTTP delivery: each signal POSTed as protobuf to its own path
 * (`otlpSignalUrl`: `/v1/traces`, `/v1/logs`, `/v1/metrics`).
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { OtlpSignal } from '../model/signals.js';
import { otlpSignalUrl } from '../otlp/otlp-endpoints.js';
import { describeBody, describeFetchError } from './delivery-errors.js';
import type { DeliveryAnswer, DeliveryTransport, TransportSettings } from './delivery-transport.js';
import { httpVerdict } from './retry-policy.js';

const gzip = promisify(gzipCallback);

export class HttpDelivery implements DeliveryTransport {
  private readonly urls: Record<OtlpSignal, string>;

  constructor(private readonly settings: TransportSettings) {
    // Parsed once: a bad URL fails at startup, not at the first delivery.
    this.urls = {
      traces: otlpSignalUrl(settings.url, 'traces'),
      logs: otlpSignalUrl(settings.url, 'logs'),
      metrics: otlpSignalUrl(settings.url, 'metrics'),
    };
  }

  /** The URL each signal is sent to. */
  url(signal: OtlpSignal): string {
    return this.urls[signal];
  }

  async send(payload: Uint8Array, signal: OtlpSignal): Promise<DeliveryAnswer> {
    const headers: Record<string, string> = { ...this.settings.headers, 'content-type': 'application/x-protobuf' };
    let body: Uint8Array = payload;
    if (this.settings.gzip) {
      body = await gzip(payload);
      headers['content-encoding'] = 'gzip';
    }
    try {
      const response = await fetch(this.urls[signal], {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.settings.timeoutMillis),
      });
      const answer = new Uint8Array(await response.arrayBuffer());
      const verdict = httpVerdict(response.status, response.headers.get('retry-after'));
      const error =
        verdict.outcome === 'delivered' ? '' : `HTTP ${response.status}: ${describeBody(answer, response.headers.get('content-type'))}`;
      return { verdict, status: response.status, error };
    } catch (error) {
      return { verdict: { outcome: 'retry', retryAfterMillis: null }, status: null, error: describeFetchError(error) };
    }
  }

  close(): void {}
}
