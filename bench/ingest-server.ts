/**
 * One OTLP/HTTP server variant for bench/ingest-http.ts, in a process of its
 * own so that its peak RSS is its own.
 *
 *   tsx bench/ingest-server.ts <full|decode|none> <dbPath>
 *
 * - full: `startCollector`, the composition root of `skein serve` (decode,
 *   redact, normalize, group commit to SQLite; 200 only once committed).
 * - decode: the same Hono app and receiver (body, gzip, decode to RawSpan),
 *   with an ingest that stores nothing.
 * - none: a bare node:http server that reads the body and answers 200 at once.
 *
 * Prints `READY <port>`; answers an IPC `stats` message with its resource
 * usage, and exits on `stop`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { startCollector } from '../src/collector/start-collector.js';
import { createSkeinApp } from '../src/server/app.js';

const [variant, dbPath] = process.argv.slice(2);
let close: () => Promise<void>;
let port: number;

if (variant === 'full') {
  const collector = await startCollector({ dbPath, port: 0, interruptAfterMillis: 0 });
  port = collector.port;
  close = () => collector.close();
} else if (variant === 'decode') {
  const { app } = createSkeinApp({ ingest: { ingest: () => Promise.resolve() } });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  port = (server.address() as AddressInfo).port;
  close = () => new Promise((resolve) => server.close(() => resolve()));
} else if (variant === 'none') {
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      const json = req.headers['content-type'] === 'application/json';
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  close = () => new Promise((resolve) => server.close(() => resolve()));
} else {
  throw new Error(`unknown variant ${variant}`);
}

process.on('message', (message: string) => {
  if (message === 'stats') {
    process.send?.({ maxRssKb: process.resourceUsage().maxRSS });
  } else if (message === 'stop') {
    void close().then(() => process.exit(0));
  }
});
process.stdout.write(`READY ${port}\n`);
