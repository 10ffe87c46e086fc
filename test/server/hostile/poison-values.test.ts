/**
 * Values a hostile (or broken) exporter can put in a valid OTLP request, sent
 * through the real collector: nothing may fail a commit that other clients
 * share, and what Skein cannot keep faithfully is refused per span with
 * `partial_success` naming the field, in protobuf and JSON alike.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import type { RawSpan } from '../../../src/model/types.js';
import { opentelemetry } from '../../oracle/otlp/generated/otlp.js';
import { encodeTraceRequest } from '../../../src/otlp/index.js';
import type { OtlpFormat } from '../../../src/otlp/index.js';
import { SqliteTraceStore } from '../../../src/store/sqlite/sqlite-trace-store.js';
import { hexId, makeRawSpan } from '../../helpers/raw-spans.js';
import { cleanup, parseMetrics, readAllSpans, tempDir } from '../../cli/serve/helpers.js';

const ExportTraceServiceResponse = opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;
const START = 1_700_000_000_000_000_000n;

const collectors: RunningCollector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.close()));
  await cleanup();
});

async function start(options: Partial<Parameters<typeof startCollector>[0]> = {}) {
  const dbPath = join(tempDir(), 'skein.db');
  const collector = await startCollector({ dbPath, port: 0, interruptAfterMillis: 0, ...options });
  collectors.push(collector);
  return collector;
}

interface Answer {
  status: number;
  /** partial_success, or null when the response has none. */
  partial: { rejectedSpans: number; errorMessage: string } | null;
  text: string;
}

async function post(url: string, body: Uint8Array | string, format: OtlpFormat): Promise<Answer> {
  const response = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': format === 'json' ? 'application/json' : 'application/x-protobuf' },
    body,
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = Buffer.from(bytes).toString('utf8');
  if (response.status !== 200) return { status: response.status, partial: null, text };
  if (format === 'json') {
    const json = JSON.parse(text) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } };
    const p = json.partialSuccess;
    return {
      status: 200,
      partial: p ? { rejectedSpans: Number(p.rejectedSpans ?? 0), errorMessage: p.errorMessage ?? '' } : null,
      text,
    };
  }
  const p = ExportTraceServiceResponse.decode(bytes).partialSuccess;
  return {
    status: 200,
    partial: p ? { rejectedSpans: Number(p.rejectedSpans ?? 0), errorMessage: p.errorMessage ?? '' } : null,
    text,
  };
}

// ---- a request written field by field, so any value can be sent --------------------------------------------

/** What a crafted span carries; numbers go on the wire exactly as given (varints as unsigned 64-bit). */
interface Crafted {
  traceId?: string;
  spanId?: string;
  name?: string;
  kind?: bigint;
  start?: bigint;
  end?: bigint;
  attributes?: Record<string, string | number>;
  droppedAttributesCount?: bigint;
  events?: Array<{ name: string; time: bigint }>;
  statusCode?: bigint;
}

function crafted(overrides: Crafted = {}): Required<Crafted> {
  return {
    traceId: hexId(16),
    spanId: hexId(8),
    name: 'step',
    kind: 1n,
    start: START,
    end: START + 1_000_000n,
    attributes: {},
    droppedAttributesCount: 0n,
    events: [],
    statusCode: 0n,
    ...overrides,
  };
}

function varint(value: bigint): number[] {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const key = (field: number, wireType: number): number[] => varint(BigInt((field << 3) | wireType));
const len = (field: number, bytes: readonly number[]): number[] => [...key(field, 2), ...varint(BigInt(bytes.length)), ...bytes];
const str = (field: number, text: string): number[] => len(field, [...Buffer.from(text, 'utf8')]);
const fixed64 = (field: number, value: bigint): number[] => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, value));
  return [...key(field, 1), ...b];
};
const varintField = (field: number, value: bigint): number[] => [...key(field, 0), ...varint(value)];

function anyValue(value: string | number): number[] {
  return typeof value === 'string' ? str(1, value) : varintField(3, BigInt(value));
}

function protobufSpan(s: Required<Crafted>): number[] {
  const out = [
    ...len(1, [...Buffer.from(s.traceId, 'hex')]),
    ...len(2, [...Buffer.from(s.spanId, 'hex')]),
    ...str(5, s.name),
    ...varintField(6, s.kind),
    ...fixed64(7, s.start),
    ...fixed64(8, s.end),
  ];
  for (const [k, v] of Object.entries(s.attributes)) out.push(...len(9, [...str(1, k), ...len(2, anyValue(v))]));
  out.push(...varintField(10, s.droppedAttributesCount));
  for (const e of s.events) out.push(...len(11, [...fixed64(1, e.time), ...str(2, e.name)]));
  out.push(...len(15, varintField(3, s.statusCode)));
  return out;
}

function protobufRequest(spans: Array<Required<Crafted>>): Uint8Array {
  const scopeSpans = len(2, spans.flatMap((s) => len(2, protobufSpan(s))));
  return new Uint8Array(len(1, scopeSpans));
}

/** 64-bit values are sent as JSON numbers with all their digits, as the OTLP/JSON examples do. */
function jsonRequest(spans: Array<Required<Crafted>>): string {
  const span = (s: Required<Crafted>): string =>
    `{"traceId":"${s.traceId}","spanId":"${s.spanId}","name":${JSON.stringify(s.name)},"kind":${s.kind},` +
    `"startTimeUnixNano":${s.start},"endTimeUnixNano":${s.end},` +
    `"attributes":[${Object.entries(s.attributes)
      .map(([k, v]) => `{"key":${JSON.stringify(k)},"value":${typeof v === 'string' ? `{"stringValue":${JSON.stringify(v)}}` : `{"intValue":${v}}`}}`)
      .join(',')}],` +
    `"droppedAttributesCount":${s.droppedAttributesCount},` +
    `"events":[${s.events.map((e) => `{"timeUnixNano":${e.time},"name":${JSON.stringify(e.name)}}`).join(',')}],` +
    `"status":{"code":${s.statusCode}}}`;
  return `{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"hostile"},"spans":[${spans.map(span).join(',')}]}]}]}`;
}

const FORMATS: OtlpFormat[] = ['protobuf', 'json'];
const body = (format: OtlpFormat, spans: Array<Required<Crafted>>): Uint8Array | string =>
  format === 'json' ? jsonRequest(spans) : protobufRequest(spans);

/** Sends one bad span between two good ones and checks that only the bad one is refused, naming `field`. */
async function expectRejectedAlone(format: OtlpFormat, bad: Crafted, field: string | RegExp) {
  const collector = await start();
  const good = [crafted({ name: 'good-1' }), crafted({ name: 'good-2' })];
  const poison = crafted({ name: 'bad', ...bad });
  const answer = await post(collector.url, body(format, [good[0], poison, good[1]]), format);
  expect(answer.status, answer.text).toBe(200);
  expect(answer.partial?.rejectedSpans).toBe(1);
  expect(answer.partial?.errorMessage).toMatch(field);
  expect(answer.partial?.errorMessage).toContain('resourceSpans[0].scopeSpans[0].spans[1]');
  const stored = await readAllSpans(collector.dbPath);
  expect(stored.map((s) => s.name).sort()).toEqual(['good-1', 'good-2']);
  return answer;
}

describe.each(FORMATS)('times the store cannot hold (%s)', (format) => {
  it('end = 2^64-1 is rejected for that span alone, naming the field, never retried', async () => {
    const answer = await expectRejectedAlone(format, { end: U64_MAX }, /endTimeUnixNano 18446744073709551615/);
    expect(answer.partial?.errorMessage).toContain('2^63-1');
  });

  it('start = 2^63 is rejected naming startTimeUnixNano', async () => {
    await expectRejectedAlone(format, { start: I64_MAX + 1n, end: U64_MAX }, /startTimeUnixNano 9223372036854775808/);
  });

  it('an event time of 2^64-1 is rejected naming the event', async () => {
    await expectRejectedAlone(format, { events: [{ name: 'ok', time: START }, { name: 'late', time: U64_MAX }] }, /events\[1\]\.timeUnixNano/);
  });

  it('2^63-1 itself is the last time kept', async () => {
    const collector = await start();
    const span = crafted({ name: 'edge', start: START, end: I64_MAX });
    const answer = await post(collector.url, body(format, [span]), format);
    expect(answer).toMatchObject({ status: 200, partial: null });
    const [stored] = await readAllSpans(collector.dbPath);
    expect(stored.endTimeUnixNano).toBe(I64_MAX);
  });
});

describe.each(FORMATS)('enums and counts out of range are rejected like any bad enum (%s)', (format) => {
  it('kind = 2^63 is rejected as kind = 99 is', async () => {
    await expectRejectedAlone(format, { kind: 1n << 63n }, /kind -?9223372036854775808 is not a SpanKind/);
    await collectors.pop()!.close();
    await expectRejectedAlone(format, { kind: 99n }, /kind 99 is not a SpanKind/);
  });

  it('a status code of 2^32 + 1 is not status 1', async () => {
    await expectRejectedAlone(format, { statusCode: (1n << 32n) + 1n }, /status code 4294967297 is not a StatusCode/);
  });

  it('a dropped count beyond 32 bits is rejected, naming it', async () => {
    await expectRejectedAlone(format, { droppedAttributesCount: 1n << 40n }, /droppedAttributesCount 1099511627776/);
  });
});

describe.each(FORMATS)('end before start (%s)', (format) => {
  it('is kept with its duration clamped to zero; the span as sent keeps its end', async () => {
    const collector = await start();
    const hourNs = 3_600_000_000_000n;
    const span = crafted({
      name: 'skewed',
      start: START,
      end: START - hourNs,
      attributes: { 'gen_ai.conversation.id': `skew-${format}` },
    });
    const answer = await post(collector.url, body(format, [span]), format);
    expect(answer).toMatchObject({ status: 200, partial: null });
    const [stored] = await readAllSpans(collector.dbPath);
    expect(stored.startTimeUnixNano).toBe(START);
    expect(stored.endTimeUnixNano).toBe(START);
    expect(stored.raw.endTimeUnixNano).toBe(START - hourNs);
    expect(stored.counts.coerced).toBeGreaterThanOrEqual(1);
    const session = await collector.store.getSession(`skew-${format}`);
    expect(session.lastEndUnixNano! - session.firstStartUnixNano).toBe(0n);
    const sessions = await collector.store.listSessions();
    expect(sessions.items.map((s) => s.lastEndUnixNano! - s.firstStartUnixNano)).toEqual([0n]);
  });
});

describe.each(FORMATS)('session ids are never cut (%s)', (format) => {
  it('an id longer than maxTextLength is kept whole: the original id finds its session, and two such ids stay apart', async () => {
    const collector = await start({ normalize: { maxTextLength: 100 } });
    const common = 's'.repeat(150);
    const a = crafted({ name: 'a', attributes: { 'gen_ai.conversation.id': `${common}-a` } });
    const b = crafted({ name: 'b', attributes: { 'gen_ai.conversation.id': `${common}-b` } });
    expect(await post(collector.url, body(format, [a, b]), format)).toMatchObject({ status: 200, partial: null });
    expect((await collector.store.getSession(`${common}-a`)).spanCount).toBe(1);
    expect((await collector.store.getSession(`${common}-b`)).spanCount).toBe(1);
    const byApi = await fetch(`${collector.url}/api/sessions/${encodeURIComponent(`${common}-a`)}`);
    expect(byApi.status).toBe(200);
  });

  it('an id over 4,096 characters is rejected, naming the attribute; 4,096 is kept', async () => {
    const collector = await start();
    const longest = crafted({ name: 'longest', attributes: { 'session.id': 'k'.repeat(4096) } });
    const tooLong = crafted({ name: 'too-long', attributes: { 'session.id': 'k'.repeat(4097) } });
    const answer = await post(collector.url, body(format, [longest, tooLong]), format);
    expect(answer.status).toBe(200);
    expect(answer.partial?.rejectedSpans).toBe(1);
    expect(answer.partial?.errorMessage).toContain('spans[1]: attributes["session.id"] is 4097 characters long');
    const stored = await readAllSpans(collector.dbPath);
    expect(stored.map((s) => [s.name, s.sessionId?.length])).toEqual([['longest', 4096]]);
  });
});

describe('token counts and costs that would overflow a session total', () => {
  it('huge token counts are dropped from usage, never fail the commit', async () => {
    const collector = await start();
    const huge = 2 ** 52;
    const spans: RawSpan[] = Array.from({ length: 1100 }, () =>
      makeRawSpan({
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.conversation.id': 'tokens',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': huge,
          'gen_ai.usage.output_tokens': huge,
        },
      }),
    );
    const answer = await post(collector.url, encodeTraceRequest(spans, 'protobuf'), 'protobuf');
    expect(answer.status, answer.text).toBe(200);
    const session = await collector.store.getSession('tokens');
    expect(session.spanCount).toBe(1100);
    expect(session.tokens.input).toBe(0);
    const [one] = (await collector.store.getSpans({ limit: 1 })).items;
    expect(one.usage.input).toBeUndefined();
    expect(one.raw.attributes['gen_ai.usage.input_tokens']).toBe(huge);
    expect(one.counts.dropped).toBeGreaterThanOrEqual(2);
  });

  it('a supplied cost near the largest double is dropped: the session total stays a finite number', async () => {
    const collector = await start();
    const spans = [1, 2].map(() =>
      makeRawSpan({
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.conversation.id': 'costly', 'llm.cost.total': 1.5e308 },
      }),
    );
    expect((await post(collector.url, encodeTraceRequest(spans, 'json'), 'json')).status).toBe(200);
    const session = await collector.store.getSession('costly');
    expect(session.spanCount).toBe(2);
    expect(Number.isFinite(session.costUsd)).toBe(true);
  });
});

describe('a commit that fails only because of one request', () => {
  /**
   * A store that refuses one marked span: a trigger in the real database file.
   * After the per-span checks no value reaches the store that it cannot hold;
   * this stands for whatever might still.
   */
  async function collectorWithPoisonTrigger() {
    const dir = tempDir();
    const dbPath = join(dir, 'skein.db');
    await new SqliteTraceStore({ path: dbPath }).close();
    const db = new Database(dbPath);
    db.exec(`CREATE TRIGGER refuse_poison BEFORE INSERT ON spans WHEN NEW.name = 'poison'
             BEGIN SELECT RAISE(ABORT, 'the store refuses this span'); END`);
    db.close();
    const collector = await startCollector({ dbPath, port: 0, interruptAfterMillis: 0 });
    collectors.push(collector);
    return collector;
  }

  async function pendingSpans(url: string): Promise<number> {
    const metrics = parseMetrics(await (await fetch(`${url}/metrics`)).text());
    return metrics.get('skein_ingest_pending_spans') ?? -1;
  }

  it.each(FORMATS)("fails that request only: another client's request in the same commit is stored (%s)", async (format) => {
    const collector = await collectorWithPoisonTrigger();
    // Hold the write lock so that the poison and the innocent request queue up behind a first commit and are
    // then committed together, as concurrent clients' requests are.
    const lock = new Database(collector.dbPath);
    lock.exec('BEGIN IMMEDIATE');
    let locked = true;
    try {
      const first = post(collector.url, body(format, [crafted({ name: 'first' })]), format);
      while ((await pendingSpans(collector.url)) < 1) await new Promise((r) => setTimeout(r, 5));
      const poison = post(collector.url, body(format, [crafted({ name: 'poison' }), crafted({ name: 'with-poison' })]), format);
      const innocent = post(collector.url, body(format, [crafted({ name: 'innocent-1' }), crafted({ name: 'innocent-2' })]), format);
      while ((await pendingSpans(collector.url)) < 5) await new Promise((r) => setTimeout(r, 5));
      lock.exec('COMMIT');
      locked = false;
      expect((await first).status).toBe(200);
      const innocentAnswer = await innocent;
      expect(innocentAnswer.status, innocentAnswer.text).toBe(200);
      const poisonAnswer = await poison;
      expect(poisonAnswer.text).not.toMatch(/retry/i);
      // Permanent: 400, no Retry-After, so the client does not send it again.
      expect(poisonAnswer.status).toBe(400);
      expect(poisonAnswer.text).toContain('the store refuses this span');
    } finally {
      if (locked) lock.exec('ROLLBACK');
      lock.close();
    }
    expect(await pendingSpans(collector.url)).toBe(0);
    const stored = await readAllSpans(collector.dbPath);
    expect(stored.map((s) => s.name).sort()).toEqual(['first', 'innocent-1', 'innocent-2']);
  });
});
