/**
 * Several writers on one PostgreSQL database lose nothing and count every
 * token once: a seeded agent workload is written in order through one
 * SQLite store (the reference implementation), and the same records, cut
 * into batches, through four PostgresTraceStore instances (each its own
 * pool, like four collectors) at the same time, so one trace and one session
 * are written by several writers at once. Every session, every span, every
 * log record's session, the session list and the stats must then be
 * exactly the reference's, both while the writers are open and after they
 * have closed (a closing writer interrupts the steps it left open).
 *
 * Only what the contract makes order-independent is reordered: an open
 * record and the ended one of the same span, identical re-deliveries, and a
 * trace's session key arriving before or after the spans that inherit it.
 * Each trace carries at most one key, and start and end times are unique,
 * so no tie can be broken by arrival order; costs are multiples of 2^-10,
 * so their sums are exact in any order (other costs differ in the last bit
 * with the order of addition, on SQLite alone too).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RawLogRecord, StoredLogRecord } from '../../src/model/log-types.js';
import type { StatsGroupBy, StatsRow } from '../../src/model/query.js';
import type { SessionSummary, SpanRecord, SpanResource, StoredSpan, TokenUsage } from '../../src/model/types.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { emptyLog } from '../helpers/raw-logs.js';
import { BASE_TIME_UNIX_NANO, MILLI, ended, makeRecord, opened } from '../helpers/records.js';

// ---- a seeded generator: every run writes the same records -----------------------------------------

/** mulberry32, as bench/lib/agent-workload.ts, but one generator per use: no shared state between tests. */
class Prng {
  constructor(private state: number) {}

  /** In [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  between(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.next() * 0x100000000).toString(16).padStart(8, '0');
    return out.slice(0, length);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

// ---- the workload ------------------------------------------------------------------------------------

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-5'] as const;
const TOOLS = ['lookup_order', 'search_kb', 'issue_refund', 'send_email'] as const;
const AGENTS = ['support-agent', 'billing-agent', 'research-agent'] as const;

/** A span record or a log record: what a collector receives. */
type Item = SpanRecord | RawLogRecord;

const isLog = (item: Item): item is RawLogRecord => 'severityNumber' in item;

/** An item on the wire, at the time its sender would queue it. */
interface Delivery {
  atNs: bigint;
  item: Item;
}

interface Workload {
  /** In arrival order: open records at their start, ended ones at their end, re-deliveries later. */
  items: Item[];
  traceIds: string[];
}

/**
 * `sessionCount` sessions of 1-3 traces each: an agent root over model calls
 * (usage, supplied, computed or no cost), tool calls, a sub-agent now and
 * then, errors, steps left open. A trace is keyed on every span (as
 * AgentTracer does; a few spans without), on its root only, or not at all
 * (its own session). Half the traces are written as the in-process
 * processor does (open at start with what is known then, again ended at
 * end), half as an SDK exporter does (ended only, so a root carrying the
 * key arrives last). Some steps log an event while they run, without a key
 * of its own: it follows its trace's session, even when the key comes later.
 */
function generateWorkload(seed: number, sessionCount: number): Workload {
  const rng = new Prng(seed);
  const usedTimes = new Set<bigint>();
  /** A time no other start or end has: no tie is left to arrival order. */
  const uniqueTime = (candidate: bigint): bigint => {
    let time = candidate;
    while (usedTimes.has(time)) time += 1n;
    usedTimes.add(time);
    return time;
  };
  const deliveries: Delivery[] = [];
  const traceIds: string[] = [];

  for (let s = 0; s < sessionCount; s++) {
    const sessionKey = `session-${s}-${rng.hex(6)}`;
    const agentName = rng.pick(AGENTS);
    const userId = rng.chance(0.5) ? `user-${rng.between(1, 4)}` : null;
    // Its own resource: many new resource rows inserted by several writers at once.
    const resource: SpanResource = {
      attributes: { 'service.name': agentName, 'service.instance.id': `instance-${s}` },
      droppedAttributesCount: 0,
      schemaUrl: '',
    };
    let clock = BASE_TIME_UNIX_NANO + BigInt(s) * 3_000n * MILLI + BigInt(rng.between(0, 999)) * MILLI;

    for (let t = rng.between(1, 3); t > 0; t--) {
      const traceId = rng.hex(32);
      traceIds.push(traceId);
      const keying = rng.pick(['every', 'every', 'root', 'root', 'none'] as const);
      const processorStyle = rng.chance(0.5);
      const spans: SpanRecord[] = [];
      /** Spans the processor style leaves open (a step still running). */
      const leftOpen = new Set<SpanRecord>();

      const rootStart = uniqueTime(clock);
      const rootId = rng.hex(16);
      const keyOf = (isRoot: boolean): string | null =>
        keying === 'none' ? null : keying === 'root' ? (isRoot ? sessionKey : null) : rng.chance(0.9) || isRoot ? sessionKey : null;

      let cursor = rootStart + BigInt(rng.between(1, 50)) * MILLI;
      const llmUsage: TokenUsage[] = [];
      const step = (parentSpanId: string, depth: number): void => {
        const kind = rng.pick(depth === 0 ? (['llm', 'llm', 'tool', 'tool', 'agent', 'other'] as const) : (['llm', 'tool'] as const));
        const start = uniqueTime(cursor);
        const spanId = rng.hex(16);
        const sessionId = keyOf(false);
        const raw = { resource, attributes: { 'skein.test.step': kind } };
        if (kind === 'agent') {
          const children = rng.between(1, 3);
          cursor = start + MILLI;
          for (let c = 0; c < children; c++) step(spanId, depth + 1);
          const end = uniqueTime(cursor + BigInt(rng.between(1, 20)) * MILLI);
          cursor = end + MILLI;
          spans.push(makeRecord({
            traceId, spanId, parentSpanId, sessionId, name: 'invoke_agent helper', stepType: 'agent', agentName: 'helper',
            startTimeUnixNano: start, endTimeUnixNano: end, raw,
          }));
          return;
        }
        const end = uniqueTime(start + BigInt(rng.between(5, 900)) * MILLI);
        cursor = end + BigInt(rng.between(1, 30)) * MILLI;
        const isError = rng.chance(0.1);
        const status = isError ? { statusCode: 2 as const, statusMessage: 'upstream failed', isError: true } : {};
        if (kind === 'llm') {
          const model = rng.pick(MODELS);
          const usage: TokenUsage = { input: rng.between(10, 5000), output: rng.between(1, 800) };
          if (rng.chance(0.3)) usage.reasoning = rng.between(1, 300);
          if (rng.chance(0.3)) usage.cacheRead = rng.between(1, 2000);
          if (rng.chance(0.1)) usage.cacheWrite = rng.between(1, 100);
          llmUsage.push(usage);
          const costKind = rng.pick(['supplied', 'computed', 'computed', 'none'] as const);
          spans.push(makeRecord({
            traceId, spanId, parentSpanId, sessionId, name: `chat ${model}`, stepType: 'llm', operationName: 'chat',
            provider: model.startsWith('claude') ? 'anthropic' : 'openai', requestModel: model,
            responseModel: rng.chance(0.5) ? `${model}-2025` : null, usage,
            cost: costKind === 'none' ? null : { usd: rng.between(1, 4000) / 1024, source: costKind },
            unpriced: costKind === 'none',
            input: rng.chance(0.5) ? { text: `question ${rng.hex(8)}`, originalLength: 17, truncated: false } : null,
            output: rng.chance(0.5) ? { text: `answer ${rng.hex(8)}`, originalLength: 15, truncated: false } : null,
            startTimeUnixNano: start, endTimeUnixNano: end, ...status, raw,
          }));
        } else if (kind === 'tool') {
          const toolName = rng.pick(TOOLS);
          spans.push(makeRecord({
            traceId, spanId, parentSpanId, sessionId, name: `execute_tool ${toolName}`, stepType: 'tool', toolName,
            toolCallId: `call_${rng.hex(8)}`, startTimeUnixNano: start, endTimeUnixNano: end, ...status, raw,
          }));
        } else {
          spans.push(makeRecord({
            traceId, spanId, parentSpanId, sessionId, name: 'plumbing', stepType: 'other',
            ...(rng.chance(0.5) ? { internal: true as const } : {}), startTimeUnixNano: start, endTimeUnixNano: end, raw,
          }));
        }
        if (processorStyle && rng.chance(0.06)) leftOpen.add(spans[spans.length - 1]);
        if (rng.chance(0.25)) {
          const at = uniqueTime(start + 1n);
          deliveries.push({
            atNs: at,
            item: emptyLog({
              timeUnixNano: at, observedTimeUnixNano: at + 1n, severityNumber: 9, severityText: 'INFO',
              body: `event of ${spanId}`, traceId, spanId, eventName: 'gen_ai.client.inference.operation.details', resource,
            }),
          });
        }
      };
      for (let i = rng.between(2, 9); i > 0; i--) step(rootId, 0);

      // The root reports its calls' usage half the time; a third of those disagree (usage mismatch).
      let rootUsage: TokenUsage = {};
      if (rng.chance(0.5)) {
        const sum = (pickField: (usage: TokenUsage) => number | undefined): number =>
          llmUsage.reduce((total, usage) => total + (pickField(usage) ?? 0), 0);
        rootUsage = { input: sum((u) => u.input) + (rng.chance(0.33) ? 7 : 0), output: sum((u) => u.output) };
      }
      const rootEnd = uniqueTime(cursor + BigInt(rng.between(1, 40)) * MILLI);
      const root = makeRecord({
        traceId, spanId: rootId, sessionId: keyOf(true), name: `invoke_agent ${agentName}`, stepType: 'agent',
        operationName: 'invoke_agent', agentName, userId, usage: rootUsage,
        ...(rng.chance(0.1) ? { statusCode: 2 as const, statusMessage: 'agent gave up', isError: true } : {}),
        startTimeUnixNano: rootStart, endTimeUnixNano: rootEnd,
        raw: { resource, attributes: { 'gen_ai.agent.name': agentName } },
      });
      if (processorStyle && rng.chance(0.05)) leftOpen.add(root);
      spans.push(root);
      clock = rootEnd + BigInt(rng.between(1, 500)) * MILLI;

      for (const span of spans) {
        const end = span.endTimeUnixNano as bigint;
        if (processorStyle) deliveries.push({ atNs: span.startTimeUnixNano, item: started(span) });
        if (!leftOpen.has(span)) deliveries.push({ atNs: end, item: ended(span, end) });
      }
    }
  }

  deliveries.sort((a, b) => (a.atNs < b.atNs ? -1 : a.atNs > b.atNs ? 1 : 0));
  const items = deliveries.map((delivery) => delivery.item);
  // Re-deliveries of spans (logs are not idempotent): an exporter retrying (the same record again), a late start.
  const redelivered: [number, SpanRecord][] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (isLog(item)) continue;
    if (rng.chance(0.08)) redelivered.push([rng.between(i, items.length), item]);
    if (item.endTimeUnixNano !== null && rng.chance(0.03)) redelivered.push([rng.between(i + 1, items.length), started(item)]);
  }
  redelivered.sort((a, b) => b[0] - a[0]);
  for (const [position, record] of redelivered) items.splice(position, 0, record);
  return { items, traceIds };
}

/**
 * What the in-process processor writes at a step's start: no end, and none
 * of what only the end knows (usage, cost, answer, response model, error),
 * so replacing it moves a call from the requested model to the answering one.
 */
function started(record: SpanRecord): SpanRecord {
  const start = opened(record);
  return {
    ...start,
    usage: {},
    cost: null,
    unpriced: false,
    output: null,
    responseModel: null,
    isError: false,
    statusCode: 0,
    statusMessage: '',
    raw: { ...start.raw, statusCode: 0, statusMessage: '' },
  };
}

/**
 * Cuts items into batches of 1-`max`, as a collector's queues flush them.
 * With `retried`, that share of batches' spans comes again right after
 * them, as when an exporter times out and resends a batch to another
 * collector while the first is still writing it.
 */
function cutBatches(items: readonly Item[], rng: Prng, max: number, retried = 0): Item[][] {
  const batches: Item[][] = [];
  for (let i = 0; i < items.length; ) {
    const size = rng.between(1, max);
    const batch = items.slice(i, i + size);
    batches.push(batch);
    if (rng.chance(retried)) batches.push(batch.filter((item) => !isLog(item)));
    i += size;
  }
  return batches;
}

/** A batch's spans, then its log records (a collector's two pipelines). */
async function writeBatch(store: TraceStore, batch: readonly Item[]): Promise<void> {
  const logs = batch.filter(isLog);
  const spans = batch.filter((item): item is SpanRecord => !isLog(item));
  if (spans.length > 0) await store.write(spans);
  if (logs.length > 0) await store.writeLogs(logs);
}

// ---- reading a store whole -----------------------------------------------------------------------------

const GROUPS: readonly StatsGroupBy[] = ['model', 'provider', 'agent', 'user', 'day'];

interface Snapshot {
  /** `listSessions` in its default order (recent activity), internal ones included. */
  sessionIds: string[];
  sessions: Map<string, SessionSummary>;
  /** Each trace's spans, by span id. */
  spans: Map<string, StoredSpan[]>;
  /** Each trace's log records in time order, without the store's row id (commit order). */
  logs: Map<string, Omit<StoredLogRecord, 'id'>[]>;
  stats: Map<StatsGroupBy, StatsRow[]>;
}

async function snapshot(store: TraceStore, traceIds: readonly string[]): Promise<Snapshot> {
  const sessionIds: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listSessions({ includeInternal: true, limit: 1000, cursor });
    sessionIds.push(...page.items.map((session) => session.sessionId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  const sessions = new Map<string, SessionSummary>();
  for (const sessionId of sessionIds) sessions.set(sessionId, await store.getSession(sessionId));
  const spans = new Map<string, StoredSpan[]>();
  for (const traceId of traceIds) {
    const items: StoredSpan[] = [];
    let spanCursor: string | undefined;
    do {
      const page = await store.getSpans({ traceId, limit: 1000, cursor: spanCursor });
      items.push(...page.items);
      spanCursor = page.nextCursor ?? undefined;
    } while (spanCursor !== undefined);
    spans.set(traceId, items.sort((a, b) => (a.spanId < b.spanId ? -1 : 1)));
  }
  const logs = new Map<string, Omit<StoredLogRecord, 'id'>[]>();
  for (const traceId of traceIds) {
    const page = await store.listLogs({ traceId, limit: 1000 });
    expect(page.nextCursor).toBeNull();
    logs.set(traceId, page.items.map(({ id: _id, ...record }) => record));
  }
  const stats = new Map<StatsGroupBy, StatsRow[]>();
  for (const groupBy of GROUPS) {
    stats.set(groupBy, (await store.stats({ groupBy })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
  return { sessionIds, sessions, spans, logs, stats };
}

/** Every difference as `[what, expected, actual]`. */
function differences(expected: Snapshot, actual: Snapshot): [string, unknown, unknown][] {
  const found: [string, unknown, unknown][] = [];
  if (!isDeepStrictEqual(actual.sessionIds, expected.sessionIds)) found.push(['listSessions ids', expected.sessionIds, actual.sessionIds]);
  for (const [sessionId, session] of expected.sessions) {
    const other = actual.sessions.get(sessionId);
    if (!isDeepStrictEqual(other, session)) found.push([`session ${sessionId}`, session, other]);
  }
  for (const [traceId, spans] of expected.spans) {
    const other = actual.spans.get(traceId) ?? [];
    if (other.length !== spans.length) found.push([`span count of trace ${traceId}`, spans.length, other.length]);
    for (let i = 0; i < Math.max(spans.length, other.length); i++) {
      if (!isDeepStrictEqual(other[i], spans[i])) found.push([`span ${traceId}/${spans[i]?.spanId ?? other[i]?.spanId}`, spans[i], other[i]]);
    }
  }
  for (const [traceId, logs] of expected.logs) {
    if (!isDeepStrictEqual(actual.logs.get(traceId), logs)) found.push([`log records of trace ${traceId}`, logs, actual.logs.get(traceId)]);
  }
  for (const [groupBy, rows] of expected.stats) {
    if (!isDeepStrictEqual(actual.stats.get(groupBy), rows)) found.push([`stats by ${groupBy}`, rows, actual.stats.get(groupBy)]);
  }
  return found;
}

/** Fails with how many differences there are and the first one in full (a readable diff). */
function expectSame(expected: Snapshot, actual: Snapshot): void {
  const found = differences(expected, actual);
  expect({ differenceCount: found.length, first: found[0]?.[0], value: found[0]?.[2] }).toStrictEqual({
    differenceCount: 0,
    first: undefined,
    value: found[0]?.[1],
  });
}

// ---- writing ---------------------------------------------------------------------------------------------

const server = usePostgres();

async function writeReference(path: string, batches: readonly Item[][]): Promise<SqliteTraceStore> {
  const store = new SqliteTraceStore({ path });
  for (const batch of batches) await writeBatch(store, batch);
  return store;
}

/** What a store holds while its writers run, and once they have closed (which interrupts their open steps). */
interface Snapshots {
  live: Snapshot;
  closed: Snapshot;
}

/** The reference: every item in arrival order through one SQLite store, read while open and after its close. */
async function referenceSnapshots(workload: Workload): Promise<Snapshots> {
  const dir = mkdtempSync(join(tmpdir(), 'skein-writers-'));
  try {
    const path = join(dir, 'reference.db');
    const store = await writeReference(path, [workload.items]);
    let live: Snapshot;
    try {
      live = await snapshot(store, workload.traceIds);
    } finally {
      await store.close();
    }
    const reader = new SqliteTraceStore({ path, readonly: true });
    try {
      return { live, closed: await snapshot(reader, workload.traceIds) };
    } finally {
      await reader.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const WRITERS = 4;
/** Batches each writer has in flight at once (its pool holds as many connections). */
const LANES = 2;

/**
 * Opens four writers on a new database at once (each its own pool, like
 * four collectors) and writes batch i with writer i mod 4, all writers at
 * once, each with two batches in flight: consecutive batches, which share
 * traces and sessions, are written by different writers at the same time.
 * Then the database is read while the writers are still open, and again
 * after they have closed. No write may fail: the store does not retry, and
 * its lock order leaves no deadlock.
 *
 * With `restart`, the first writer closes halfway through its batches
 * while the others write on (a rolling restart: its close interrupts the
 * steps it left open, under the same locks), and a new store opened on the
 * database writes the rest of its batches.
 */
async function writeConcurrently(workload: Workload, batches: readonly Item[][], restart = false): Promise<Snapshots> {
  const url = await server.createDatabase();
  const writers = await Promise.all(
    Array.from({ length: WRITERS }, () => PostgresTraceStore.open({ url, poolSize: LANES })),
  );
  let live: Snapshot;
  try {
    const queues = writers.map((_, w) => batches.filter((_batch, i) => i % WRITERS === w));
    const failures: unknown[] = [];
    const lanes = async (writer: PostgresTraceStore, queue: Item[][]): Promise<void> => {
      const lane = async (): Promise<void> => {
        for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) {
          await writeBatch(writer, batch).catch((error: unknown) => failures.push(error));
        }
      };
      await Promise.all(Array.from({ length: LANES }, lane));
    };
    const first = async (): Promise<void> => {
      const later = restart ? queues[0].splice(Math.floor(queues[0].length / 2)) : [];
      await lanes(writers[0], queues[0]);
      if (!restart) return;
      await writers[0].close();
      writers[0] = await PostgresTraceStore.open({ url, poolSize: LANES });
      await lanes(writers[0], later);
    };
    await Promise.all([first(), ...writers.slice(1).map((writer, w) => lanes(writer, queues[w + 1]))]);
    expect(failures.map((error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)))).toStrictEqual([]);
    live = await snapshot(writers[0], workload.traceIds);
  } finally {
    await Promise.all(writers.map((writer) => writer.close()));
  }
  const reader = await PostgresTraceStore.open({ url, readonly: true });
  try {
    return { live, closed: await snapshot(reader, workload.traceIds) };
  } finally {
    await reader.close();
  }
}

// ---- the tests ---------------------------------------------------------------------------------------------

const SESSIONS = 30;

describe('PostgresTraceStore: concurrent writers on one database', () => {
  for (const seed of [0x5eed, 0xc0ffee]) {
    describe(`workload seed ${seed.toString(16)}`, () => {
      const workload = generateWorkload(seed, SESSIONS);
      // Computed once, on first use.
      let referenceOnce: Promise<Snapshots> | undefined;
      const reference = (): Promise<Snapshots> => (referenceOnce ??= referenceSnapshots(workload));

      it('has a workload whose result does not depend on order or batching (checked on SQLite)', async () => {
        const rng = new Prng(seed ^ 0x0bad);
        const shuffled = rng.shuffle([...workload.items]);
        const store = await writeReference(':memory:', cutBatches(shuffled, rng, 25));
        try {
          const expected = (await reference()).live;
          expectSame(expected, await snapshot(store, workload.traceIds));
          // The workload has what it is meant to exercise.
          const sessions = [...expected.sessions.values()];
          expect(sessions.length).toBeGreaterThan(SESSIONS);
          for (const status of ['completed', 'failed', 'running'] as const) {
            expect(sessions.some((session) => session.status === status)).toBe(true);
          }
          expect(sessions.some((session) => session.usageMismatch)).toBe(true);
          expect(sessions.some((session) => session.traceIds.length > 1)).toBe(true);
          expect([...expected.logs.values()].flat().filter((log) => log.sessionId !== null).length).toBeGreaterThan(20);
          // Open steps that closing the store interrupts.
          expect([...(await reference()).closed.sessions.values()].some((session) => session.status === 'interrupted')).toBe(true);
        } finally {
          await store.close();
        }
      });

      it('equals the reference when four writers write the records in arrival order, batches interleaved', async () => {
        const actual = await writeConcurrently(workload, cutBatches(workload.items, new Prng(seed ^ 1), 12));
        const expected = await reference();
        expectSame(expected.live, actual.live);
        expectSame(expected.closed, actual.closed);
      });

      it('equals the reference once closed when a writer restarts halfway (its open steps interrupted, then ended by others)', async () => {
        const actual = await writeConcurrently(workload, cutBatches(workload.items, new Prng(seed ^ 3), 12), true);
        // While open they differ by design: a step the restarted writer left open and nothing ended is interrupted.
        expectSame((await reference()).closed, actual.closed);
      });

      it('equals the reference when four writers write the records shuffled (late keys, late starts, resent batches)', async () => {
        const rng = new Prng(seed ^ 2);
        const shuffled = rng.shuffle([...workload.items]);
        const actual = await writeConcurrently(workload, cutBatches(shuffled, rng, 25, 0.1));
        const expected = await reference();
        expectSame(expected.live, actual.live);
        expectSame(expected.closed, actual.closed);
      });
    });
  }
});
