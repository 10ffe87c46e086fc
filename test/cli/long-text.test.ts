/**
 * Long text: the span as it arrived is kept whole (export gives it back
 * byte for byte), while the text derived for display and search is cut to
 * `maxTextLength` (`--max-text-length`, or the config file's).
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawSpan, StoredSpan } from '../../src/model/types.js';
import { decodeTraceRequest, encodeTraceRequest } from '../../src/otlp/index.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { tempDir } from '../server/query-api/seed.js';
import { cli } from './run.js';

let work: { dir: string; cleanup(): void };
beforeAll(() => {
  work = tempDir('skein-long-text-');
});
afterAll(() => work.cleanup());

/** `length` characters that are not one repeated letter (a cut at any point shows), with non-ASCII in them. */
function text(length: number, seed: string): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += `${seed}${i} é∑ `;
  return out.slice(0, length);
}

const MEGABYTE = text(1_000_000, 'rag-chunk-');
const TOOL_RESULT = text(300_000, 'row-');
const STACK = text(50_000, 'at frame ');
const NEEDLE = 'zanzibarquokka';
// The needle sits past the 4096 characters search keeps by default.
const PROMPT = `${text(20_000, 'context ')} ${NEEDLE} ${text(5_000, 'tail ')}`;
const LONG_NAME = text(6_000, 'chat-');
const LONG_STATUS = text(9_000, 'upstream said ');

function longSpans(session: string): RawSpan[] {
  const chat = makeRawSpan({
    name: LONG_NAME,
    statusCode: 2,
    statusMessage: LONG_STATUS,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.conversation.id': session,
      'app.rag.context': MEGABYTE,
      'app.list': ['short', TOOL_RESULT],
      'app.map': { nested: { deeper: STACK } },
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: PROMPT }] }]),
    },
    events: [{ name: 'exception', timeUnixNano: 1_700_000_000_200_000_000n, attributes: { 'exception.stacktrace': STACK }, droppedAttributesCount: 0 }],
    resource: { attributes: { 'service.name': 'long-agent', 'app.build.notes': TOOL_RESULT }, droppedAttributesCount: 0, schemaUrl: '' },
  });
  const tool = makeRawSpan({
    traceId: chat.traceId,
    parentSpanId: chat.spanId,
    name: 'execute_tool query_db',
    attributes: {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'query_db',
      'gen_ai.conversation.id': session,
      'gen_ai.tool.call.result': TOOL_RESULT,
    },
  });
  return [chat, tool];
}

async function ok(argv: string[]): Promise<string> {
  const result = await cli(argv);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

function exported(file: string): RawSpan[] {
  const decoded = decodeTraceRequest(readFileSync(file), 'json');
  expect(decoded.rejectedSpans).toBe(0);
  return decoded.spans.sort((a, b) => a.spanId.localeCompare(b.spanId));
}

async function stored(dbPath: string): Promise<StoredSpan[]> {
  const store = new SqliteTraceStore({ path: dbPath, readonly: true });
  try {
    return (await store.getSpans({})).items.sort((a, b) => a.spanId.localeCompare(b.spanId));
  } finally {
    await store.close();
  }
}

function chatOf(spans: RawSpan[]): RawSpan {
  const found = spans.find((s) => s.attributes['app.rag.context'] !== undefined);
  if (found === undefined) throw new Error('the chat span is missing');
  return found;
}

function stepOf(spans: StoredSpan[], stepType: StoredSpan['stepType']): StoredSpan {
  const found = spans.find((s) => s.stepType === stepType);
  if (found === undefined) throw new Error(`no ${stepType} span`);
  return found;
}

describe('long text', () => {
  it('round-trips a 1 MB attribute (and long events, resource, name, status) exactly through export and import', async () => {
    const session = 'conv-long-roundtrip';
    const source = join(work.dir, 'source.otlp.json');
    writeFileSync(source, encodeTraceRequest(longSpans(session), 'json'));
    const db1 = join(work.dir, 'first.db');
    const db2 = join(work.dir, 'second.db');
    const first = join(work.dir, 'first.otlp.json');
    const second = join(work.dir, 'second.otlp.json');

    await ok(['import', source, '--db', db1]);
    await ok(['export', session, '--format', 'otlp', '-o', first, '--db', db1]);
    await ok(['import', first, '--db', db2]);
    await ok(['export', session, '--format', 'otlp', '-o', second, '--db', db2]);

    const once = chatOf(exported(first));
    const twice = chatOf(exported(second));
    for (const raw of [once, twice]) {
      const value = raw.attributes['app.rag.context'] as string;
      expect(value.length).toBe(1_000_000);
      expect(Buffer.from(value, 'utf8').equals(Buffer.from(MEGABYTE, 'utf8'))).toBe(true);
      expect(raw.attributes['app.list']).toEqual(['short', TOOL_RESULT]);
      expect(raw.attributes['app.map']).toEqual({ nested: { deeper: STACK } });
      expect(raw.events[0].attributes['exception.stacktrace']).toBe(STACK);
      expect(raw.resource.attributes['app.build.notes']).toBe(TOOL_RESULT);
      expect(raw.name).toBe(LONG_NAME);
      expect(raw.statusMessage).toBe(LONG_STATUS);
    }
    // Every span, every field: the second export is the first.
    expect(exported(second)).toEqual(exported(first));
    expect(exported(first)).toEqual(decodeTraceRequest(readFileSync(source), 'json').spans.sort((a, b) => a.spanId.localeCompare(b.spanId)));
  });

  it('cuts only the derived text, to 4096 characters by default, keeping the original length', async () => {
    const source = join(work.dir, 'default.otlp.json');
    writeFileSync(source, encodeTraceRequest(longSpans('conv-long-default'), 'json'));
    const db = join(work.dir, 'default.db');
    await ok(['import', source, '--db', db]);
    const spans = await stored(db);
    const chat = stepOf(spans, 'llm');
    const tool = stepOf(spans, 'tool');
    expect(chat.input?.truncated).toBe(true);
    expect(chat.input?.text.length).toBe(4096);
    // The transcript form: `user: <prompt>`.
    expect(chat.input?.originalLength).toBe('user: '.length + PROMPT.length);
    expect(chat.name).toBe(LONG_NAME.slice(0, 4096));
    expect(chat.statusMessage).toBe(LONG_STATUS.slice(0, 4096));
    expect(chat.truncatedLengths).toEqual({ name: LONG_NAME.length, statusMessage: LONG_STATUS.length });
    // The span as it arrived is whole.
    expect(chat.raw.attributes['app.rag.context']).toBe(MEGABYTE);
    expect(chat.raw.name).toBe(LONG_NAME);
    expect(tool.output?.originalLength).toBe(TOOL_RESULT.length);
    expect(tool.raw.attributes['gen_ai.tool.call.result']).toBe(TOOL_RESULT);
    // Search reads the cut text: the needle past 4096 characters is not found.
    const hits = JSON.parse(await ok(['search', NEEDLE, '--db', db, '--json'])) as { hits: unknown[] };
    expect(hits.hits).toHaveLength(0);
  });

  it('keeps as much derived text as --max-text-length says, and search finds it', async () => {
    const source = join(work.dir, 'limit.otlp.json');
    writeFileSync(source, encodeTraceRequest(longSpans('conv-long-limit'), 'json'));
    const db = join(work.dir, 'limit.db');
    await ok(['import', source, '--db', db, '--max-text-length', '65536']);
    const chat = stepOf(await stored(db), 'llm');
    expect(chat.input?.truncated).toBe(false);
    expect(chat.input?.text).toBe(`user: ${PROMPT}`);
    expect(chat.name).toBe(LONG_NAME);
    const hits = JSON.parse(await ok(['search', NEEDLE, '--db', db, '--json'])) as { hits: { spanId: string }[] };
    expect(hits.hits.map((h) => h.spanId)).toEqual([chat.spanId]);
  });

  it('takes maxTextLength from the config file; the flag wins over it', async () => {
    const config = join(work.dir, 'limit.config.json');
    writeFileSync(config, JSON.stringify({ maxTextLength: 1000 }));
    const source = join(work.dir, 'config.otlp.json');
    writeFileSync(source, encodeTraceRequest(longSpans('conv-long-config'), 'json'));
    const fromConfig = join(work.dir, 'config.db');
    await ok(['import', source, '--db', fromConfig, '--config', config]);
    expect(stepOf(await stored(fromConfig), 'llm').input?.text.length).toBe(1000);
    const fromFlag = join(work.dir, 'flag.db');
    await ok(['import', source, '--db', fromFlag, '--config', config, '--max-text-length', '2000']);
    expect(stepOf(await stored(fromFlag), 'llm').input?.text.length).toBe(2000);
  });

  it('refuses a --max-text-length that is not a positive whole number', async () => {
    const source = join(work.dir, 'bad-flag.otlp.json');
    writeFileSync(source, encodeTraceRequest(longSpans('conv-long-bad'), 'json'));
    for (const value of ['0', '-5', '1.5', 'lots']) {
      const result = await cli(['import', source, '--db', join(work.dir, 'bad-flag.db'), `--max-text-length=${value}`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`--max-text-length must be a positive integer, got '${value}'`);
    }
  });
});
