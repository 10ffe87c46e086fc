/**
 * Store write throughput on typical agent spans, against a raw better-sqlite3
 * insert of the very rows the store writes, measured in the same run because
 * absolute numbers on a shared 2-core machine drift by ±20% and the ratio
 * does not.
 *
 *   npx tsx bench/store-writes.ts [--rounds 5] [--sessions 200] [--batch 1000] [--keep]
 *
 * `--keep` leaves the database files (for dbstat, EXPLAIN QUERY PLAN) and prints where.
 *
 * - (a) store: `SqliteTraceStore.writeSync`, 1000 records per call (`--batch`; an
 *   OTLP request of an SDK carries ~100), on a fresh file. Besides spans/s, the
 *   process CPU per span (user + system, SQLite included: it runs on this
 *   thread): on a machine shared with other work it moves less than wall time.
 * - (b) raw: the store's migrations on a fresh file, then a plain INSERT into
 *   `spans` (indexes active) and its full-text row, 1000 rows per transaction. The
 *   rows are what the store's own row mapping yields, built before timing.
 * - (a') store, in-process pattern: every span written open at its start and
 *   again at its end (what SkeinSpanProcessor queues), 1000 records per call;
 *   counted in spans, so two records make one span.
 * - (c) normalize only: `createNormalizer()` over the raw spans.
 *
 * Spans: sessions of 20–100 steps (an agent span, model calls with usage,
 * model and 200–500 chars of content, tool calls; ~10 attributes each), every
 * step keyed with `gen_ai.conversation.id` like AgentTracer does, 16 sessions
 * running at once and spans arriving in end order (children before parents).
 * Half the agent spans report aggregate usage (the usage-mismatch path).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createNormalizer } from '../src/model/normalize.js';
import type { Attributes, RawSpan, SpanRecord } from '../src/model/types.js';
import { workload } from './lib/agent-workload.js';
import { SqliteTraceStore } from '../src/store/sqlite/sqlite-trace-store.js';
import { migrate } from '../src/store/sqlite/migrations/index.js';
import { SPAN_COLUMNS, spanInsertRow } from '../src/store/sqlite/span-row.js';

const CONCURRENT_SESSIONS = 16;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const BATCH_SIZE = option('batch', 1000);
const ROUNDS = option('rounds', 5);
const SESSIONS = option('sessions', 200);

// ---- measurement ---------------------------------------------------------------

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Wall seconds and process CPU seconds (user + system) of `fn`. */
function timedCpu(fn: () => void): { seconds: number; cpuSeconds: number } {
  const cpu0 = process.cpuUsage();
  const seconds = timed(fn);
  const cpu = process.cpuUsage(cpu0);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH_SIZE) out.push(items.slice(i, i + BATCH_SIZE));
  return out;
}

function checkpointedBytes(db: Database.Database, file: string): number {
  db.pragma('wal_checkpoint(TRUNCATE)');
  return statSync(file).size;
}

interface RoundResult {
  spansPerSecond: number;
  bytesPerSpan: number;
  /** Process CPU per span, microseconds (store rounds only). */
  cpuMicrosPerSpan?: number;
}

function storeRound(dir: string, round: number, records: readonly SpanRecord[], spanCount = records.length): RoundResult {
  const file = join(dir, `store-${round}-${spanCount === records.length ? 'ended' : 'open'}.db`);
  const store = new SqliteTraceStore({ path: file });
  try {
    const chunks = batches(records);
    const { seconds, cpuSeconds } = timedCpu(() => {
      for (const chunk of chunks) store.writeSync(chunk);
    });
    return {
      spansPerSecond: spanCount / seconds,
      bytesPerSpan: checkpointedBytes(store.database, file) / spanCount,
      cpuMicrosPerSpan: (cpuSeconds * 1e6) / spanCount,
    };
  } finally {
    store.closeSync();
  }
}

function rawRound(dir: string, round: number, records: readonly SpanRecord[]): RoundResult {
  const file = join(dir, `raw-${round}.db`);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db, file);
    const rows = spanInsertRows(db, records);
    const columns = Object.keys(rows[0]);
    // Positional parameters, as the store binds them: ~60 named ones cost more than the insert.
    const insert = db.prepare(`INSERT INTO spans (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    // The full-text row too, as the store's writer adds it (no trigger does: see migration 001).
    const insertText = db.prepare('INSERT INTO spans_fts (rowid, name, input_text, output_text, reasoning_text) VALUES (?, ?, ?, ?, ?)');
    const writeChunk = db.transaction((chunk: readonly Record<string, unknown>[]) => {
      for (const row of chunk) {
        const id = insert.run(columns.map((c) => row[c])).lastInsertRowid;
        insertText.run(id, row.name, row.input_text, row.output_text, row.reasoning_text);
      }
    });
    const chunks = batches(rows);
    const seconds = timed(() => {
      for (const chunk of chunks) writeChunk.immediate(chunk);
    });
    return { spansPerSecond: records.length / seconds, bytesPerSpan: checkpointedBytes(db, file) / records.length };
  } finally {
    db.close();
  }
}

/**
 * The rows the store would write for `records` (no open steps, every span
 * keyed, so its resolved session is its own key): resources inserted first so
 * the rows can point at them.
 */
function spanInsertRows(db: Database.Database, records: readonly SpanRecord[]): Record<string, unknown>[] {
  const resourceIds = new Map<object, number | bigint>();
  const insertResource = db.prepare('INSERT INTO resources (hash, body) VALUES (@hash, @body)');
  const idOf = (value: object): number | bigint => {
    let id = resourceIds.get(value);
    if (id === undefined) {
      id = insertResource.run({ hash: `bench-${resourceIds.size}`, body: JSON.stringify(value) }).lastInsertRowid;
      resourceIds.set(value, id);
    }
    return id;
  };
  const rows = records.map((record) =>
    spanInsertRow(record, {
      resolvedSessionId: record.sessionId ?? record.traceId,
      writerId: null,
      resourceId: idOf(record.raw.resource),
      scopeId: idOf(record.raw.scope),
    }),
  );
  if (Object.keys(rows[0]).length !== SPAN_COLUMNS.length) throw new Error('row shape differs from SPAN_COLUMNS');
  return rows;
}

function normalizeRound(raws: readonly RawSpan[]): number {
  const normalize = createNormalizer();
  let kept = 0;
  const seconds = timed(() => {
    for (const raw of raws) kept += normalize(raw).name.length > 0 ? 1 : 0;
  });
  if (kept !== raws.length) throw new Error('normalize lost spans');
  return raws.length / seconds;
}

/** Each span open at its start (no usage or output yet) and ended at its end, in time order. */
function inProcessStream(raws: readonly RawSpan[]): SpanRecord[] {
  const events: { atNs: bigint; record: SpanRecord }[] = [];
  for (const raw of raws) {
    const atStart: Attributes = {};
    for (const [key, value] of Object.entries(raw.attributes)) {
      if (!key.startsWith('gen_ai.usage.') && key !== 'gen_ai.output.messages' && key !== 'gen_ai.tool.call.result') {
        atStart[key] = value;
      }
    }
    events.push({ atNs: raw.startTimeUnixNano, record: normalize({ ...raw, endTimeUnixNano: null, attributes: atStart }) });
    events.push({ atNs: raw.endTimeUnixNano!, record: normalize(raw) });
  }
  // Stable sort: a zero-length span's start stays before its end.
  return events.sort((x, y) => (x.atNs < y.atNs ? -1 : x.atNs > y.atNs ? 1 : 0)).map((e) => e.record);
}

const raws = workload(SESSIONS, CONCURRENT_SESSIONS);
const normalize = createNormalizer();
const records = raws.map((raw) => normalize(raw));
const stream = inProcessStream(raws);
const sessionCount = new Set(records.map((r) => r.sessionId)).size;
const dir = mkdtempSync(join(tmpdir(), 'skein-bench-store-'));
const storeRates: number[] = [];
const storeCpu: number[] = [];
const streamCpu: number[] = [];
const streamRates: number[] = [];
const rawRates: number[] = [];
const normalizeRates: number[] = [];
const ratios: number[] = [];
const streamRatios: number[] = [];
let storeBytes = 0;
let rawBytes = 0;
try {
  // Warm-up round (JIT, page cache), not counted.
  storeRound(dir, -1, records.slice(0, 5 * BATCH_SIZE));
  storeRound(dir, -1, stream.slice(0, 5 * BATCH_SIZE), 5 * BATCH_SIZE / 2);
  rawRound(dir, -1, records.slice(0, 5 * BATCH_SIZE));
  normalizeRound(raws.slice(0, 5 * BATCH_SIZE));
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so a load change on the machine hits both sides alike.
    const first = round % 2 === 0;
    const raw = first ? rawRound(dir, round, records) : undefined;
    const store = storeRound(dir, round, records);
    const rawResult = raw ?? rawRound(dir, round, records);
    storeRates.push(store.spansPerSecond);
    storeCpu.push(store.cpuMicrosPerSpan ?? NaN);
    rawRates.push(rawResult.spansPerSecond);
    ratios.push(store.spansPerSecond / rawResult.spansPerSecond);
    normalizeRates.push(normalizeRound(raws));
    const streamResult = storeRound(dir, round, stream, records.length);
    streamRates.push(streamResult.spansPerSecond);
    streamCpu.push(streamResult.cpuMicrosPerSpan ?? NaN);
    streamRatios.push(streamRates[round] / rawResult.spansPerSecond);
    storeBytes = store.bytesPerSpan;
    rawBytes = rawResult.bytesPerSpan;
  }
} finally {
  if (process.argv.includes('--keep')) console.log(`databases kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

const normalizeRate = median(normalizeRates);
const storeRate = median(storeRates);
const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;
console.log(`${records.length} spans in ${sessionCount} sessions, batches of ${BATCH_SIZE}, ${ROUNDS} rounds (medians)\n`);
console.log('| path | spans/s | bytes/span | CPU µs/span |');
console.log('|---|---|---|---|');
console.log(`| (a) SqliteTraceStore.writeSync | ${k(storeRate)} | ${storeBytes.toFixed(0)} | ${median(storeCpu).toFixed(1)} |`);
console.log(`| (a') writeSync, each span open then ended (2 records) | ${k(median(streamRates))} | | ${median(streamCpu).toFixed(1)} |`);
console.log(`| (b) raw INSERT, same rows and schema | ${k(median(rawRates))} | ${rawBytes.toFixed(0)} | |`);
console.log(`| (c) normalize only | ${k(normalizeRate)} | | |`);
console.log(`| normalize + writeSync (derived from a and c) | ${k(1 / (1 / normalizeRate + 1 / storeRate))} | | |`);
const perRound = (values: number[]): string =>
  `${values.map((r) => r.toFixed(2)).join(' ')}; median ${median(values).toFixed(2)}`;
console.log(`\nratio a/b per round: ${perRound(ratios)}`);
console.log(`ratio a'/b per round: ${perRound(streamRatios)}`);
if (process.argv.includes('--json')) {
  console.log(
    `RESULT ${JSON.stringify({
      spans: records.length,
      sessions: sessionCount,
      batch: BATCH_SIZE,
      storeSpansPerSecond: storeRate,
      storeCpuMicrosPerSpan: median(storeCpu),
      inProcessPatternCpuMicrosPerSpan: median(streamCpu),
      inProcessPatternSpansPerSecond: median(streamRates),
      rawSpansPerSecond: median(rawRates),
      normalizeSpansPerSecond: normalizeRate,
      ratio: median(ratios),
      ratios,
      storeBytesPerSpan: storeBytes,
      rawBytesPerSpan: rawBytes,
    })}`,
  );
}
