/**
 * How a failed delivery reads where an operator sees it: the dead letters,
 * `lastError` on /readyz, and the log.
 */
import { decodeStatus } from '../otlp/rpc-status.js';

/**
 * A failed request as text. fetch() says only "fetch failed": the cause
 * (ECONNREFUSED, a TLS error) is what an operator needs.
 */
export function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${error.name}: ${error.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
  }
  return `${error.name}: ${error.message}`;
}

/** The upstream's answer as text: JSON and text as sent, an OTLP protobuf `google.rpc.Status` decoded. */
export function describeBody(body: Uint8Array, contentType: string | null): string {
  if (body.byteLength === 0) return '(empty body)';
  if (contentType?.includes('json') || contentType?.startsWith('text/')) {
    return new TextDecoder().decode(body.subarray(0, 2000));
  }
  if (contentType?.includes('protobuf')) {
    try {
      const status = decodeStatus(body, 'protobuf');
      return `google.rpc.Status code ${status.code}: ${status.message}`;
    } catch {
      // Not a Status: described by its size below.
    }
  }
  return `${body.byteLength} bytes of ${contentType ?? 'unknown type'}`;
}
