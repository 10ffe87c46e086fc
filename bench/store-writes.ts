/**
 * Store write throughput on typical agent spans, against a raw better-sqlite3
 * insert of the very rows the store writes, measured in the same run because
 * absolute numbers on a shared 2-core machine drift by ±20% and the ratio
 * does not.
 *
 *   npx tsx bench/store-writes.ts [--rounds 5] [--sessions 200] [--keep]
 *
 * `--keep` leaves the database files (for dbstat, EXPLAIN QUERY PLAN) and prints where.
 *
 * - (a) store: `SqliteTraceStore.writeSync`, 1000 records per call, on a fresh file.
 * - (b) raw: the store's migrations on a fresh file, then a plain INSERT into
 *   `spans` (FTS triggers and indexes active), 1000 rows per transaction. The
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
import type { Attributes, InstrumentationScope, RawSpan, SpanRecord, SpanResource } from '../src/model/types.js';
import { SqliteTraceStore } from '../src/store/sqlite/sqlite-trace-store.js';
import { migrate } from '../src/store/sqlite/migrations/index.js';
import { SPAN_COLUMNS, spanInsertRow } from '../src/store/sqlite/span-row.js';

const BATCH_SIZE = 1000;
const CONCURRENT_SESSIONS = 16;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const ROUNDS = option('rounds', 5);
const SESSIONS = option('sessions', 200);

// ---- span generation (seeded, so every run writes the same data) --------------

let seed = 0x5eed;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const hex = (length: number): string => {
  let out = '';
  while (out.length < length) out += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
  return out.slice(0, length);
};

const WORDS = (
  'order shipment refund invoice customer account password reset delivery address payment card declined ' +
  'warehouse tracking number carrier delayed weather return label exchange size colour product catalog ' +
  'discount coupon expired subscription renewal cancel plan upgrade downgrade billing cycle receipt tax ' +
  'region europe shipping express standard priority ticket escalation agent human handoff policy terms ' +
  'warranty repair replacement battery screen laptop phone tablet charger cable adapter firmware update ' +
  'error timeout retry database query result summary answer question please thanks sorry understand check ' +
  'looked found status today tomorrow monday friday week hours minutes email phone chat message reply'
).split(' ');

function sentence(minChars: number, maxChars: number): string {
  const target = between(minChars, maxChars);
  const words: string[] = [];
  let length = 0;
  while (length < target) {
    const word = random() < 0.08 ? String(between(1000, 999999)) : pick(WORDS);
    words.push(word);
    length += word.length + 1;
  }
  return words.join(' ');
}

const SCOPE: InstrumentationScope = {
  name: 'skein.agent-tracer',
  version: '0.1.0',
  attributes: {},
  droppedAttributesCount: 0,
  schemaUrl: '',
};
const RESOURCES: SpanResource[] = ['support-agent', 'billing-agent', 'research-agent'].map((service) => ({
  attributes: {
    'service.name': service,
    'service.version': '1.4.2',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.version': '2.12.1',
    'host.name': 'worker-7',
  },
  droppedAttributesCount: 0,
  schemaUrl: 'https://opentelemetry.io/schemas/1.28.0',
}));
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-5'] as const;
const TOOLS = ['lookup_order', 'search_kb', 'issue_refund', 'send_email', 'get_weather'] as const;

function span(
  traceId: string,
  parentSpanId: string | null,
  name: string,
  kind: RawSpan['kind'],
  startNs: bigint,
  endNs: bigint,
  attributes: Attributes,
  resource: SpanResource,
): RawSpan {
  return {
    traceId,
    spanId: hex(16),
    parentSpanId,
    traceState: '',
    flags: 0x101,
    name,
    kind,
    startTimeUnixNano: startNs,
    endTimeUnixNano: endNs,
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: 0,
    statusMessage: '',
    resource,
    scope: SCOPE,
  };
}

/** One session's spans; the agent span (root, parent of every step) last. */
function session(startNs: bigint): RawSpan[] {
  const traceId = hex(32);
  const sessionId = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  const rootId = hex(16);
  const resource = pick(RESOURCES);
  const agentName = resource.attributes['service.name'] as string;
  const steps = between(20, 100);
  const spans: RawSpan[] = [];
  let t = startNs + 1_000_000n;
  let input = 0;
  let output = 0;
  for (let i = 0; i < steps; i++) {
    const durationNs = BigInt(between(5, 2000)) * 1_000_000n;
    if (i % 2 === 0) {
      const model = pick(MODELS);
      const inTokens = between(300, 8000);
      const outTokens = between(20, 600);
      input += inTokens;
      output += outTokens;
      const question = sentence(120, 300);
      const answer = sentence(80, 200);
      spans.push(
        span(traceId, rootId, `chat ${model}`, 3, t, t + durationNs, {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': model.startsWith('claude') ? 'anthropic' : 'openai',
          'gen_ai.request.model': model,
          'gen_ai.response.model': model,
          'gen_ai.response.id': `resp_${hex(24)}`,
          'gen_ai.usage.input_tokens': inTokens,
          'gen_ai.usage.output_tokens': outTokens,
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.conversation.id': sessionId,
          'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: question }] }]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' },
          ]),
        }, resource),
      );
    } else {
      const tool = pick(TOOLS);
      spans.push(
        span(traceId, rootId, `execute_tool ${tool}`, 1, t, t + durationNs, {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': tool,
          'gen_ai.tool.type': 'function',
          'gen_ai.tool.call.id': `call_${hex(24)}`,
          'gen_ai.conversation.id': sessionId,
          'gen_ai.tool.call.arguments': JSON.stringify({ query: sentence(15, 60), limit: between(1, 20) }),
          'gen_ai.tool.call.result': JSON.stringify({ status: 'ok', summary: sentence(40, 160) }),
          'http.status_code': 200,
          'retry.count': 0,
          'cache.hit': random() < 0.3,
        }, resource),
      );
    }
    t += durationNs + BigInt(between(1, 50)) * 1_000_000n;
  }
  const agentAttributes: Attributes = {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': agentName,
    'gen_ai.agent.id': `agent_${hex(8)}`,
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.conversation.id': sessionId,
    'user.id': `user-${between(1, 500)}`,
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: sentence(60, 200) }] }]),
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: sentence(60, 200) }] }]),
  };
  if (random() < 0.5) {
    agentAttributes['gen_ai.usage.input_tokens'] = input;
    agentAttributes['gen_ai.usage.output_tokens'] = output;
  }
  const root = span(traceId, null, `invoke_agent ${agentName}`, 1, startNs, t, agentAttributes, resource);
  root.spanId = rootId;
  spans.push(root);
  return spans;
}

/** SESSIONS sessions, CONCURRENT_SESSIONS at a time, every span in end order. */
function workload(): RawSpan[] {
  const all: RawSpan[] = [];
  const base = 1_763_700_000_000_000_000n;
  for (let i = 0; i < SESSIONS; i++) {
    // Staggered starts: about CONCURRENT_SESSIONS overlap at any time (a session lasts ~60 s).
    const startNs = base + BigInt(Math.floor((i * 60_000) / CONCURRENT_SESSIONS)) * 1_000_000n;
    all.push(...session(startNs));
  }
  return all.sort((x, y) => (x.endTimeUnixNano! < y.endTimeUnixNano! ? -1 : x.endTimeUnixNano! > y.endTimeUnixNano! ? 1 : 0));
}

// ---- measurement ---------------------------------------------------------------

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
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
}

function storeRound(dir: string, round: number, records: readonly SpanRecord[], spanCount = records.length): RoundResult {
  const file = join(dir, `store-${round}-${spanCount === records.length ? 'ended' : 'open'}.db`);
  const store = new SqliteTraceStore({ path: file });
  try {
    const chunks = batches(records);
    const seconds = timed(() => {
      for (const chunk of chunks) store.writeSync(chunk);
    });
    return { spansPerSecond: spanCount / seconds, bytesPerSpan: checkpointedBytes(store.database, file) / spanCount };
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
    const insert = db.prepare(`INSERT INTO spans (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
    const writeChunk = db.transaction((chunk: readonly Record<string, unknown>[]) => {
      for (const row of chunk) insert.run(row);
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

const raws = workload();
const normalize = createNormalizer();
const records = raws.map((raw) => normalize(raw));
const stream = inProcessStream(raws);
const sessionCount = new Set(records.map((r) => r.sessionId)).size;
const dir = mkdtempSync(join(tmpdir(), 'skein-bench-store-'));
const storeRates: number[] = [];
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
    rawRates.push(rawResult.spansPerSecond);
    ratios.push(store.spansPerSecond / rawResult.spansPerSecond);
    normalizeRates.push(normalizeRound(raws));
    streamRates.push(storeRound(dir, round, stream, records.length).spansPerSecond);
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
console.log('| path | spans/s | bytes/span |');
console.log('|---|---|---|');
console.log(`| (a) SqliteTraceStore.writeSync | ${k(storeRate)} | ${storeBytes.toFixed(0)} |`);
console.log(`| (a') writeSync, each span open then ended (2 records) | ${k(median(streamRates))} | |`);
console.log(`| (b) raw INSERT, same rows and schema | ${k(median(rawRates))} | ${rawBytes.toFixed(0)} |`);
console.log(`| (c) normalize only | ${k(normalizeRate)} | |`);
console.log(`| normalize + writeSync (derived from a and c) | ${k(1 / (1 / normalizeRate + 1 / storeRate))} | |`);
const perRound = (values: number[]): string =>
  `${values.map((r) => r.toFixed(2)).join(' ')}; median ${median(values).toFixed(2)}`;
console.log(`\nratio a/b per round: ${perRound(ratios)}`);
console.log(`ratio a'/b per round: ${perRound(streamRatios)}`);
