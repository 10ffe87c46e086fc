/**
 * Generated hostile OTLP bodies against the real collector: truncated and
 * mutated protobuf, mangled JSON, poison values, bombs and lying headers,
 * from a fixed seed so a failure repeats. Every answer must be one the OTLP
 * spec allows for bad input (200 with or without partial success, 400, 413,
 * 415), with a `google.rpc.Status` body naming the problem, never a 5xx; and
 * afterwards the collector still takes a good request and its file is sound.
 */
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import { encodeTraceRequest, readRpcStatus } from '../../../src/otlp/index.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { cleanup, tempDir } from '../../cli/serve/helpers.js';

const collectors: RunningCollector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.close()));
  await cleanup();
});

/** mulberry32: small, fast, and the same sequence for the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  label: string;
  body: Uint8Array;
  contentType: string;
  encoding?: string;
}

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

function generate(seed: number, count: number): Case[] {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const spans = () =>
    Array.from({ length: 1 + int(4) }, () =>
      makeRawSpan({
        events: [{ name: 'exception', timeUnixNano: 1_700_000_000_200_000_000n, attributes: { 'exception.message': 'boom' }, droppedAttributesCount: 0 }],
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'app.list': ['a', 1, true], 'app.map': { k: 'v' } },
      }),
    );
  const poisonJson = ['"18446744073709551615"', '1e400', '-1', '"NaN"', '[]', '{}', 'null', '"x".repeat', '9007199254740993', '"-9223372036854775809"'];
  const cases: Case[] = [];
  const mutators: Array<() => Case> = [
    () => {
      const valid = encodeTraceRequest(spans(), 'protobuf');
      const cut = int(valid.length);
      return { label: `protobuf truncated at ${cut}/${valid.length}`, body: valid.subarray(0, cut), contentType: PROTOBUF };
    },
    () => {
      const body = Uint8Array.from(encodeTraceRequest(spans(), 'protobuf'));
      const flips = 1 + int(8);
      for (let i = 0; i < flips; i++) body[int(body.length)] = int(256);
      return { label: `protobuf with ${flips} bytes changed`, body, contentType: PROTOBUF };
    },
    () => {
      const valid = encodeTraceRequest(spans(), 'protobuf');
      const at = int(valid.length);
      const junk = Uint8Array.from({ length: 1 + int(12) }, () => int(256));
      const body = new Uint8Array(valid.length + junk.length);
      body.set(valid.subarray(0, at));
      body.set(junk, at);
      body.set(valid.subarray(at), at + junk.length);
      return { label: `protobuf with ${junk.length} junk bytes inserted at ${at}`, body, contentType: PROTOBUF };
    },
    () => ({
      label: 'random bytes as protobuf',
      body: Uint8Array.from({ length: int(300) }, () => int(256)),
      contentType: PROTOBUF,
    }),
    () => {
      const text = new TextDecoder().decode(encodeTraceRequest(spans(), 'json'));
      const at = int(text.length);
      const cut = text.slice(0, at) + text.slice(at + 1 + int(5));
      return { label: `JSON with characters cut at ${at}`, body: new TextEncoder().encode(cut), contentType: JSON_TYPE };
    },
    () => {
      const text = new TextDecoder().decode(encodeTraceRequest(spans(), 'json'));
      const field = pick(['startTimeUnixNano', 'endTimeUnixNano', 'timeUnixNano', 'kind', 'code', 'intValue', 'flags', 'droppedAttributesCount']);
      const value = pick(poisonJson);
      const mangled = text.replace(new RegExp(`"${field}":("[^"]*"|[^,}\\]]*)`), `"${field}":${value}`);
      return { label: `JSON ${field} = ${value}`, body: new TextEncoder().encode(mangled), contentType: JSON_TYPE };
    },
    () => {
      const depth = 200 + int(5_000);
      return { label: `JSON nested ${depth} deep`, body: new TextEncoder().encode('{"resourceSpans":' + '['.repeat(depth) + ']'.repeat(depth) + '}'), contentType: JSON_TYPE };
    },
    () => {
      const poison = makeRawSpan({ endTimeUnixNano: 2n ** 64n - 1n });
      return { label: 'protobuf end = 2^64-1 beside a good span', body: encodeTraceRequest([poison, makeRawSpan()], 'protobuf'), contentType: PROTOBUF };
    },
    () => ({
      label: 'gzip bomb (16 MiB of zeros) as protobuf',
      body: gzipSync(Buffer.alloc(16 * 1024 * 1024)),
      contentType: PROTOBUF,
      encoding: 'gzip',
    }),
    () => ({
      label: 'says gzip, is not',
      body: encodeTraceRequest(spans(), 'protobuf'),
      contentType: PROTOBUF,
      encoding: 'gzip',
    }),
    () => ({
      label: 'unknown content encoding',
      body: encodeTraceRequest(spans(), 'protobuf'),
      contentType: PROTOBUF,
      encoding: pick(['br', 'zstd', 'x-custom']),
    }),
    () => ({
      label: 'says JSON, sends protobuf',
      body: encodeTraceRequest(spans(), 'protobuf'),
      contentType: JSON_TYPE,
    }),
  ];
  for (let i = 0; i < count; i++) cases.push(mutators[i % mutators.length]());
  return cases;
}

async function send(url: string, c: Case): Promise<{ status: number; contentType: string | null; body: Uint8Array }> {
  const headers: Record<string, string> = { 'content-type': c.contentType };
  if (c.encoding) headers['content-encoding'] = c.encoding;
  const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers, body: c.body });
  return { status: res.status, contentType: res.headers.get('content-type'), body: new Uint8Array(await res.arrayBuffer()) };
}

describe('generated hostile OTLP bodies', () => {
  it('every one gets a spec answer with a Status naming the problem; the collector stays healthy and sound', async () => {
    const dbPath = join(tempDir(), 'hostile.db');
    const collector = await startCollector({ dbPath, port: 0 });
    collectors.push(collector);
    const cases = generate(20261205, 240);
    const outcomes = new Map<number, number>();
    for (const c of cases) {
      const answer = await send(collector.url, c);
      outcomes.set(answer.status, (outcomes.get(answer.status) ?? 0) + 1);
      expect([200, 400, 413, 415], `${c.label}: ${answer.status}`).toContain(answer.status);
      if (answer.status !== 200) {
        const status = readRpcStatus(answer.body, answer.contentType);
        expect(status.message.length, `${c.label}: a Status with a message`).toBeGreaterThan(0);
        expect(status.code, c.label).toBeGreaterThan(0);
      }
    }
    // The mutations reach both sides of the decoder: some are refused, some stored or partly stored.
    expect(outcomes.get(400) ?? 0).toBeGreaterThan(20);
    expect(outcomes.get(200) ?? 0).toBeGreaterThan(10);

    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    const good = makeRawSpan();
    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': PROTOBUF },
      body: encodeTraceRequest([good], 'protobuf'),
    });
    expect(res.status).toBe(200);
    await collector.close();
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT COUNT(*) AS n FROM spans WHERE span_id = ?').get(good.spanId)).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });
});
