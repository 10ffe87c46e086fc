/**
 * Reads the files `skein import` takes, whatever they hold:
 * - an OTLP/JSON `ExportTraceServiceRequest` (what `skein export --format otlp` writes),
 * - OTLP/JSON lines, one request per line (the OTel Collector's file exporter),
 * - an OTLP protobuf request (`.pb`, `.binpb`, `.protobuf`, or anything not JSON),
 * - Skein JSONL (`skein export --format jsonl`),
 * any of them gzipped.
 */

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { StepLineError, isStepLine, rawSpanOfStepLine } from '../model/export-formats.js';
import type { RawSpan } from '../model/types.js';
import { OtlpDecodeError, decodeTraceRequest } from '../otlp/index.js';
import { CliUsageError } from './cli-error.js';

export type TraceFileFormat = 'otlp-json' | 'otlp-jsonl' | 'otlp-protobuf' | 'skein-jsonl';

export interface TraceFile {
  path: string;
  format: TraceFileFormat;
  spans: RawSpan[];
  /** Spans the OTLP decoder refused one by one (bad ids, out-of-range enums). */
  rejectedSpans: number;
}

const PROTOBUF_EXTENSIONS = /\.(pb|binpb|protobuf)(\.gz)?$/i;

function firstNonSpace(bytes: Uint8Array): number | undefined {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return byte;
  return undefined;
}

function fail(path: string, message: string): never {
  throw new CliUsageError(`${path}: ${message}`);
}

function decodeJsonLines(path: string, text: string): TraceFile {
  const spans: RawSpan[] = [];
  let rejectedSpans = 0;
  let format: TraceFileFormat | undefined;
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      fail(path, `line ${i + 1} is not JSON`);
    }
    if (isStepLine(value)) {
      format ??= 'skein-jsonl';
      try {
        spans.push(rawSpanOfStepLine(value));
      } catch (error) {
        if (error instanceof StepLineError) fail(path, `line ${i + 1}: ${error.message}`);
        throw error;
      }
    } else if (typeof value === 'object' && value !== null && 'resourceSpans' in value) {
      format ??= 'otlp-jsonl';
      try {
        const decoded = decodeTraceRequest(new TextEncoder().encode(line), 'json');
        spans.push(...decoded.spans);
        rejectedSpans += decoded.rejectedSpans;
      } catch (error) {
        if (error instanceof OtlpDecodeError) fail(path, `line ${i + 1}: ${error.message}`);
        throw error;
      }
    } else {
      fail(path, `line ${i + 1} is neither a Skein step nor an OTLP request`);
    }
  });
  return { path, format: format ?? 'skein-jsonl', spans, rejectedSpans };
}

export function decodeTraceFile(path: string, input: Uint8Array): TraceFile {
  let bytes = input;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      fail(path, `not a valid gzip file (${(error as Error).message})`);
    }
  }
  const first = firstNonSpace(bytes);
  if (!PROTOBUF_EXTENSIONS.test(path) && first === 0x7b /* { */) {
    const text = new TextDecoder().decode(bytes);
    let whole: unknown;
    try {
      whole = JSON.parse(text);
    } catch {
      // Not one document: JSON lines.
      return decodeJsonLines(path, text);
    }
    if (isStepLine(whole)) return decodeJsonLines(path, text);
    try {
      const decoded = decodeTraceRequest(bytes, 'json');
      return { path, format: 'otlp-json', spans: decoded.spans, rejectedSpans: decoded.rejectedSpans };
    } catch (error) {
      if (error instanceof OtlpDecodeError) fail(path, `not an OTLP/JSON request: ${error.message}`);
      throw error;
    }
  }
  if (bytes.length === 0) return { path, format: 'otlp-protobuf', spans: [], rejectedSpans: 0 };
  try {
    const decoded = decodeTraceRequest(bytes, 'protobuf');
    return { path, format: 'otlp-protobuf', spans: decoded.spans, rejectedSpans: decoded.rejectedSpans };
  } catch (error) {
    if (error instanceof OtlpDecodeError) {
      fail(path, `not OTLP/JSON, OTLP protobuf or Skein JSONL (protobuf: ${error.message})`);
    }
    throw error;
  }
}

export async function readTraceFile(path: string): Promise<TraceFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    fail(path, `cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return decodeTraceFile(path, bytes);
}
