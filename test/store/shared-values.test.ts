/**
 * Long attribute values stored once per database (span-values.ts, migration
 * 012): they read back exactly through every read, two spans share one stored
 * value, the counts of refs follow re-delivery, an open step ended, session
 * deletion and retention, the attribute filter matches on the whole value,
 * and a version 11 file written by the code before keeps reading as it did.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNormalizer } from '../../src/model/normalize.js';
import type { RawSpan, SpanRecord } from '../../src/model/types.js';
import { SCHEMA_VERSION, SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { SPAN_ROW_SELECT, rowToStoredSpan } from '../../src/store/sqlite/span-row.js';
import type { SpanRow } from '../../src/store/sqlite/span-row.js';
import { SHARED_MIN_LENGTH } from '../../src/store/sqlite/span-values.js';
import { AT, SYSTEM, TOOLS_A, TOOLS_B, UNDER, longText, longValueSpans } from '../fixtures/store/shared-values-data.js';

const FIXTURES = new URL('../fixtures/store/', import.meta.url);
const normalize = createNormalizer();

describe('long attribute values stored once', () => {
  let dir: string;
  let store: SqliteTraceStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-shared-values-'));
    store = new SqliteTraceStore({ path: join(dir, 'traces.db') });
  });
  afterEach(() => {
    store.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  const RECENT = longText('recent', 2000);
  const NAMES = new Map([[SYSTEM, 'SYSTEM'], [TOOLS_A, 'TOOLS_A'], [TOOLS_B, 'TOOLS_B'], [AT, 'AT'], [RECENT, 'RECENT']]);
  /**
   * The stored values in id order, with their counts of refs, named; one
   * that is not a whole value is named by the attribute holding it (the
   * system instructions, less the lines the input text holds: span-texts.ts).
   */
  const values = (): Array<{ refs: number; value: string }> =>
    (
      store.database
        .prepare(`SELECT v.refs, t.value, (SELECT group_concat(DISTINCT json_extract(k.text, '$[' || json_extract(j.value, '$[0]') || ']'))
            FROM spans s JOIN signal_strings k ON k.id = s.attribute_keys, json_each(s.raw, '$.lv') j
            WHERE json_extract(j.value, '$[1]') = v.id) AS key
          FROM span_values v JOIN span_value_texts t ON t.id = v.id ORDER BY v.id`)
        .all() as Array<{ refs: number; value: string; key: string }>
    ).map(({ refs, value, key }) => ({ refs, value: NAMES.get(value) ?? `cut ${key}` }));
  const counts = (): { values: number; texts: number } => ({
    values: store.database.prepare('SELECT count(*) FROM span_values').pluck().get() as number,
    texts: store.database.prepare('SELECT count(*) FROM span_value_texts').pluck().get() as number,
  });
  const spanOf = async (raw: RawSpan) =>
    (await store.getSpans({ traceId: raw.traceId })).items.find((span) => span.spanId === raw.spanId);

  it('reads every span back exactly, from a page, a one-row read and the filter, each long value stored once', async () => {
    const raws = longValueSpans();
    store.writeSync(raws.map(normalize));
    for (const raw of raws) expect((await spanOf(raw))?.raw.attributes).toStrictEqual(raw.attributes);
    // The change feed's one-row read resolves them in its statement.
    const row = store.database
      .prepare(`SELECT ${SPAN_ROW_SELECT} WHERE s.trace_id = ? AND s.span_id = ?`)
      .safeIntegers(true)
      .get(raws[2].traceId, raws[2].spanId) as SpanRow;
    expect(rowToStoredSpan(row).raw.attributes).toStrictEqual(raws[2].attributes);
    // The system instructions on five spans, TOOLS_A on three, TOOLS_B on two, AT on one; UNDER stays in its row.
    expect(UNDER.length).toBe(SHARED_MIN_LENGTH - 1);
    expect(values()).toStrictEqual([
      { refs: 5, value: 'cut gen_ai.system_instructions' },
      { refs: 3, value: 'TOOLS_A' },
      { refs: 1, value: 'AT' },
      { refs: 2, value: 'TOOLS_B' },
    ]);
    const stored = store.database.prepare('SELECT attributes FROM spans').pluck().all() as string[];
    expect(stored.some((text) => text.includes('system instructions:'))).toBe(false);
    expect(stored.filter((text) => text.includes('under:'))).toHaveLength(1);
  });

  it('filters on a shared value by its whole text, and not on another of the same length', async () => {
    const raws = longValueSpans();
    store.writeSync(raws.map(normalize));
    const ids = async (attributes: Record<string, string>) =>
      (await store.getSpans({ attributes })).items.map((span) => span.spanId).sort();
    expect(await ids({ 'gen_ai.tool.definitions': TOOLS_B })).toStrictEqual([raws[3].spanId, raws[4].spanId].sort());
    expect(await ids({ 'gen_ai.system_instructions': SYSTEM, 'app.note': AT })).toStrictEqual([raws[2].spanId]);
    const almost = `${SYSTEM.slice(0, -1)}!`;
    expect(await ids({ 'gen_ai.system_instructions': almost })).toStrictEqual([]);
  });

  it('shares the values of a span kept as one JSON object (an attribute SQL reads by name), which SQL still reads', async () => {
    const [call] = longValueSpans();
    const raw: RawSpan = {
      ...call,
      name: 'ai.generateText',
      attributes: { 'ai.telemetry.functionId': 'summarize', 'ai.prompt.tools': TOOLS_A, 'ai.model.id': 'gemini-2.5-pro' },
    };
    store.writeSync([normalize(raw)]);
    expect(values()).toStrictEqual([{ refs: 1, value: 'TOOLS_A' }]);
    const stored = store.database
      .prepare(`SELECT attribute_keys, json_extract(attributes, '$."ai.telemetry.functionId"') AS id FROM spans`)
      .get() as { attribute_keys: number | null; id: string };
    expect(stored).toStrictEqual({ attribute_keys: null, id: 'summarize' });
    expect((await spanOf(raw))?.raw.attributes).toStrictEqual(raw.attributes);
    const filtered = await store.getSpans({ attributes: { 'ai.prompt.tools': TOOLS_A, 'ai.model.id': 'gemini-2.5-pro' } });
    expect(filtered.items.map((span) => span.spanId)).toStrictEqual([raw.spanId]);
  });

  it('counts a span delivered again, or open then ended, once; drops a value a rewrite no longer holds', () => {
    const [first, second] = longValueSpans();
    const ended = normalize(first);
    const open: SpanRecord = { ...ended, endTimeUnixNano: null, raw: { ...ended.raw, endTimeUnixNano: null } };
    store.writeSync([open]);
    store.writeSync([ended]);
    store.writeSync([ended]);
    store.writeSync([normalize(second), normalize(second)]);
    expect(values().map((v) => v.refs)).toStrictEqual([2, 2]);
    // The same span again with other tool definitions: TOOLS_A keeps the other span's ref, TOOLS_B is new.
    store.writeSync([normalize({ ...first, attributes: { ...first.attributes, 'gen_ai.tool.definitions': TOOLS_B } })]);
    expect(values()).toStrictEqual([
      { refs: 2, value: 'cut gen_ai.system_instructions' },
      { refs: 1, value: 'TOOLS_A' },
      { refs: 1, value: 'TOOLS_B' },
    ]);
    store.writeSync([normalize({ ...second, attributes: { ...second.attributes, 'gen_ai.tool.definitions': 'short now' } })]);
    expect(values().map((v) => v.value)).toStrictEqual(['cut gen_ai.system_instructions', 'TOOLS_B']);
  });

  it('keeps a value another session holds when one is deleted, and deletes it with the last', async () => {
    const raws = longValueSpans();
    store.writeSync(raws.map(normalize));
    await store.deleteSession('gem-a');
    expect(values()).toStrictEqual([
      { refs: 2, value: 'cut gen_ai.system_instructions' },
      { refs: 2, value: 'TOOLS_B' },
    ]);
    expect((await spanOf(raws[4]))?.raw.attributes).toStrictEqual(raws[4].attributes);
    await store.deleteSession('gem-b');
    expect(counts()).toStrictEqual({ values: 0, texts: 0 });
  });

  it('deletes the values of the sessions retention drops', async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const old = longValueSpans().map((raw, i) => ({
      ...raw,
      startTimeUnixNano: now - 10n ** 15n + BigInt(i),
      endTimeUnixNano: now - 10n ** 15n + BigInt(i) + 1n,
    }));
    const recent = { ...old[0], traceId: 'f'.repeat(32), attributes: { ...old[0].attributes, 'gen_ai.conversation.id': 'gem-c', 'gen_ai.tool.definitions': RECENT }, startTimeUnixNano: now, endTimeUnixNano: now + 1n };
    store.writeSync([...old, recent].map(normalize));
    const result = await store.applyRetention({ maxAgeMillis: 1000 });
    expect(result.sessionsDeleted).toBe(2);
    expect(values()).toStrictEqual([
      { refs: 1, value: 'cut gen_ai.system_instructions' },
      { refs: 1, value: 'RECENT' },
    ]);
    await store.applyRetention({ maxAgeMillis: 1000, maxSessions: 0 });
    expect(counts()).toStrictEqual({ values: 0, texts: 0 });
  });
});

describe('a version 11 file with long values', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-012-'));
    path = join(dir, 'traces.db');
    writeFileSync(path, gunzipSync(readFileSync(new URL('v11-long-values.db.gz', FIXTURES))));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('upgrades in place: its rows read back as written, and share their values once written again', async () => {
    const raws = longValueSpans();
    const store = new SqliteTraceStore({ path });
    try {
      expect(store.database.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const read = async () => (await store.getSpans({ limit: 10 })).items.map((span) => span.raw.attributes);
      const expected = [...raws].reverse().map((raw) => raw.attributes);
      expect(await read()).toStrictEqual(expected);
      expect((await store.getSpans({ attributes: { 'gen_ai.tool.definitions': TOOLS_A } })).items).toHaveLength(3);
      expect(store.database.prepare('SELECT count(*) FROM span_values').pluck().get()).toBe(0);
      // Delivered again: the rows take the new format, read the same, and hold each value once.
      store.writeSync(raws.map(normalize));
      expect(await read()).toStrictEqual(expected);
      expect(store.database.prepare('SELECT count(*) FROM span_values').pluck().get()).toBe(4);
      await store.deleteSession('gem-a');
      await store.deleteSession('gem-b');
      expect(store.database.prepare('SELECT count(*) FROM span_value_texts').pluck().get()).toBe(0);
    } finally {
      store.closeSync();
    }
  });
});
