/**
 * `skein serve --db postgres://…` for bench/pg-ingest.ts: `startPostgresCollector`, the
 * composition root `skein serve` uses for a PostgreSQL URL, in a process of its own (so its CPU
 * and RSS are its own), with the settings bench/ingest-server.ts gives the SQLite `full` server.
 *
 *   tsx bench/pg-ingest-server.ts <postgres-url>
 *
 * Speaks bench/ingest-server.ts's protocol (bench/lib/ingest-server-process.ts): prints
 * `READY <port> <grpcPort>`, answers an IPC `stats` message with its max RSS, exits on `stop`.
 * With BENCH_PG_STATEMENTS=1 (or `text`: by statement) it also counts the statements it sends by kind and the wall time
 * spent waiting for their answers (node-postgres' Client.query, wrapped here, not in src/),
 * and returns them with the stats, with its event-loop delay since the previous `stats`: where
 * one collector's time goes.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { startPostgresCollector } from '../src/collector/start-collector.js';

interface StatementStats {
  /** Statements sent, by their first word (BEGIN, COMMIT, INSERT, SELECT…). */
  byKind: Record<string, number>;
  /** Wall milliseconds from sending a statement to its answer, summed, by kind. */
  millisByKind: Record<string, number>;
}

const statements: StatementStats | null = process.env.BENCH_PG_STATEMENTS ? { byKind: {}, millisByKind: {} } : null;
/** BENCH_PG_STATEMENTS=text: by the statement's first 100 characters rather than its first word. */
const byText = process.env.BENCH_PG_STATEMENTS === 'text';
if (statements !== null) {
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  const countedQuery = function countedQuery(this: pg.Client, ...args: unknown[]): unknown {
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | null)?.text ?? '');
    const kind = byText ? text.replace(/\s+/g, ' ').trim().slice(0, 100) : (/^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? '?');
    statements.byKind[kind] = (statements.byKind[kind] ?? 0) + 1;
    const start = performance.now();
    const done = (): void => {
      statements.millisByKind[kind] = (statements.millisByKind[kind] ?? 0) + performance.now() - start;
    };
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (...a: unknown[]) => unknown;
      args[last] = (...a: unknown[]) => {
        done();
        return callback(...a);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args);
    if (result instanceof Promise) void result.then(done, done);
    return result;
  };
  pg.Client.prototype.query = countedQuery as typeof pg.Client.prototype.query;
}

const [url] = process.argv.slice(2);
const collector = await startPostgresCollector({ dbPath: url, port: 0, grpcPort: 0, interruptAfterMillis: 0 });

// How late the main thread runs what is due (a statement's answer, the next statement): the commit's
// chain of statements shares it with decoding requests.
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();

process.on('message', (message: string) => {
  if (message === 'stats') {
    // The event-loop delay since the previous `stats`, in ms.
    const eventLoopDelay = { meanMillis: delay.mean / 1e6, p99Millis: delay.percentile(99) / 1e6 };
    delay.reset();
    process.send?.({ maxRssKb: process.resourceUsage().maxRSS, statements, eventLoopDelay });
  } else if (message === 'stop') {
    void collector.close().then(() => process.exit(0));
  }
});
process.stdout.write(`READY ${collector.port} ${collector.grpcPort ?? 0}\n`);
