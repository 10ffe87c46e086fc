/**
 * A captured agent run (test/fixtures/agents/<program>/<scenario>) decoded
 * with Skein's own decoders: its spans and log records, as the receivers
 * would hand them to ingest.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { RawLogRecord } from '../../../src/model/log-types.js';
import type { RawSpan } from '../../../src/model/types.js';
import { decodeLogsRequest, decodeTraceRequest } from '../../../src/otlp/index.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/agents/', import.meta.url));
const BODY_FILE = /^(traces|logs|metrics)-\d+\.(pb|json|grpc)(\.gz)?$/;

export interface DecodedRun {
  spans: RawSpan[];
  logs: RawLogRecord[];
}

/** The Export messages of a captured gRPC call's DATA (5-byte prefix: compressed flag, length). */
function grpcMessages(body: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  for (let offset = 0; offset < body.length; ) {
    const length = body.readUInt32BE(offset + 1);
    const message = body.subarray(offset + 5, offset + 5 + length);
    messages.push(body[offset] === 1 ? gunzipSync(message) : message);
    offset += 5 + length;
  }
  return messages;
}

export function decodeRun(program: string, scenario: string): DecodedRun {
  const dir = `${FIXTURES}${program}/${scenario}`;
  const run: DecodedRun = { spans: [], logs: [] };
  for (const file of readdirSync(dir).sort()) {
    const match = BODY_FILE.exec(file);
    if (match === null) continue;
    const [, signal, ext, gz] = match;
    const raw = readFileSync(`${dir}/${file}`);
    const bodies = ext === 'grpc' ? grpcMessages(raw) : [gz === undefined ? raw : gunzipSync(raw)];
    const format = ext === 'json' ? 'json' : 'protobuf';
    for (const body of bodies) {
      if (signal === 'traces') run.spans.push(...decodeTraceRequest(body, format).spans);
      else if (signal === 'logs') run.logs.push(...decodeLogsRequest(body, format).records);
    }
  }
  return run;
}

/** A record's attribute, as it arrived. */
export function attr(record: { attributes: unknown }, key: string): unknown {
  return (record.attributes as Record<string, unknown>)[key];
}

/** A token count as an agent sends it (number, or its decimal text), 0 when absent. */
export function count(value: unknown): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' ? Number(value) : Number(value as number);
  if (!Number.isSafeInteger(n)) throw new Error(`not a token count: ${String(value)}`);
  return n;
}
