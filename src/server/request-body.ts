import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw } from 'node:zlib';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

/** The body, or what it decompressed to, is larger than allowed (HTTP 413). */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
  constructor(
    readonly limitBytes: number,
    readonly stage: 'body' | 'decompressed',
  ) {
    super(
      stage === 'body'
        ? `request body exceeds the limit of ${limitBytes} bytes`
        : `request body exceeds the limit of ${limitBytes} bytes after decompression`,
    );
  }
}

/** The body claims an encoding it does not have (HTTP 400). */
export class BadEncodingError extends Error {
  override name = 'BadEncodingError';
}

export type ContentEncoding = 'identity' | 'gzip' | 'deflate';

/**
 * Parses Content-Encoding. Returns null for encodings Skein does not accept
 * (HTTP 415). Several stacked encodings are not accepted either: no OTLP
 * client sends them.
 */
export function parseContentEncoding(header: string | undefined): ContentEncoding | null {
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  return null;
}

/**
 * Reads a request body (chunked or with Content-Length) without ever holding
 * more than `maxBytes`: reading stops, and the stream is cancelled, as soon as
 * the limit is passed.
 */
export async function readBodyLimited(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(maxBytes, 'body');
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Decompresses with a hard cap on the output: zlib stops at `maxBytes`, so a
 * decompression bomb costs at most `maxBytes` of memory, never its full size.
 */
export async function decompressLimited(
  data: Uint8Array,
  encoding: ContentEncoding,
  maxBytes: number,
): Promise<Uint8Array> {
  if (encoding === 'identity') return data;
  if (data.byteLength === 0) return data;
  const options = { maxOutputLength: maxBytes };
  try {
    if (encoding === 'gzip') return await gunzipAsync(data, options);
    try {
      return await inflateAsync(data, options);
    } catch (error) {
      // HTTP "deflate" means zlib-wrapped (RFC 9110), but some clients send raw deflate.
      if (isTooLarge(error)) throw error;
      return await inflateRawAsync(data, options);
    }
  } catch (error) {
    if (isTooLarge(error)) throw new BodyTooLargeError(maxBytes, 'decompressed');
    const reason = error instanceof Error ? error.message : String(error);
    throw new BadEncodingError(`body is not valid ${encoding} data: ${reason}`);
  }
}

function isTooLarge(error: unknown): boolean {
  return (
    error instanceof RangeError ||
    (error as { code?: string } | null)?.code === 'ERR_BUFFER_TOO_LARGE'
  );
}
