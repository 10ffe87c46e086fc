/**
 * How the forwarder sends one queued request: over OTLP/HTTP
 * (http-delivery.ts) or OTLP/gRPC (grpc-delivery.ts). A transport never
 * throws for the upstream's sake: a refusal, a timeout or a network error is
 * an answer with its verdict (retry-policy.ts, grpc-retry-policy.ts).
 */
import type { OtlpSignal } from '../model/signals.js';
import type { DeliveryVerdict } from './retry-policy.js';

export type ForwardProtocol = 'http' | 'grpc';
export const FORWARD_PROTOCOLS: readonly ForwardProtocol[] = ['http', 'grpc'];

export interface DeliveryAnswer {
  verdict: DeliveryVerdict;
  /** The HTTP status or the gRPC status code; null when no answer came (a network error, a timeout on HTTP). */
  status: number | null;
  /** What went wrong, as the dead letters and `lastError` show it ('' when delivered). */
  error: string;
}

export interface DeliveryTransport {
  /** Sends one encoded Export request of `signal`. */
  send(payload: Uint8Array, signal: OtlpSignal): Promise<DeliveryAnswer>;
  /** Releases connections; pending sends end as they may. */
  close(): void;
}

export interface TransportSettings {
  /** The upstream as configured (`--forward`). */
  url: string;
  /** Sent with every request: HTTP headers, or gRPC metadata. */
  headers: Record<string, string>;
  timeoutMillis: number;
  /** gzip the request body (`Content-Encoding` / `grpc-encoding`). */
  gzip: boolean;
}
