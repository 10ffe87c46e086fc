/**
 * Query latency of the PostgreSQL store (issue 18) on 1M spans in 10k
 * sessions (100 spans each, over 30 days): the shape of bench/queries.ts, so
 * the figures compare to the SQLite store's. `skein serve` cannot read
 * PostgreSQL yet: this times `PostgresTraceStore` itself (a pool of 4 over
 * loopback TCP to a local PostgreSQL 17), not the HTTP API.
 *
 *   npx tsx bench/pg-queries.ts [--sessions 10000] [--spans-per-session 100] [--json]
 *
 * The database is built once through the store's own write path and its data
 * directory cached under bench/.data/ (see bench/lib/pg-query-db.ts). Warm
 * cache: the data directory is read through once before timing, so it sits in
 * the OS page cache (PostgreSQL's own shared_buffers stay at the default
 * 128 MB), and each query runs 5 times untimed first. p50 and p99 of:
 * - timeline: `getTimeline` of a random session (100 steps)
 * - sessions list: `listSessions({ limit: 50 })`, the newest first
 * - search: `search({ text, limit: 50 })` for a word of the generated content (every session has them), with snippets
 * - search, old word: a word only the oldest tenth of the spans hold (by insertion order: search reads the newest first)
 * - search, rare word: a word one span holds
 *   (the generated content repeats the same templates over time: both words are added to the cached database once, below)
 * - spans by attribute: `getSpans` of a random session's spans with one attribute value
 * - step detail: a random trace's spans (`getSpans({ traceId })`) and its log records
 * - stats: `stats({ groupBy: 'model' })` over one day (~33k spans)
 */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { PostgresTraceStore } from '../src/store/postgres/index.js';
import { BASE_NS } from './lib/query-db.js';
import { OLD_WORD, RARE_WORD, openPgQueryDb, pgQueryDbSize, sessionIdOf, traceIdOf } from './lib/pg-query-db.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const SESSIONS = option('sessions', 10_000);
const SPANS_PER_SESSION = option('spans-per-session', 100);
const DAYS = 30;
const DAY_NS = 86_400_000_000_000n;

/** Reads every file under `dir` once, so the timed queries find the data in the OS page cache. */
function warmPageCache(dir: string): void {
  const buffer = Buffer.allocUnsafe(16 * 1024 * 1024);
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    let fd: number;
    try {
      fd = openSync(join(entry.parentPath, entry.name), 'r');
    } catch {
      continue; // a file the server removed meanwhile
    }
    try {
      while (readSync(fd, buffer, 0, buffer.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}

let seed = 7;
const random = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const WORDS = ['refund', 'carrier', 'warranty', 'invoice', 'firmware', 'escalation', 'coupon', 'battery', 'timeout', 'delivery'];

interface Latency {
  p50Millis: number;
  p99Millis: number;
  runs: number;
  rows: number;
}

/** Up to `runs` timed calls, fewer (at least 10) if they take more than MAX_SECONDS together: a slow query must not hold the suite. */
const MAX_SECONDS = 15;

async function time(maxRuns: number, fn: (i: number) => Promise<unknown[]>): Promise<Latency> {
  for (let i = 0; i < 5; i++) await fn(i); // warm-up
  const samples: number[] = [];
  let rows = 0;
  const deadline = performance.now() + MAX_SECONDS * 1000;
  let runs = 0;
  for (let i = 0; i < maxRuns && (i < 10 || performance.now() < deadline); i++, runs++) {
    const t0 = performance.now();
    const out = await fn(i);
    samples.push(performance.now() - t0);
    rows += out.length;
  }
  samples.sort((a, b) => a - b);
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { p50Millis: at(0.5), p99Millis: at(0.99), runs, rows: rows / runs };
}

const db = await openPgQueryDb({ sessions: SESSIONS, spansPerSession: SPANS_PER_SESSION, days: DAYS }, (line) => console.log(line));
try {
  warmPageCache(db.dataDir);
  const { spans: spanCount, bytes } = await pgQueryDbSize(db.url);
  const store = await PostgresTraceStore.open({ url: db.url, readonly: true });
  const randomSession = (): number => Math.floor(random() * SESSIONS);
  let results: Record<string, Latency>;
  try {
    results = {
      timeline: await time(500, () => store.getTimeline(sessionIdOf(randomSession()))),
      sessionsList: await time(500, async () => (await store.listSessions({ limit: 50 })).items),
      search: await time(300, (i) => store.search({ text: WORDS[i % WORDS.length], limit: 50 })),
      searchOldWord: await time(100, () => store.search({ text: OLD_WORD, limit: 50 })),
      searchRareWord: await time(300, () => store.search({ text: RARE_WORD, limit: 50 })),
      spansByAttribute: await time(300, async () => {
        const sessionId = sessionIdOf(randomSession());
        return (await store.getSpans({ sessionId, attributes: { 'gen_ai.tool.name': 'search_kb' }, limit: 100 })).items;
      }),
      stepDetail: await time(300, async () => {
        const traceId = traceIdOf(randomSession());
        const spans = (await store.getSpans({ traceId, limit: 1000 })).items;
        const logs = (await store.listLogs({ traceId, limit: 1000 })).items;
        return [...spans, ...logs];
      }),
      statsDay: await time(60, () => {
        const day = BigInt(Math.floor(random() * DAYS));
        return store.stats({ groupBy: 'model', fromUnixNano: BASE_NS + day * DAY_NS, toUnixNano: BASE_NS + (day + 1n) * DAY_NS });
      }),
    };
  } finally {
    await store.close();
  }

  console.log(`PostgreSQL store: ${spanCount} spans in ${SESSIONS} sessions over ${DAYS} days, ${(bytes / 1e6).toFixed(0)} MB (${(bytes / spanCount).toFixed(0)} bytes/span)${db.built ? '' : ', cached'}\n`);
  console.log('| query | p50 ms | p99 ms | rows |');
  console.log('|---|---|---|---|');
  for (const [name, r] of Object.entries(results)) {
    console.log(`| ${name} | ${r.p50Millis.toFixed(2)} | ${r.p99Millis.toFixed(2)} | ${r.rows.toFixed(0)} |`);
  }
  if (process.argv.includes('--json')) {
    console.log(`RESULT ${JSON.stringify({ spans: spanCount, sessions: SESSIONS, days: DAYS, bytes, bytesPerSpan: bytes / spanCount, built: db.built, results })}`);
  }
} finally {
  await db.stop();
}
