/**
 * OTLP/HTTP ingest over loopback: stored spans/s of the real collector next
 * to the same receiver with decode only, a server that answers 200 at once
 * and (protobuf only) the naive collector of bench/lib/naive-collector.ts
 * (issue 15's baseline), all in one run, for protobuf and JSON.
 *
 *   npx tsx bench/ingest-http.ts [--requests 400] [--clients 8] [--json]
 *   BENCH_CPU_PROF=/tmp/prof npx tsx bench/ingest-http.ts   (a V8 CPU profile of each server's threads)
 *
 * Each server variant runs in a child process (bench/ingest-server.ts) so its
 * peak RSS is its own; the load generator is this process: `clients`
 * keep-alive connections, each sending its next 100-span request as soon as
 * the previous one is answered. Every request carries spans never sent before
 * (agent sessions from bench/lib/agent-workload.ts), so the store inserts
 * rather than overwrites. The collector answers only once a request is
 * committed, so answered spans/s is stored spans/s; the stored count is
 * checked afterwards. Server CPU per span is the server process's user +
 * system time over the measured load (every thread; /proc), which moves less
 * than spans/s when the machine is shared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTraceStore } from '../src/store/sqlite/sqlite-trace-store.js';
import { naiveRowBytes } from './lib/naive-collector.js';
import {
  serverCpuCell,
  serverCpuSeconds,
  serverMaxRssKb,
  serverThreadCpuSeconds,
  startIngestServer,
  stopIngestServer,
  threadCpuSplit,
} from './lib/ingest-server-process.js';
import type { ServerVariant } from './lib/ingest-server-process.js';
import { loadOtlp, SPANS_PER_REQUEST, traceBodies } from './lib/otlp-load.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const REQUESTS = option('requests', 400);
const CLIENTS = option('clients', 8);
const MAX_SECONDS = 60;

type Format = 'protobuf' | 'json';
type Variant = ServerVariant;

interface RunResult {
  format: Format;
  variant: Variant;
  requests: number;
  failed: number;
  spansPerSecond: number;
  p50Millis: number;
  p99Millis: number;
  maxRssMb: number;
  /** The server process's CPU (every thread) per span stored, µs, over the measured load; null without /proc. */
  cpuMicrosPerSpan: number | null;
  /** Of that, the main thread's and the busiest other thread's (the writer thread, for `full`); null without /proc. */
  threadCpu: { mainMicrosPerSpan: number; busiestOtherMicrosPerSpan: number } | null;
  storedSpans?: number;
  /** `naive` only: the average bytes of its row's values (issue 15 asks for ~1 KB). */
  naiveRowBytes?: number;
  /** `full` only: a sessions-list query every 20 ms on its own connection, idle and during the measured load. */
  query?: { idle: Latency; loaded: Latency };
}

interface Latency {
  p50: number;
  p99: number;
  count: number;
}

function percentiles(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), count: sorted.length };
}

function get(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request({ agent, host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - start) : reject(new Error(`GET ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** What a viewer or an API client waits meanwhile: one sessions-list request every 20 ms until `until` settles. */
async function probeQueries(port: number, until: Promise<unknown>, minimum = 0): Promise<Latency> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let done = false;
  void until.finally(() => (done = true));
  const samples: number[] = [];
  while (!done || samples.length < minimum) {
    samples.push(await get(agent, port, '/api/sessions?limit=20'));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  agent.destroy();
  return percentiles(samples);
}

function perSpanSplit(
  pid: number | undefined,
  before: Map<number, number> | null,
  after: Map<number, number> | null,
  spans: number,
): RunResult['threadCpu'] {
  if (pid === undefined || before === null || after === null) return null;
  const { main, busiestOther } = threadCpuSplit(pid, before, after);
  return { mainMicrosPerSpan: (main * 1e6) / spans, busiestOtherMicrosPerSpan: (busiestOther * 1e6) / spans };
}

async function run(format: Format, variant: Variant, payloads: Buffer[], dir: string): Promise<RunResult> {
  const dbPath = join(dir, `${format}-${variant}.db`);
  const { child, port } = await startIngestServer(variant, dbPath);
  try {
    // Warm-up on a few requests the measured run does not resend (JIT, connections, the database).
    const warm = await loadOtlp({ ports: [port], payloads: payloads.slice(0, CLIENTS * 2), format, clients: CLIENTS, maxSeconds: MAX_SECONDS });
    if (warm.failed > 0) console.error(`${format} ${variant}: ${warm.failed} of ${warm.requests} warm-up requests refused`);
    const idle = variant === 'full' ? await probeQueries(port, Promise.resolve(), 50) : undefined;
    const cpuBefore = serverCpuSeconds(child);
    const threadsBefore = serverThreadCpuSeconds(child);
    const loading = loadOtlp({ ports: [port], payloads: payloads.slice(CLIENTS * 2), format, clients: CLIENTS, maxSeconds: MAX_SECONDS });
    const loaded = variant === 'full' ? probeQueries(port, loading) : undefined;
    const measured = await loading;
    const cpuAfter = serverCpuSeconds(child);
    const threadsAfter = serverThreadCpuSeconds(child);
    const spansStored = (measured.requests - measured.failed) * SPANS_PER_REQUEST;
    const maxRssKb = await serverMaxRssKb(child);
    const result: RunResult = {
      format,
      variant,
      requests: measured.requests,
      failed: measured.failed,
      spansPerSecond: spansStored / measured.seconds,
      cpuMicrosPerSpan: cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1e6) / spansStored,
      threadCpu: perSpanSplit(child.pid, threadsBefore, threadsAfter, spansStored),
      p50Millis: measured.p50,
      p99Millis: measured.p99,
      maxRssMb: maxRssKb / 1024,
      ...(idle && loaded ? { query: { idle, loaded: await loaded } } : {}),
    };
    await stopIngestServer(child);
    if (variant === 'naive') {
      const stored = naiveRowBytes(dbPath);
      result.storedSpans = stored.spans;
      result.naiveRowBytes = stored.avgRowBytes;
    }
    if (variant === 'full') {
      const store = new SqliteTraceStore({ path: dbPath, readonly: true });
      try {
        result.storedSpans = (store.database.prepare('SELECT count(*) AS n FROM spans').get() as { n: number }).n;
      } finally {
        store.closeSync();
      }
    }
    return result;
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'skein-bench-ingest-'));
const results: RunResult[] = [];
try {
  for (const format of ['protobuf', 'json'] as const) {
    const payloads = traceBodies(REQUESTS, format);
    const variants = format === 'protobuf' ? (['none', 'decode', 'naive', 'full'] as const) : (['none', 'decode', 'full'] as const);
    for (const variant of variants) results.push(await run(format, variant, payloads, dir));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;
console.log(`OTLP/HTTP ingest, ${SPANS_PER_REQUEST}-span requests, ${CLIENTS} clients, ${REQUESTS} requests per run, Node ${process.version}\n`);
console.log('| format | server | spans/s | x decode-only | server CPU µs/span (main / busiest other thread) | p50 ms | p99 ms | peak RSS MB | failed |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const decode = results.find((x) => x.format === r.format && x.variant === 'decode') as RunResult;
  console.log(
    `| ${r.format} | ${r.variant} | ${k(r.spansPerSecond)} | ${(r.spansPerSecond / decode.spansPerSecond).toFixed(2)} | ${serverCpuCell(r)} | ` +
      `${r.p50Millis.toFixed(1)} | ${r.p99Millis.toFixed(1)} | ${r.maxRssMb.toFixed(0)} | ${r.failed} |`,
  );
}
console.log('\nA sessions-list query (`GET /api/sessions?limit=20`) every 20 ms beside the `full` server, idle and while it is loaded:\n');
console.log('| format | idle p50 ms | idle p99 ms | loaded p50 ms | loaded p99 ms | queries |');
console.log('|---|---|---|---|---|---|');
for (const r of results) {
  if (!r.query) continue;
  const { idle, loaded } = r.query;
  console.log(
    `| ${r.format} | ${idle.p50.toFixed(1)} | ${idle.p99.toFixed(1)} | ${loaded.p50.toFixed(1)} | ${loaded.p99.toFixed(1)} | ${loaded.count} |`,
  );
}
for (const r of results.filter((x) => x.storedSpans !== undefined)) {
  const row = r.naiveRowBytes === undefined ? '' : `, ${r.naiveRowBytes.toFixed(0)} B of values per row`;
  console.log(`stored after the ${r.format} ${r.variant} run: ${r.storedSpans} spans (${REQUESTS * SPANS_PER_REQUEST} sent)${row}`);
}
if (process.argv.includes('--json')) console.log(`RESULT ${JSON.stringify({ requests: REQUESTS, clients: CLIENTS, results })}`);
