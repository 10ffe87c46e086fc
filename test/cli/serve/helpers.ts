import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { runCli } from '../../../src/cli/run-cli.js';
import type { StoredSpan } from '../../../src/model/types.js';
import { decodeTraceRequest } from '../../../src/otlp/index.js';
import { SqliteTraceStore } from '../../../src/store/sqlite/sqlite-trace-store.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const MAIN = join(REPO_ROOT, 'src/cli/main.ts');

/**
 * Runs `skein serve` in-process through runCli; resolves once it listens, with
 * its URL, its output and a way to stop it (as a signal would). `env` is all
 * the environment it sees (HOME points nowhere, so no user config is read).
 */
export async function runServeInProcess(args: string[], env: NodeJS.ProcessEnv = { HOME: '/nonexistent-skein-home' }) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  let stop!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stop = resolve));
  const exitCode = runCli(['serve', ...args], { stdout, stderr, env, stopSignal });
  const url = await new Promise<string>((resolve, reject) => {
    stdout.on('data', () => {
      const match = /skein listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    void exitCode.then((code) => reject(new Error(`serve ended with ${code}: ${out}${err}`)));
  });
  return {
    url,
    output: () => out,
    errors: () => err,
    stop(): Promise<number> {
      stop();
      return exitCode;
    },
  };
}

/** Things to undo after each test, newest first; every test file calls `cleanup()` in afterEach. */
const undo: Array<() => unknown> = [];

export async function cleanup(): Promise<void> {
  while (undo.length > 0) {
    const step = undo.pop()!;
    try {
      await step();
    } catch {
      // Keep undoing the rest: a leaked child process is worse than a leaked temp dir.
    }
  }
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skein-serve-'));
  undo.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface UpstreamRequest {
  /** The status this request was answered with. */
  status: number;
  contentType: string | undefined;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
  /** Span ids in the request (decoded from protobuf or JSON). */
  spanIds: string[];
}

export interface UpstreamReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export interface Upstream {
  url: string;
  port: number;
  requests: UpstreamRequest[];
  /** Decides the answer to the n-th request (0-based). Replace it to change behaviour mid-test. */
  reply: (index: number, request: Omit<UpstreamRequest, 'status'>) => UpstreamReply;
  /** Span ids of the requests answered 2xx, in arrival order. */
  acceptedSpanIds(): string[];
  /** Resolves once `predicate` holds, checked after every request. */
  waitFor(predicate: () => boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * A second OTLP/HTTP receiver on 127.0.0.1 (port 0 unless given: a port
 * reused to bring a "down" upstream back) that records everything and
 * answers as told.
 */
export async function startUpstream(reply: Upstream['reply'] = () => ({ status: 200 }), port = 0): Promise<Upstream> {
  const waiters: Array<{ predicate: () => boolean; resolve: () => void }> = [];
  const checkWaiters = () => {
    for (const w of [...waiters]) {
      if (w.predicate()) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const upstream: Upstream = {
    url: '',
    port: 0,
    requests: [],
    reply,
    acceptedSpanIds: () =>
      upstream.requests.filter((r) => r.status >= 200 && r.status < 300).flatMap((r) => r.spanIds),
    waitFor(predicate) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolveWait) => waiters.push({ predicate, resolve: resolveWait }));
    },
    close: () => new Promise((resolveClose) => {
      server.closeAllConnections();
      server.close(() => resolveClose());
    }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Uint8Array = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const contentType = req.headers['content-type'];
      const format = contentType?.includes('json') ? 'json' : 'protobuf';
      let spanIds: string[] = [];
      try {
        spanIds = decodeTraceRequest(body, format).spans.map((s) => s.spanId);
      } catch {
        // Recorded with no span ids; the test decides whether that matters.
      }
      const request = { contentType, headers: req.headers, body, spanIds };
      const answer = upstream.reply(upstream.requests.length, request);
      upstream.requests.push({ ...request, status: answer.status });
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
      checkWaiters();
    });
  });
  await new Promise<void>((resolveListen) => server.listen(port, '127.0.0.1', resolveListen));
  upstream.port = (server.address() as AddressInfo).port;
  upstream.url = `http://127.0.0.1:${upstream.port}`;
  undo.push(() => upstream.close());
  return upstream;
}

export interface ServeChild {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnServeOptions {
  /**
   * `tsx …` (the tsx CLI, which relays signals to the collector and exits
   * with its code) or `node --import tsx …` (the pid is the collector itself:
   * for SIGKILL). Not `npx`: npm 11 neither forwards a SIGTERM sent to its pid
   * nor waits for its child, so its exit status says nothing about Skein's.
   */
  via?: 'tsx' | 'node';
  env?: NodeJS.ProcessEnv;
  /** Wait for the "listening on" line (default), or only for the process to start. */
  waitForUrl?: boolean;
}

/**
 * Runs `skein serve <args>` as a child process in its own process group, so
 * that cleanup can kill tsx and the collector together.
 */
export async function spawnServe(args: string[], options: SpawnServeOptions = {}): Promise<ServeChild> {
  const { via = 'tsx', env, waitForUrl = true } = options;
  const [command, prefix] =
    via === 'tsx' ? [join(REPO_ROOT, 'node_modules/.bin/tsx'), [MAIN]] : [process.execPath, ['--import', 'tsx', MAIN]];
  const child = spawn(command, [...prefix, 'serve', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  let running = true;
  void exited.then(() => (running = false));
  undo.push(async () => {
    if (!running) return;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
  });
  let url = '';
  if (waitForUrl) {
    url = await new Promise<string>((resolveUrl, reject) => {
      const onData = () => {
        const match = /skein listening on (http:\/\/\S+)/.exec(stdout);
        if (match) {
          child.stdout!.off('data', onData);
          resolveUrl(match[1]);
        }
      };
      child.stdout!.on('data', onData);
      void exited.then(({ code, signal }) =>
        reject(new Error(`skein serve exited (${code ?? signal}) before listening:\n${stdout}\n${stderr}`)),
      );
    });
  }
  return { child, url, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Every span in the database, oldest first, read through the store's public query API. */
export async function readAllSpans(dbPath: string): Promise<StoredSpan[]> {
  const store = new SqliteTraceStore({ path: dbPath, readonly: true });
  try {
    const all: StoredSpan[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.getSpans({ limit: 1000, cursor });
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all.reverse();
  } finally {
    await store.close();
  }
}

/** Counts occurrences: every value should map to 1 for "exactly once". */
export function countIds(ids: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/** Parses a Prometheus text exposition into `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}
