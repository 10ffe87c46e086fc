/**
 * The collector anyone could write in an afternoon, as the baseline issue 15
 * sets for stored ingest: node:http, protobufjs static code to decode the
 * request, and better-sqlite3 with one INSERT per span into a ~1 KB row
 * (ids as hex text, times as integers, attributes and resource as JSON) with
 * three indexes, one transaction per request, answered once committed. WAL
 * and `synchronous = NORMAL`, the durability `skein serve` has. No session
 * rollups, no search, no redaction, no normalizing, no change feed: what it
 * stores is what it was sent.
 *
 * Protobuf only (OTLP/JSON would need hand-written conversion of ids and
 * 64-bit values, which is no longer "an afternoon").
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import Database from 'better-sqlite3';
import { opentelemetry } from '../../test/oracle/otlp/generated/otlp.js';

const ExportTraceServiceRequest = opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

type AnyValue = opentelemetry.proto.common.v1.IAnyValue;
type KeyValue = opentelemetry.proto.common.v1.IKeyValue;
type Long = { low: number; high: number; toString(): string };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS spans (
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  parent_span_id TEXT,
  session_id TEXT,
  name TEXT NOT NULL,
  kind INTEGER NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  status_code INTEGER NOT NULL,
  status_message TEXT,
  model TEXT,
  attributes TEXT NOT NULL,
  resource TEXT NOT NULL,
  scope TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS spans_id ON spans (trace_id, span_id);
CREATE INDEX IF NOT EXISTS spans_session ON spans (session_id, start_ns);
CREATE INDEX IF NOT EXISTS spans_model ON spans (model, start_ns);
`;

function hex(bytes: Uint8Array | null | undefined): string | null {
  return bytes && bytes.length > 0 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') : null;
}

function nanos(value: number | Long | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  return typeof value === 'number' ? BigInt(value) : BigInt(value.toString());
}

function plain(v: AnyValue | null | undefined): unknown {
  if (!v) return null;
  if (v.stringValue !== null && v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== null && v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== null && v.intValue !== undefined) return typeof v.intValue === 'number' ? v.intValue : v.intValue.toString();
  if (v.doubleValue !== null && v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(plain);
  if (v.kvlistValue) return attributes(v.kvlistValue.values);
  if (v.bytesValue) return Buffer.from(v.bytesValue).toString('base64');
  return null;
}

function attributes(list: KeyValue[] | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key ?? ''] = plain(kv.value);
  return out;
}

export interface NaiveCollector {
  server: Server;
  close(): Promise<void>;
}

export function startNaiveCollector(dbPath: string): NaiveCollector {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  const insert = db.prepare(
    `INSERT INTO spans (trace_id, span_id, parent_span_id, session_id, name, kind, start_ns, end_ns, status_code,
       status_message, model, attributes, resource, scope)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (trace_id, span_id) DO UPDATE SET end_ns = excluded.end_ns, attributes = excluded.attributes`,
  );
  const store = db.transaction((body: Buffer) => {
    const request = ExportTraceServiceRequest.decode(body);
    for (const rs of request.resourceSpans ?? []) {
      const resource = attributes(rs.resource?.attributes);
      const resourceJson = JSON.stringify(resource);
      for (const ss of rs.scopeSpans ?? []) {
        const scope = ss.scope?.name ?? null;
        for (const span of ss.spans ?? []) {
          const attrs = attributes(span.attributes);
          const session = attrs['session.id'] ?? attrs['gen_ai.conversation.id'] ?? resource['session.id'] ?? null;
          const model = attrs['gen_ai.response.model'] ?? attrs['gen_ai.request.model'] ?? null;
          insert.run(
            hex(span.traceId),
            hex(span.spanId),
            hex(span.parentSpanId),
            typeof session === 'string' ? session : null,
            span.name ?? '',
            span.kind ?? 0,
            nanos(span.startTimeUnixNano as number | Long),
            nanos(span.endTimeUnixNano as number | Long),
            span.status?.code ?? 0,
            span.status?.message || null,
            typeof model === 'string' ? model : null,
            JSON.stringify(attrs),
            resourceJson,
            scope,
          );
        }
      }
    }
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        store(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
      }
    });
  });
  return {
    server,
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          db.close();
          resolve();
        }),
      ),
  };
}

/** Average stored row payload (bytes of its columns' values) of a naive collector's file, to check it is ~1 KB. */
export function naiveRowBytes(dbPath: string): { spans: number; avgRowBytes: number } {
  const db = new Database(dbPath, { readonly: true });
  try {
    const row = db
      .prepare(
        `SELECT count(*) AS spans, avg(length(trace_id) + length(span_id) + coalesce(length(parent_span_id), 0) +
           coalesce(length(session_id), 0) + length(name) + 8 * 5 + coalesce(length(status_message), 0) +
           coalesce(length(model), 0) + length(attributes) + length(resource) + coalesce(length(scope), 0)) AS bytes
         FROM spans`,
      )
      .get() as { spans: number; bytes: number | null };
    return { spans: row.spans, avgRowBytes: row.bytes ?? 0 };
  } finally {
    db.close();
  }
}
