import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { CollectorOptions, RunningCollector } from '../../../src/collector/start-collector.js';

/** Collectors and directories to close after each test (call `closeAll()` in afterEach). */
const running: RunningCollector[] = [];
const dirs: string[] = [];
const sockets: Socket[] = [];

export async function closeAll(): Promise<void> {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(running.splice(0).map((c) => c.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A real collector on 127.0.0.1, port 0, with a database file in a fresh temp directory. */
export async function startTestCollector(options: Partial<CollectorOptions> = {}): Promise<RunningCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'skein-hostile-'));
  dirs.push(dir);
  const collector = await startCollector({ dbPath: join(dir, 'skein.db'), port: 0, ...options });
  running.push(collector);
  return collector;
}

/** What a raw socket saw: everything it received, and whether the server closed it. */
export interface RawSocket {
  socket: Socket;
  /** Everything received so far, as latin1 text (headers are ASCII; bodies are compared as bytes). */
  received(): Buffer;
  /** Resolves once the server closed (or reset) the connection, with what had arrived. */
  closed: Promise<Buffer>;
  /** Resolves once `predicate(received)` holds (checked on every chunk). */
  waitFor(predicate: (received: Buffer) => boolean): Promise<Buffer>;
}

/** A TCP connection to the collector that the test writes to byte by byte as it pleases. */
export async function openRaw(port: number): Promise<RawSocket> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buffer = Buffer.alloc(0);
  const waiters: Array<{ predicate: (b: Buffer) => boolean; resolve: (b: Buffer) => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.predicate(buffer)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(buffer);
      }
    }
  };
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    check();
  });
  const closed = new Promise<Buffer>((resolve) => {
    // A reset (ECONNRESET) counts as closed too: the server cut the connection.
    socket.on('error', () => undefined);
    // The server ended its side: end ours too, so the socket closes (it was opened half-open).
    socket.on('end', () => socket.end());
    socket.once('close', () => resolve(buffer));
  });
  return {
    socket,
    received: () => buffer,
    closed,
    waitFor(predicate) {
      if (predicate(buffer)) return Promise.resolve(buffer);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}

/** Splits a raw HTTP/1.1 response (Content-Length framed) into status, headers and body. */
export function parseRawResponse(raw: Buffer): { status: number; headers: Record<string, string>; body: Buffer } | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = raw.subarray(end + 4, end + 4 + length);
  if (body.length < length) return null;
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/** A complete `POST /v1/traces` request head for `body`, with the given Host. */
export function postHead(body: Uint8Array, host = 'localhost', contentType = 'application/x-protobuf'): string {
  return (
    `POST /v1/traces HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${contentType}\r\n` +
    `Content-Length: ${body.length}\r\n\r\n`
  );
}
