/**
 * OTLP/gRPC delivery: each signal sent to its service's unary `Export`
 * (`OTLP_EXPORT_PATHS`) on one grpc-js channel per upstream, with
 * pass-through serializers (the payload is already an encoded Export
 * request), the configured headers as metadata, a deadline per call and
 * gzip when asked.
 */
import { Client, Metadata, credentials } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import type { OtlpSignal } from '../model/signals.js';
import { OTLP_EXPORT_PATHS } from '../otlp/otlp-endpoints.js';
import type { DeliveryAnswer, DeliveryTransport, TransportSettings } from './delivery-transport.js';
import { STATUS_DETAILS_KEY, grpcCodeName, grpcVerdict, retryInfoDelayMillis } from './grpc-retry-policy.js';

export interface GrpcTarget {
  /** `host:port` as grpc-js takes it. */
  address: string;
  /** TLS (`https://`), else plaintext. */
  tls: boolean;
}

/** OTLP/gRPC's port when an upstream names none. */
const DEFAULT_GRPC_PORT = 4317;

/**
 * Reads a gRPC upstream: `host:port`, `http://host:port` (plaintext) or
 * `https://host:port` (TLS); the port defaults to 4317. Throws for a path,
 * another scheme or a URL that does not parse: gRPC has no path to send to.
 */
export function parseGrpcTarget(upstream: string): GrpcTarget {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(upstream);
  let url: URL;
  try {
    url = new URL(hasScheme ? upstream : `http://${upstream}`);
  } catch {
    throw new Error(`a gRPC upstream is host:port, http://host:port or https://host:port, got '${upstream}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`a gRPC upstream is plaintext (http:// or none) or TLS (https://), got '${url.protocol}' in '${upstream}'`);
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    throw new Error(`a gRPC upstream has no path (the Export method is chosen per signal), got '${upstream}'`);
  }
  // URL drops a scheme's default port (https://host:443 has port ''): read it from the authority as written.
  const written = /:(\d+)$/.exec((hasScheme ? upstream.replace(/^[^:]+:\/\//, '') : upstream).split(/[/?#]/, 1)[0]);
  return { address: `${url.hostname}:${written?.[1] ?? DEFAULT_GRPC_PORT}`, tls: url.protocol === 'https:' };
}

const passThrough = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The longest the channel waits between connection attempts of its own. */
const MAX_RECONNECT_BACKOFF_MILLIS = 5000;

/** grpc-js's `grpc.default_compression_algorithm` value for gzip. */
const GZIP = 2;

export class GrpcDelivery implements DeliveryTransport {
  readonly target: GrpcTarget;
  private readonly client: Client;
  private readonly metadata: Metadata;

  constructor(
    private readonly settings: TransportSettings,
    reconnect: { initialBackoffMillis: number; maxBackoffMillis: number },
  ) {
    this.target = parseGrpcTarget(settings.url);
    this.metadata = new Metadata();
    for (const [name, value] of Object.entries(settings.headers)) {
      try {
        this.metadata.set(name.toLowerCase(), name.toLowerCase().endsWith('-bin') ? Buffer.from(value) : value);
      } catch (error) {
        throw new Error(`header '${name}' cannot be sent as gRPC metadata: ${(error as Error).message}`);
      }
    }
    this.client = new Client(this.target.address, this.target.tls ? credentials.createSsl() : credentials.createInsecure(), {
      // The channel's own reconnect backoff kept short (grpc-js's default grows to two minutes, during
      // which every call fails at once): an upstream back up is found within seconds of the
      // forwarder's next attempt. The forwarder's backoff paces the requests.
      'grpc.initial_reconnect_backoff_ms': Math.min(reconnect.initialBackoffMillis, 1000),
      'grpc.max_reconnect_backoff_ms': Math.min(reconnect.maxBackoffMillis, MAX_RECONNECT_BACKOFF_MILLIS),
      ...(settings.gzip ? { 'grpc.default_compression_algorithm': GZIP } : {}),
    });
  }

  send(payload: Uint8Array, signal: OtlpSignal): Promise<DeliveryAnswer> {
    return new Promise((resolve) => {
      const deadline = Date.now() + this.settings.timeoutMillis;
      this.client.makeUnaryRequest<Uint8Array, Buffer>(
        OTLP_EXPORT_PATHS[signal],
        passThrough,
        passThrough,
        payload,
        this.metadata.clone(),
        { deadline },
        (error: ServiceError | null) => {
          // An OK answer may carry partial_success: delivered, as on HTTP (the upstream kept the rest).
          if (!error) {
            resolve({ verdict: { outcome: 'delivered' }, status: 0, error: '' });
            return;
          }
          const details = error.metadata?.get(STATUS_DETAILS_KEY)[0];
          const retryInfo = retryInfoDelayMillis(Buffer.isBuffer(details) ? details : undefined);
          resolve({
            verdict: grpcVerdict(error.code, retryInfo),
            status: error.code,
            error: `gRPC ${grpcCodeName(error.code)} (${error.code}): ${error.details}${retryInfo === null ? '' : ` (RetryInfo: retry in ${Math.round(retryInfo)} ms)`}`,
          });
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
