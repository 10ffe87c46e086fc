/**
 * One OTLP/HTTP server variant for bench/ingest-http.ts, in a process of its
 * own so that its peak RSS is its own.
 *
 *   tsx bench/ingest-server.ts <full|decode|naive|none> <dbPath>
 *
 * - full: `startCollector`, the composition root of `skein serve` (decode,
 *   redact, normalize, group commit to SQLite; 200 only once committed).
 * - decode: the same Hono app and receiver (body, gzip, decode to RawSpan),
 *   with an ingest that stores nothing.
 * - naive: the afternoon collector of bench/lib/naive-collector.ts (node:http,
 *   protobufjs, one better-sqlite3 INSERT per span), issue 15's baseline.
 * - none: a bare node:http server that reads the body and answers 200 at once.
 *
 * `full` and `decode` also take OTLP/gRPC on a free port (the same handlers
 * `skein serve` uses; `decode` with an ingest that stores nothing).
 *
 * Prints `READY <port> <grpcPort>` (gRPC port 0: none); answers an IPC `stats` message with its resource
 * usage, and exits on `stop`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { startCollector } from '../src/collector/start-collector.js';
import type { SignalIngest } from '../src/ingest/trace-ingest.js';
import { createSkeinApp } from '../src/server/app.js';
import { createOtlpExportHandlers } from '../src/server/grpc/otlp-export-handlers.js';
import { startOtlpGrpcServer } from '../src/server/grpc/otlp-grpc-server.js';
import { startNaiveCollector } from './lib/naive-collector.js';

const [variant, dbPath] = process.argv.slice(2);
let close: () => Promise<void>;
let port: number;
let grpcPort = 0;

if (variant === 'full') {
  const collector = await startCollector({ dbPath, port: 0, grpcPort: 0, interruptAfterMillis: 0 });
  port = collector.port;
  grpcPort = collector.grpcPort ?? 0;
  close = () => collector.close();
} else if (variant === 'decode') {
  const nothing = (): Promise<void> => Promise.resolve();
  const ingest: SignalIngest = { ingest: nothing, ingestLogs: nothing, ingestMetrics: nothing };
  const { app } = createSkeinApp({ ingest });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  port = (server.address() as AddressInfo).port;
  const grpc = await startOtlpGrpcServer({ port: 0, handlers: createOtlpExportHandlers({ ingest }) });
  grpcPort = grpc.port;
  close = async () => {
    await grpc.close();
    await new Promise((resolve) => server.close(() => resolve(undefined)));
  };
} else if (variant === 'naive') {
  const naive = startNaiveCollector(dbPath);
  await new Promise<void>((resolve) => naive.server.listen(0, '127.0.0.1', resolve));
  port = (naive.server.address() as AddressInfo).port;
  close = () => naive.close();
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
process.stdout.write(`READY ${port} ${grpcPort}\n`);
