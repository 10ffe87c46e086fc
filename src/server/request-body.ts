import { createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import type { BodyCharge } from './inflight-bytes.js';

/** zlib output chunk: 64 KiB keeps the main thread's share of a 64 MiB inflation to ~1,000 callbacks. */
const INFLATE_CHUNK_BYTES = 64 * 1024;

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
 * the limit is passed. Each chunk is added to `charge` as it arrives (and the
 * joined copy while it is made); a charge that cannot grow stops the reading
 * the same way, with its error. With `declaredBytes` (a Content-Length within
 * the limit) the body is copied into one buffer of that size as it arrives,
 * so it is never held twice.
 */
export async function readBodyLimited(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  charge?: BodyCharge,
  declaredBytes?: number,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let into: Uint8Array | undefined;
  try {
    if (declaredBytes !== undefined && declaredBytes > 0 && declaredBytes <= maxBytes) {
      charge?.add(declaredBytes);
      into = new Uint8Array(declaredBytes);
    }
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw new BodyTooLargeError(maxBytes, 'body');
      if (into !== undefined && total <= into.byteLength) {
        into.set(value, total - value.byteLength);
        continue;
      }
      if (into !== undefined) {
        // More than declared (the HTTP parser does not allow it; a stream made here might): collect instead.
        chunks.push(into.subarray(0, total - value.byteLength));
        into = undefined;
      }
      charge?.add(value.byteLength);
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  if (into !== undefined) return total === into.byteLength ? into : into.subarray(0, total);
  return join(chunks, total, charge);
}

/** One buffer of `chunks`; the copy is charged while both exist, then the chunks are given back. */
function join(chunks: Uint8Array[], total: number, charge: BodyCharge | undefined): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  charge?.add(total);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  chunks.length = 0;
  charge?.remove(total);
  return out;
}

/**
 * Decompresses with a hard cap on the output: inflation stops at `maxBytes`,
 * so a decompression bomb costs at most `maxBytes` of memory, never its full
 * size. zlib runs on libuv's thread pool; each output chunk is added to
 * `charge` as it comes, and inflation stops with the charge's error when it
 * cannot grow. The compressed bytes are given back to `charge` once inflated.
 */
export async function decompressLimited(
  data: Uint8Array,
  encoding: ContentEncoding,
  maxBytes: number,
  charge?: BodyCharge,
): Promise<Uint8Array> {
  if (encoding === 'identity') return data;
  if (data.byteLength === 0) return data;
  let out: Uint8Array;
  if (encoding === 'gzip') {
    out = await inflateLimited(data, 'gzip', maxBytes, charge);
  } else {
    try {
      out = await inflateLimited(data, 'deflate', maxBytes, charge);
    } catch (error) {
      // HTTP "deflate" means zlib-wrapped (RFC 9110), but some clients send raw deflate.
      if (!(error instanceof BadEncodingError)) throw error;
      out = await inflateLimited(data, 'raw', maxBytes, charge);
    }
  }
  charge?.remove(data.byteLength);
  return out;
}

function inflateLimited(
  data: Uint8Array,
  kind: 'gzip' | 'deflate' | 'raw',
  maxBytes: number,
  charge: BodyCharge | undefined,
): Promise<Uint8Array> {
  const options = { chunkSize: INFLATE_CHUNK_BYTES };
  const zlib = kind === 'gzip' ? createGunzip(options) : kind === 'deflate' ? createInflate(options) : createInflateRaw(options);
  const encoding = kind === 'gzip' ? 'gzip' : 'deflate';
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      zlib.destroy();
      chunks.length = 0;
      charge?.remove(total);
      reject(error);
    };
    zlib.on('data', (chunk: Buffer) => {
      if (failed) return;
      if (total + chunk.byteLength > maxBytes) return fail(new BodyTooLargeError(maxBytes, 'decompressed'));
      try {
        charge?.add(chunk.byteLength);
      } catch (error) {
        return fail(error);
      }
      total += chunk.byteLength;
      chunks.push(chunk);
    });
    zlib.on('error', (error) => fail(new BadEncodingError(`body is not valid ${encoding} data: ${error.message}`)));
    zlib.on('end', () => {
      if (failed) return;
      try {
        resolve(join(chunks, total, charge));
      } catch (error) {
        fail(error);
      }
    });
    zlib.end(data);
  });
}
