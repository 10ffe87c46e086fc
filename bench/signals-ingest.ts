/**
 * Every signal, both transports, in one run (issue 16):
 *
 * - logs: OTLP/HTTP protobuf log records/s stored by the real collector next
 *   to the same receiver decoding only (records like a coding agent's events:
 *   ~10 resource attributes, ~10 attributes, a ~500-character body);
 * - traces: stored spans/s over OTLP/gRPC next to OTLP/HTTP protobuf on the
 *   same collector, and each next to its decode-only server.
 *
 *   npx tsx bench/signals-ingest.ts [--requests 200] [--clients 8] [--json]
 *
 * Servers run in child processes (bench/ingest-server.ts). Each request
 * carries 100 items never sent before. The collector answers only once a
 * request is committed, so answered items/s is stored items/s. The traces
 * runs alternate HTTP and gRPC over two rounds on the same server, and the
 * table gives each round, so drift on a shared machine shows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials } from '@grpc/grpc-js';
import type { OtlpSignal } from '../src/model/signals.js';
import { encodeLogsRequest, encodeTraceRequest } from '../src/otlp/index.js';
import { OTLP_EXPORT_PATHS } from '../src/otlp/otlp-endpoints.js';
import { SqliteTraceStore } from '../src/store/sqlite/sqlite-trace-store.js';
import { agentEventsRequest } from './lib/agent-events.js';
import { hex, workload } from './lib/agent-workload.js';
import { startIngestServer, stopIngestServer } from './lib/ingest-server-process.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const REQUESTS = option('requests', 200);
const CLIENTS = option('clients', 8);
const ITEMS_PER_REQUEST = 100;
const ROUNDS = 2;

type Transport = 'http' | 'grpc';

interface Run {
  signal: OtlpSignal;
  transport: Transport;
  variant: 'full' | 'decode';
  round: number;
  itemsPerSecond: number;
  failed: number;
}

// ---- payloads ----------------------------------------------------------------------

/** One request of a coding agent's events: one session, `ITEMS_PER_REQUEST` records. */
function logRequest(index: number): Uint8Array {
  const startUnixNano = 1_760_000_000_000_000_000n + BigInt(index) * 1_000_000_000_000n;
  return encodeLogsRequest(agentEventsRequest({ sessionId: `bench-${index}-${hex(8)}`, count: ITEMS_PER_REQUEST, startUnixNano }));
}

function traceRequests(count: number): Uint8Array[] {
  const spans = workload(Math.ceil((count * ITEMS_PER_REQUEST) / 60) + 10);
  if (spans.length < count * ITEMS_PER_REQUEST) throw new Error('workload too small');
  return Array.from({ length: count }, (_, i) => encodeTraceRequest(spans.slice(i * ITEMS_PER_REQUEST, (i + 1) * ITEMS_PER_REQUEST), 'protobuf'));
}

// ---- clients -----------------------------------------------------------------------

type Send = (body: Uint8Array) => Promise<boolean>;

function httpSender(port: number, signal: OtlpSignal): { send: Send; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const send: Send = (body) =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          agent,
          host: '127.0.0.1',
          port,
          path: `/v1/${signal}`,
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', 'content-length': body.byteLength },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

function grpcSender(port: number, signal: OtlpSignal): { send: Send; close(): void } {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const bytes = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const send: Send = (body) =>
    new Promise((resolve) => {
      client.makeUnaryRequest(OTLP_EXPORT_PATHS[signal], bytes, bytes, bytes(body), (error) => resolve(error === null));
    });
  return { send, close: () => client.close() };
}

async function load(send: Send, payloads: readonly Uint8Array[]): Promise<{ itemsPerSecond: number; failed: number }> {
  let next = 0;
  let failed = 0;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < payloads.length) {
        const ok = await send(payloads[next++]);
        if (ok) done++;
        else failed++;
      }
    }),
  );
  return { itemsPerSecond: (done * ITEMS_PER_REQUEST) / ((performance.now() - t0) / 1000), failed };
}

// ---- runs --------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'skein-bench-signals-'));
const runs: Run[] = [];
const logs = Array.from({ length: REQUESTS + CLIENTS }, (_, i) => logRequest(i));
// Per server: a warm-up slice, then ROUNDS × (HTTP, gRPC) slices of new spans.
const traceSlices = 1 + ROUNDS * 2;
let stored: { spans: number; logRecords: number } | undefined;
try {
  for (const variant of ['decode', 'full'] as const) {
    const traces = traceRequests(REQUESTS * traceSlices);
    const slice = (k: number): Uint8Array[] => traces.slice(k * REQUESTS, (k + 1) * REQUESTS);
    const dbPath = join(dir, `${variant}.db`);
    const { child, port, grpcPort } = await startIngestServer(variant, dbPath);
    try {
      const httpTraces = httpSender(port, 'traces');
      const grpcTraces = grpcSender(grpcPort, 'traces');
      const httpLogs = httpSender(port, 'logs');
      // Warm-up: both transports, both signals.
      await load(httpTraces.send, slice(0).slice(0, REQUESTS / 2));
      await load(grpcTraces.send, slice(0).slice(REQUESTS / 2));
      await load(httpLogs.send, logs.slice(0, CLIENTS));
      const logsRun = await load(httpLogs.send, logs.slice(CLIENTS));
      runs.push({ signal: 'logs', transport: 'http', variant, round: 1, ...logsRun });
      for (let round = 1; round <= ROUNDS; round++) {
        const h = await load(httpTraces.send, slice(round * 2 - 1));
        runs.push({ signal: 'traces', transport: 'http', variant, round, ...h });
        const g = await load(grpcTraces.send, slice(round * 2));
        runs.push({ signal: 'traces', transport: 'grpc', variant, round, ...g });
      }
      httpTraces.close();
      grpcTraces.close();
      httpLogs.close();
      await stopIngestServer(child);
      if (variant === 'full') {
        const store = new SqliteTraceStore({ path: dbPath, readonly: true });
        try {
          const count = (table: string): number => (store.database.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
          stored = { spans: count('spans'), logRecords: count('log_records') };
        } finally {
          store.closeSync();
        }
      }
    } finally {
      if (child.exitCode === null) child.kill();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;
const find = (signal: OtlpSignal, transport: Transport, variant: string, round: number): Run =>
  runs.find((r) => r.signal === signal && r.transport === transport && r.variant === variant && r.round === round) as Run;
console.log(`Every signal, ${ITEMS_PER_REQUEST}-item protobuf requests, ${CLIENTS} concurrent clients, ${REQUESTS} requests per run, Node ${process.version}\n`);
console.log('| signal | transport | round | stored items/s | decode-only items/s | stored / decode-only | failed |');
console.log('|---|---|---|---|---|---|---|');
for (const r of runs.filter((x) => x.variant === 'full')) {
  const decode = find(r.signal, r.transport, 'decode', r.round);
  console.log(
    `| ${r.signal} | ${r.transport} | ${r.round} | ${k(r.itemsPerSecond)} | ${k(decode.itemsPerSecond)} | ` +
      `${(r.itemsPerSecond / decode.itemsPerSecond).toFixed(2)} | ${r.failed + decode.failed} |`,
  );
}
const ratios = Array.from({ length: ROUNDS }, (_, i) => find('traces', 'grpc', 'full', i + 1).itemsPerSecond / find('traces', 'http', 'full', i + 1).itemsPerSecond);
console.log(`\nstored traces, gRPC / HTTP by round: ${ratios.map((x) => x.toFixed(2)).join(', ')}`);
if (stored) console.log(`stored after the full runs: ${stored.spans} spans, ${stored.logRecords} log records`);
if (process.argv.includes('--json')) console.log(`RESULT ${JSON.stringify({ requests: REQUESTS, clients: CLIENTS, itemsPerRequest: ITEMS_PER_REQUEST, runs, grpcOverHttp: ratios, stored })}`);
