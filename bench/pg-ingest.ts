/**
 * `skein serve` on PostgreSQL (issue 18): stored spans/s over OTLP/HTTP with
 * 1, 2 and 3 collectors on one PostgreSQL, next to `skein serve` on a SQLite
 * file on the same workload and clients, in one run.
 *
 *   npx tsx bench/pg-ingest.ts [--rounds 3] [--requests 300] [--clients 8] [--collectors 1,2,3] [--json]
 *
 * A bench of its own rather than more of bench/pg-writes.ts: that one drives
 * the store from child processes (no HTTP, no decode, no group commit); this
 * one drives the collectors as a client does, with bench/ingest-http.ts's load
 * (bench/lib/otlp-load.ts: 100-span protobuf requests of agent sessions, every
 * span new, `--clients` keep-alive clients each sending its next request as
 * soon as the previous one is answered).
 *
 * - SQLite: bench/ingest-server.ts `full` (`startCollector`, as section 2's
 *   stored figure) on a fresh file, WAL + synchronous=NORMAL.
 * - PostgreSQL: one PostgreSQL 17 (test/helpers/postgres-server.ts) with
 *   durable commits (fsync, synchronous_commit, full_page_writes on), a fresh
 *   database per measurement, N `startPostgresCollector` processes
 *   (bench/pg-ingest-server.ts) sharing it; the clients spread their
 *   requests over them round-robin.
 *
 * A collector answers 200 only once the request is committed, so answered
 * spans over the wall time from the first request to the last answer is
 * stored spans/s. Each server first gets `2 × clients` warm-up requests the
 * measured load does not resend; afterwards every span acknowledged must be
 * stored (counted in the database; the bench fails otherwise). A request
 * refused with 503 (the store fell behind) is counted as refused, not resent. Rounds are
 * interleaved (SQLite, then the collector counts in alternating order) and
 * the figures are medians. CPU per span, from /proc: the collector processes
 * (every thread; of it, the main threads) and the PostgreSQL server (every
 * process). The PostgreSQL collectors also count the statements they send
 * and the time spent waiting for their answers (bench/pg-ingest-server.ts;
 * BENCH_PG_STATEMENTS=text lists them by statement rather than by first word).
 */
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SqliteTraceStore } from '../src/store/sqlite/sqlite-trace-store.js';
import { startPostgres } from '../test/helpers/postgres-server.js';
import type { PostgresServer } from '../test/helpers/postgres-server.js';
import {
  serverCpuSeconds,
  serverThreadCpuSeconds,
  startIngestServer,
  stopIngestServer,
} from './lib/ingest-server-process.js';
import { loadOtlp, SPANS_PER_REQUEST, traceBodies } from './lib/otlp-load.js';
import type { LoadResult } from './lib/otlp-load.js';
import { pgServerCpuSeconds } from './lib/pg-server-cpu.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}
const ROUNDS = Number(option('rounds', '3'));
const REQUESTS = Number(option('requests', '300'));
const CLIENTS = Number(option('clients', '8'));
const COLLECTOR_COUNTS = option('collectors', '1,2,3').split(',').map(Number);
const MAX_SECONDS = 120;
for (const [name, value] of [['rounds', ROUNDS], ['requests', REQUESTS], ['clients', CLIENTS]] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number >= 1, got ${value}`);
}
if (REQUESTS <= CLIENTS * 2) throw new Error(`--requests must be more than 2 × --clients (${CLIENTS * 2} warm-up requests), got ${REQUESTS}`);
if (COLLECTOR_COUNTS.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--collectors must be whole numbers >= 1, got ${option('collectors', '')}`);

/** The middle value; of an even count, the mean of the two middle ones (with 2 rounds, not the larger). */
function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
}

interface StatementStats {
  byKind: Record<string, number>;
  millisByKind: Record<string, number>;
}

interface Run {
  /** 0: SQLite. */
  collectors: number;
  spansPerSecond: number;
  p50Millis: number;
  p99Millis: number;
  /** The collector processes' CPU (every thread) per span, µs; of it, their main threads'. Null without /proc. */
  collectorCpuMicrosPerSpan: number | null;
  collectorMainCpuMicrosPerSpan: number | null;
  /** PostgreSQL's processes per span, µs; null for SQLite or without /proc. */
  serverCpuMicrosPerSpan: number | null;
  /** PostgreSQL only: the measured load's statements, summed over the collectors. */
  statements?: StatementStats;
  /** PostgreSQL only: the collectors' main-thread event-loop delay over the measured load, mean, ms (the largest of the collectors'). */
  eventLoopDelayMillis?: number;
  seconds: number;
  /** Measured requests refused (503: the store fell behind); their spans are neither counted nor stored. */
  refused: number;
}

function cpuOf(children: ChildProcess[]): number | null {
  let total = 0;
  for (const child of children) {
    const seconds = serverCpuSeconds(child);
    if (seconds === null) return null;
    total += seconds;
  }
  return total;
}

function mainThreadCpuOf(children: ChildProcess[]): number | null {
  let total = 0;
  for (const child of children) {
    const threads = serverThreadCpuSeconds(child);
    const main = child.pid === undefined ? undefined : threads?.get(child.pid);
    if (main === undefined) return null;
    total += main;
  }
  return total;
}

interface CollectorStats {
  statements: StatementStats;
  /** Since the previous `stats`. */
  eventLoopDelay: { meanMillis: number; p99Millis: number };
}

function statsOf(children: ChildProcess[]): Promise<CollectorStats[]> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<CollectorStats>((resolve) => {
          child.once('message', (message) => resolve(message as CollectorStats));
          child.send('stats');
        }),
    ),
  );
}

function sumStatements(all: StatementStats[]): StatementStats {
  const out: StatementStats = { byKind: {}, millisByKind: {} };
  for (const s of all) {
    for (const [kind, n] of Object.entries(s.byKind)) out.byKind[kind] = (out.byKind[kind] ?? 0) + n;
    for (const [kind, ms] of Object.entries(s.millisByKind)) out.millisByKind[kind] = (out.millisByKind[kind] ?? 0) + ms;
  }
  return out;
}

function diffStatements(after: StatementStats, before: StatementStats): StatementStats {
  const out: StatementStats = { byKind: {}, millisByKind: {} };
  // Kinds only the schema's creation or the warm-up sent are left out.
  for (const [kind, n] of Object.entries(after.byKind)) {
    if (n === (before.byKind[kind] ?? 0)) continue;
    out.byKind[kind] = n - (before.byKind[kind] ?? 0);
    out.millisByKind[kind] = (after.millisByKind[kind] ?? 0) - (before.millisByKind[kind] ?? 0);
  }
  return out;
}

function startPgCollector(url: string): Promise<{ child: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./pg-ingest-server.ts', import.meta.url));
  // BENCH_CPU_PROF=<dir>: each collector writes a V8 CPU profile per thread there.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = fork(script, [url], {
    execArgv: ['--import', 'tsx', ...profile],
    env: { ...process.env, BENCH_PG_STATEMENTS: process.env.BENCH_PG_STATEMENTS ?? '1' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /READY (\d+)/.exec(out);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`PostgreSQL collector exited with ${code} before READY`)));
  });
}

/** Warm-up, then the measured load over `ports`, with the CPU of `children` (and of PostgreSQL under `postmasterPid`) over it. */
async function measure(
  ports: number[],
  children: ChildProcess[],
  payloads: readonly Buffer[],
  postmasterPid: number | null,
  label: string,
): Promise<{ load: LoadResult; acknowledgedSpans: number; run: Omit<Run, 'collectors'> }> {
  const warm = await loadOtlp({ ports, payloads: payloads.slice(0, CLIENTS * 2), format: 'protobuf', clients: CLIENTS, maxSeconds: MAX_SECONDS });
  if (warm.failed > 0) console.error(`${label}: ${warm.failed} of ${warm.requests} warm-up requests refused, the first with ${warm.firstRefusal}`);
  const statements0 = postmasterPid === null ? null : sumStatements((await statsOf(children)).map((s) => s.statements));
  const cpu0 = cpuOf(children);
  const main0 = mainThreadCpuOf(children);
  const server0 = postmasterPid === null ? null : pgServerCpuSeconds(postmasterPid);
  const load = await loadOtlp({ ports, payloads: payloads.slice(CLIENTS * 2), format: 'protobuf', clients: CLIENTS, maxSeconds: MAX_SECONDS });
  const cpu1 = cpuOf(children);
  const main1 = mainThreadCpuOf(children);
  const server1 = postmasterPid === null ? null : pgServerCpuSeconds(postmasterPid);
  const stats1 = postmasterPid === null ? null : await statsOf(children);
  const statements1 = stats1 === null ? null : sumStatements(stats1.map((s) => s.statements));
  if (load.failed > 0) console.error(`${label}: ${load.failed} of ${load.requests} requests refused, the first with ${load.firstRefusal}`);
  if (load.requests !== payloads.length - CLIENTS * 2) throw new Error(`${label}: only ${load.requests} requests sent in ${MAX_SECONDS} s`);
  // Refused requests (503 when the store falls behind) are not stored: they count in neither the rate nor the check.
  const spans = (load.requests - load.failed) * SPANS_PER_REQUEST;
  const perSpan = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : ((b - a) * 1e6) / spans);
  return {
    load,
    acknowledgedSpans: (warm.requests - warm.failed + load.requests - load.failed) * SPANS_PER_REQUEST,
    run: {
      refused: load.failed,
      spansPerSecond: spans / load.seconds,
      p50Millis: load.p50,
      p99Millis: load.p99,
      collectorCpuMicrosPerSpan: perSpan(cpu0, cpu1),
      collectorMainCpuMicrosPerSpan: perSpan(main0, main1),
      serverCpuMicrosPerSpan: perSpan(server0, server1),
      ...(statements0 && statements1 ? { statements: diffStatements(statements1, statements0) } : {}),
      ...(stats1 ? { eventLoopDelayMillis: Math.max(...stats1.map((s) => s.eventLoopDelay.meanMillis)) } : {}),
      seconds: load.seconds,
    },
  };
}

async function sqliteRun(dir: string, round: number, payloads: readonly Buffer[]): Promise<Run> {
  const dbPath = join(dir, `sqlite-${round}.db`);
  const { child, port } = await startIngestServer('full', dbPath);
  let result: Run;
  let acknowledged: number;
  try {
    const measured = await measure([port], [child], payloads, null, 'SQLite');
    acknowledged = measured.acknowledgedSpans;
    result = { collectors: 0, ...measured.run };
    await stopIngestServer(child);
  } finally {
    if (child.exitCode === null) child.kill();
  }
  const store = new SqliteTraceStore({ path: dbPath, readonly: true });
  try {
    const stored = (store.database.prepare('SELECT count(*) AS n FROM spans').get() as { n: number }).n;
    if (stored !== acknowledged) throw new Error(`SQLite: ${stored} spans stored of ${acknowledged} acknowledged`);
  } finally {
    store.closeSync();
  }
  rmSync(dbPath, { force: true });
  return result;
}

async function pgRun(server: PostgresServer, collectors: number, payloads: readonly Buffer[]): Promise<Run> {
  const url = await server.createDatabase(`skein_bench_c${collectors}`);
  const started: { child: ChildProcess; port: number }[] = [];
  let result: Run;
  let acknowledged: number;
  try {
    // One after another: the first creates the schema.
    for (let i = 0; i < collectors; i++) started.push(await startPgCollector(url));
    const children = started.map((s) => s.child);
    const measured = await measure(started.map((s) => s.port), children, payloads, server.pid, `PostgreSQL, ${collectors} collector(s)`);
    acknowledged = measured.acknowledgedSpans;
    result = { collectors, ...measured.run };
    await Promise.all(children.map((child) => stopIngestServer(child)));
  } finally {
    for (const { child } of started) if (child.exitCode === null) child.kill();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM spans');
    if (rows[0].n !== acknowledged) throw new Error(`PostgreSQL, ${collectors} collector(s): ${rows[0].n} spans stored of ${acknowledged} acknowledged`);
  } finally {
    await client.end();
  }
  return result;
}

const payloads = traceBodies(REQUESTS, 'protobuf');
const dir = mkdtempSync(join(tmpdir(), 'skein-bench-pg-ingest-'));
const server = await startPostgres({ durable: true });
const sqliteRuns: Run[] = [];
const pgRuns = new Map<number, Run[]>(COLLECTOR_COUNTS.map((n) => [n, []]));
const ratios: number[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const sqlite = await sqliteRun(dir, round, payloads);
    sqliteRuns.push(sqlite);
    // Alternate the order of the collector counts so a change of the machine's load hits them alike.
    const order = round % 2 === 0 ? COLLECTOR_COUNTS : [...COLLECTOR_COUNTS].reverse();
    for (const collectors of order) {
      const run = await pgRun(server, collectors, payloads);
      pgRuns.get(collectors)?.push(run);
      if (collectors === 1) ratios.push(run.spansPerSecond / sqlite.spansPerSecond);
    }
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

const nullableMedian = (values: (number | null)[]): number | null => (values.includes(null) ? null : median(values as number[]));
function summary(runs: Run[], collectors: number) {
  const statements = runs[0]?.statements ? sumStatements(runs.map((r) => r.statements as StatementStats)) : undefined;
  const commits = statements?.byKind.COMMIT ?? 0;
  const spans = runs.reduce((sum, r) => sum + (REQUESTS - CLIENTS * 2 - r.refused) * SPANS_PER_REQUEST, 0);
  const statementCount = statements ? Object.values(statements.byKind).reduce((a, b) => a + b, 0) : 0;
  const waitMillis = statements ? Object.values(statements.millisByKind).reduce((a, b) => a + b, 0) : 0;
  const wallMillis = runs.reduce((a, r) => a + r.seconds * 1000, 0) * collectors;
  return {
    collectors,
    spansPerSecond: median(runs.map((r) => r.spansPerSecond)),
    rates: runs.map((r) => r.spansPerSecond),
    refused: runs.reduce((sum, r) => sum + r.refused, 0),
    p50Millis: median(runs.map((r) => r.p50Millis)),
    p99Millis: median(runs.map((r) => r.p99Millis)),
    collectorCpuMicrosPerSpan: nullableMedian(runs.map((r) => r.collectorCpuMicrosPerSpan)),
    collectorMainCpuMicrosPerSpan: nullableMedian(runs.map((r) => r.collectorMainCpuMicrosPerSpan)),
    serverCpuMicrosPerSpan: nullableMedian(runs.map((r) => r.serverCpuMicrosPerSpan)),
    ...(runs[0]?.eventLoopDelayMillis === undefined ? {} : { eventLoopDelayMillis: median(runs.map((r) => r.eventLoopDelayMillis as number)) }),
    ...(statements && commits > 0
      ? {
          commits: {
            // Over every round: what a commit is made of.
            spansPerCommit: spans / commits,
            statementsPerCommit: statementCount / commits,
            millisPerCommit: wallMillis / commits,
            statementWaitMillisPerCommit: waitMillis / commits,
            commitStatementMillis: (statements.millisByKind.COMMIT ?? 0) / commits,
            byKind: Object.fromEntries(Object.entries(statements.byKind).map(([kind, n]) => [kind, n / commits])),
            millisByKind: Object.fromEntries(Object.entries(statements.millisByKind).map(([kind, ms]) => [kind, ms / commits])),
          },
        }
      : {}),
  };
}
const sqlite = summary(sqliteRuns, 0);
const pgResults = COLLECTOR_COUNTS.map((n) => summary(pgRuns.get(n) ?? [], n));

const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;
const cpu = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(0));
console.log(
  `OTLP/HTTP ingest, ${SPANS_PER_REQUEST}-span protobuf requests, ${CLIENTS} clients, ${REQUESTS - CLIENTS * 2} measured requests per run, ${ROUNDS} rounds (medians); PostgreSQL durable (fsync on), SQLite WAL + synchronous=NORMAL\n`,
);
console.log('| collector | spans/s | x SQLite | rounds | collector CPU µs/span (main threads) | PostgreSQL CPU µs/span | p50 ms | p99 ms | refused |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of [sqlite, ...pgResults]) {
  const name = r.collectors === 0 ? '`skein serve`, SQLite file' : `${r.collectors} × \`skein serve --db postgres://…\``;
  console.log(
    `| ${name} | ${k(r.spansPerSecond)} | ${(r.spansPerSecond / sqlite.spansPerSecond).toFixed(2)} | ${r.rates.map(k).join(' ')} | ` +
      `${cpu(r.collectorCpuMicrosPerSpan)} (${cpu(r.collectorMainCpuMicrosPerSpan)}) | ${r.collectorCpuMicrosPerSpan === null || r.collectors === 0 ? '' : cpu(r.serverCpuMicrosPerSpan)} | ${r.p50Millis.toFixed(1)} | ${r.p99Millis.toFixed(1)} | ${r.refused} |`,
  );
}
console.log('\nPer PostgreSQL commit (all rounds): spans, statements, wall ms per collector, ms waiting for answers, of which COMMIT');
for (const r of pgResults) {
  if (!r.commits) continue;
  const c = r.commits;
  const kinds = Object.entries(c.byKind).map(([kind, n]) => `${kind} ${n.toFixed(1)} × ${(c.millisByKind[kind] / n).toFixed(1)} ms`).join(', ');
  console.log(
    `- ${r.collectors} collector(s): ${c.spansPerCommit.toFixed(0)} spans, ${c.statementsPerCommit.toFixed(1)} statements (${kinds}), ` +
      `${c.millisPerCommit.toFixed(1)} ms, ${c.statementWaitMillisPerCommit.toFixed(1)} ms waiting, COMMIT ${c.commitStatementMillis.toFixed(1)} ms; ` +
      `main-thread event-loop delay ${r.eventLoopDelayMillis?.toFixed(1)} ms (mean)`,
  );
}
console.log(`\nratio PostgreSQL (1 collector) / SQLite per round: ${ratios.map((r) => r.toFixed(2)).join(' ')}; median ${median(ratios).toFixed(2)}`);
console.log('every run: every span acknowledged (200) was stored, counted in the database afterwards');
if (process.argv.includes('--json')) {
  console.log(`RESULT ${JSON.stringify({ requests: REQUESTS, clients: CLIENTS, rounds: ROUNDS, sqlite, pg: pgResults, ratio: median(ratios), ratios })}`);
}
