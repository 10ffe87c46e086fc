/**
 * The three OTLP/gRPC services as grpc-js service definitions whose
 * serializers pass bytes through untouched: the request message goes to the
 * handler as received (already inflated when it came gzipped) and the
 * handler's encoded response goes out as it is, so Skein's own decoders and
 * encoders do the protobuf work, not a second codec.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { OtlpSignal } from '../../model/signals.js';
import { OTLP_EXPORT_PATHS } from '../../otlp/otlp-endpoints.js';

export type { OtlpSignal } from '../../model/signals.js';
/** Defined in otlp/ so that the forwarder's gRPC client uses the same paths. */
export { OTLP_EXPORT_PATHS } from '../../otlp/otlp-endpoints.js';

/** A Uint8Array seen as a Buffer over the same memory (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const passThrough = (bytes: Uint8Array): Buffer => asBuffer(bytes);

/** The one-method service definition of `signal`'s `Export`, bytes in and bytes out. */
export function exportServiceDefinition(signal: OtlpSignal): ServiceDefinition {
  return {
    Export: {
      path: OTLP_EXPORT_PATHS[signal],
      requestStream: false,
      responseStream: false,
      requestSerialize: passThrough,
      requestDeserialize: passThrough,
      responseSerialize: passThrough,
      responseDeserialize: passThrough,
    },
  };
}
