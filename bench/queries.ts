/**
 * Query latency on a database of 1M spans in 10k sessions (100 spans each,
 * sessions spread over 30 days), generated on first use and cached under
 * bench/.data/ (see bench/lib/query-db.ts).
 *
 *   npx tsx bench/queries.ts [--sessions 10000] [--spans-per-session 100] [--json]
 *
 * Timed through `SqliteTraceStore`, warm cache, p50 and p99 of the queries
 * below. "Warm" means the file is in the OS page cache: it is read through
 * once before timing (seconds for 2.3 GB). Without that, a run after other
 * work had evicted most of the file measured disk reads, not queries
 * (timeline p50 1.9 ms cold against 0.8 ms warm, same file).
 * - timeline: `getTimeline` of a random session (100 steps)
 * - sessions list: `listSessions({ limit: 50 })`, the newest first
 * - search: `search({ text, limit: 50 })` for a word of the generated content
 * - spans by attribute: `getSpans` of a random session's spans with one attribute value (its ~100 rows' attributes read in SQL)
 * - stats: `stats({ groupBy: 'model' })` over one day (~33k spans)
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SqliteTraceStore } from '../src/store/sqlite/sqlite-trace-store.js';
import { BASE_NS, ensureQueryDb } from './lib/query-db.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const SESSIONS = option('sessions', 10_000);
const SPANS_PER_SESSION = option('spans-per-session', 100);
const DAYS = 30;
const DAY_NS = 86_400_000_000_000n;

const path = fileURLToPath(new URL(`./.data/queries-${SESSIONS}x${SPANS_PER_SESSION}.db`, import.meta.url));
const built = ensureQueryDb(path, { sessions: SESSIONS, spansPerSession: SPANS_PER_SESSION, days: DAYS }, (line) => console.log(line));

/** Reads the whole file once, so the timed queries find it in the OS page cache. */
function warmPageCache(file: string): void {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(16 * 1024 * 1024);
    while (readSync(fd, buffer, 0, buffer.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}
warmPageCache(path);

const store = new SqliteTraceStore({ path, readonly: true });
const db = store.database;
const spanCount = (db.prepare('SELECT count(*) AS n FROM spans').get() as { n: number }).n;
const sessionIds = (db.prepare('SELECT session_id AS id FROM sessions').all() as { id: string }[]).map((r) => r.id);
const fileBytes = statSync(path).size;
// 1,000 traces picked across the file (by rowid), for the step-detail reads.
const traceIds = (
  db.prepare('SELECT trace_id AS id FROM spans WHERE id % ? = 0 LIMIT 1000').all(Math.max(1, Math.floor(spanCount / 1000))) as { id: string }[]
).map((r) => r.id);

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

const results = {
  timeline: await time(500, () => store.getTimeline(sessionIds[Math.floor(random() * sessionIds.length)])),
  sessionsList: await time(500, async () => (await store.listSessions({ limit: 50 })).items),
  search: await time(300, (i) => store.search({ text: WORDS[i % WORDS.length], limit: 50 })),
  // Attributes are read back through a SQL function (keys interned, texts put back: migration 010).
  spansByAttribute: await time(300, async () => {
    const sessionId = sessionIds[Math.floor(random() * sessionIds.length)];
    return (await store.getSpans({ sessionId, attributes: { 'gen_ai.tool.name': 'search_kb' }, limit: 100 })).items;
  }),
  // A step's full detail as the viewer opens it (GET /api/traces/:id): its trace's spans, attributes, content and events decoded, and their log records.
  stepDetail: await time(300, async () => {
    const traceId = traceIds[Math.floor(random() * traceIds.length)];
    const spans = (await store.getSpans({ traceId, limit: 1000 })).items;
    const logs = (await store.listLogs({ traceId, limit: 1000 })).items;
    return [...spans, ...logs];
  }),
  statsDay: await time(60, () => {
    const day = BigInt(Math.floor(random() * DAYS));
    return store.stats({ groupBy: 'model', fromUnixNano: BASE_NS + day * DAY_NS, toUnixNano: BASE_NS + (day + 1n) * DAY_NS });
  }),
};
store.closeSync();

console.log(`${spanCount} spans in ${sessionIds.length} sessions over ${DAYS} days, ${(fileBytes / 1e6).toFixed(0)} MB (${(fileBytes / spanCount).toFixed(0)} bytes/span)${built ? '' : ', cached'}\n`);
console.log('| query | p50 ms | p99 ms | rows |');
console.log('|---|---|---|---|');
for (const [name, r] of Object.entries(results)) {
  console.log(`| ${name} | ${r.p50Millis.toFixed(2)} | ${r.p99Millis.toFixed(2)} | ${r.rows.toFixed(0)} |`);
}
if (process.argv.includes('--json')) {
  console.log(`RESULT ${JSON.stringify({ spans: spanCount, sessions: sessionIds.length, days: DAYS, fileBytes, bytesPerSpan: fileBytes / spanCount, built, results })}`);
}
