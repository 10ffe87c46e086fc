/**
 * Texts kept once (span-texts.ts, migration 010): the characters the
 * input/output/reasoning columns hold are cut out of the stored attributes
 * and put back on reading, byte for byte; through the store, the attributes
 * read back (and filtered on) are those that arrived, and the stored column
 * is smaller.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNormalizer } from '../../src/model/normalize.js';
import type { Attributes, ContentText } from '../../src/model/types.js';
import { cutTexts, restoreTexts } from '../../src/store/sqlite/span-texts.js';
import { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { makeRawSpan } from '../helpers/raw-spans.js';

const text = (value: string): ContentText => ({ text: value, originalLength: value.length, truncated: false });
const messages = (...items: Array<[string, string]>): string =>
  JSON.stringify(items.map(([role, content]) => ({ role, parts: [{ type: 'text', content }] })));

function roundTrip(attributes: Attributes, texts: Array<string | null>): { cut: Attributes; refs: number } {
  const original = structuredClone(attributes);
  const { attributes: cut, refs } = cutTexts(attributes, texts.map((t) => (t === null ? null : text(t))));
  expect(attributes).toStrictEqual(original);
  const restored = refs === undefined ? cut : restoreTexts(JSON.parse(JSON.stringify(cut)) as Attributes, refs, texts);
  expect(restored).toStrictEqual(original);
  expect(Object.keys(restored)).toStrictEqual(Object.keys(original));
  return { cut, refs: refs?.length ?? 0 };
}

describe('cutting texts out of attributes', () => {
  it('cuts a message out of a JSON messages value, with its escapes, and puts it back', () => {
    const question = 'Is "this" a refund?\tline two \\ with ünïcödé ✓ and 😀 emoji';
    const { cut, refs } = roundTrip(
      { 'gen_ai.input.messages': messages(['user', question]), other: 'kept' },
      [`user: ${question}`, null, null],
    );
    expect(refs).toBe(1);
    expect(cut['gen_ai.input.messages']).not.toContain('refund');
    expect(cut.other).toBe('kept');
  });

  it('cuts each line of a multi-message text, and a plain value equal to the text', () => {
    const a = 'first message of the conversation, long enough';
    const b = 'second message of the conversation, long enough too';
    const args = '{"query":"warranty for a battery that failed","limit":3}';
    const { refs } = roundTrip(
      { 'gen_ai.input.messages': messages(['system', a], ['user', b]), 'gen_ai.tool.call.arguments': args },
      [`system: ${a}\nuser: ${b}`, args, null],
    );
    expect(refs).toBe(3);
  });

  it('cuts output and reasoning out of the same value, and the same text twice from two values', () => {
    const answer = 'the answer that the assistant gave to the user';
    const output = JSON.stringify([{ role: 'assistant', parts: [{ type: 'reasoning', content: answer }, { type: 'text', content: answer }] }]);
    const { cut, refs } = roundTrip({ out: output, copy: answer }, [null, answer, answer]);
    expect(refs).toBe(2);
    expect((cut.out as string).length).toBeLessThan(output.length - answer.length + 1);
  });

  it('leaves short pieces, texts not found, non-string values and SQL-read keys alone', () => {
    expect(roundTrip({ a: 'short text', n: 12, list: ['a text that is long enough to be cut'] }, ['short text', 'a text that is long enough to be cut', null]).refs).toBe(0);
    const id = 'a function id that is long enough to be cut';
    expect(roundTrip({ 'ai.telemetry.functionId': id }, [id, null, null]).refs).toBe(0);
  });

  it('restores integer-like keys, which objects order first, at their place', () => {
    const long = 'a long piece of text that is in the attribute 10';
    const { refs } = roundTrip({ z: 'first', 10: `x${long}y`, 2: long }, [long, `${long}`, null]);
    expect(refs).toBe(2);
  });

  it('survives a truncated text ending in half a surrogate pair', () => {
    const content = `${'word '.repeat(10)}😀 end`;
    const cutAt = content.indexOf('😀') + 1;
    roundTrip({ 'gen_ai.input.messages': messages(['user', content]) }, [`user: ${content.slice(0, cutAt)}`, null, null]);
  });
});

describe('stored attributes with their texts kept once', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-span-texts-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the attributes back as they arrived, filters on them, and stores fewer bytes', async () => {
    const store = new SqliteTraceStore({ path: join(dir, 'traces.db') });
    try {
      const question = 'where is my refund for order 1234? it was "shipped" last week';
      const answer = 'the carrier delayed it; it arrives on Monday';
      const raw = makeRawSpan({
        attributes: {
          ...makeRawSpan().attributes,
          'gen_ai.input.messages': messages(['user', question]),
          'gen_ai.output.messages': messages(['assistant', answer]),
        },
      });
      const record = createNormalizer()(raw);
      expect(record.input?.text).toBe(`user: ${question}`);
      store.writeSync([record]);
      const [span] = (await store.getSpans({ traceId: raw.traceId })).items;
      expect(span.raw.attributes).toStrictEqual(raw.attributes);
      const filtered = await store.getSpans({ attributes: { 'gen_ai.input.messages': raw.attributes['gen_ai.input.messages'] as string } });
      expect(filtered.items.map((s) => s.spanId)).toStrictEqual([raw.spanId]);
      const stored = store.database.prepare('SELECT attributes FROM spans').pluck().get() as string;
      expect(stored).not.toContain('refund');
      expect(stored).not.toContain('carrier');
      // Keys stored once per key set: the row holds the values only.
      expect(stored).not.toContain('gen_ai.input.messages');
      const keys = store.database
        .prepare('SELECT k.text FROM spans s JOIN signal_strings k ON k.id = s.attribute_keys')
        .pluck()
        .get() as string;
      expect(JSON.parse(keys)).toStrictEqual(Object.keys(raw.attributes));
    } finally {
      store.closeSync();
    }
  });

  it('keeps a span whose attribute SQL reads by name as one JSON object', async () => {
    const store = new SqliteTraceStore({ path: join(dir, 'traces.db') });
    try {
      const raw = makeRawSpan({
        name: 'ai.generateText',
        attributes: { ...makeRawSpan().attributes, 'ai.telemetry.functionId': 'summarize-ticket-with-a-long-function-id' },
      });
      store.writeSync([createNormalizer()(raw)]);
      const id = store.database
        .prepare(`SELECT json_extract(attributes, '$."ai.telemetry.functionId"') FROM spans`)
        .pluck()
        .get();
      expect(id).toBe('summarize-ticket-with-a-long-function-id');
      expect((await store.getSpans({ traceId: raw.traceId })).items[0].raw.attributes).toStrictEqual(raw.attributes);
    } finally {
      store.closeSync();
    }
  });
});
