/**
 * A batch that holds several records of one span (the processor's open record
 * and its ended one, duplicate deliveries) writes only the last of them. These
 * tests hold that shortcut to the plain rule: one batch must leave the store
 * exactly as writing the same records one call at a time does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContentText, SpanRecord } from '../../src/model/types.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { BASE_TIME_UNIX_NANO, SECOND, makeLlmRecord, makeRecord, newTraceId, opened } from '../helpers/records.js';

const text = (value: string): ContentText => ({ text: value, originalLength: value.length, truncated: false });

interface Snapshot {
  spans: unknown[];
  sessions: unknown[];
  models: unknown[];
  hits: Record<string, string[]>;
}

const WORDS = ['question', 'draft', 'answer', 'rewritten', 'lookup'];

async function snapshot(store: SqliteTraceStore, traceIds: string[]): Promise<Snapshot> {
  const spans: unknown[] = [];
  for (const traceId of traceIds) spans.push(...(await store.getSpans({ traceId, limit: 500 })).items);
  const sessions = (await store.listSessions({ limit: 100 })).items;
  const models: unknown[] = [];
  for (const session of sessions) models.push(await store.getSessionModels(session.sessionId));
  const hits: Record<string, string[]> = {};
  for (const word of WORDS) hits[word] = (await store.search({ text: word })).map((h) => `${h.sessionId}/${h.spanId}`);
  return { spans, sessions, models, hits };
}

/** Throws when the full-text index disagrees with the spans it indexes. */
function checkFts(store: SqliteTraceStore): void {
  store.database.prepare("INSERT INTO spans_fts (spans_fts, rank) VALUES ('integrity-check', 1)").run();
}

describe('SqliteTraceStore batches with several records of one span', () => {
  let dir: string;
  let oneBatch: SqliteTraceStore;
  let oneByOne: SqliteTraceStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-batch-'));
    oneBatch = new SqliteTraceStore({ path: join(dir, 'batch.db') });
    oneByOne = new SqliteTraceStore({ path: join(dir, 'single.db') });
  });
  afterEach(async () => {
    await oneBatch.close();
    await oneByOne.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function expectSameAsOneByOne(records: SpanRecord[]): Promise<Snapshot> {
    oneBatch.writeSync(records);
    for (const record of records) oneByOne.writeSync([record]);
    checkFts(oneBatch);
    checkFts(oneByOne);
    const traceIds = [...new Set(records.map((r) => r.traceId))];
    const batched = await snapshot(oneBatch, traceIds);
    expect(batched).toStrictEqual(await snapshot(oneByOne, traceIds));
    return batched;
  }

  it('writes a step opened and ended in one batch as ended, with its final text searchable', async () => {
    const traceId = newTraceId();
    const done = makeLlmRecord({
      traceId,
      sessionId: 's1',
      input: text('question about shipping'),
      output: text('answer with tracking'),
    });
    const open = { ...opened(done), usage: {}, cost: null, output: text('draft reply') };
    const result = await expectSameAsOneByOne([open, done]);
    expect(result.sessions).toMatchObject([{ sessionId: 's1', status: 'completed', openCount: 0, llmCallCount: 1 }]);
    expect(result.hits.draft).toStrictEqual([]);
    expect(result.hits.answer).toStrictEqual([`s1/${done.spanId}`]);
  });

  it('keeps the end when the open record arrives after it in the same batch', async () => {
    const done = makeRecord({ sessionId: 's1', output: text('answer') });
    const late = { ...opened(done), output: text('draft') };
    const result = await expectSameAsOneByOne([done, late]);
    expect(result.spans).toMatchObject([{ spanId: done.spanId, endTimeUnixNano: done.endTimeUnixNano }]);
    expect(result.hits.draft).toStrictEqual([]);
  });

  it('keeps the last of several ended deliveries, and an open one after them changes nothing', async () => {
    const first = makeRecord({ sessionId: 's1', output: text('draft'), isError: true });
    const second = { ...first, output: text('rewritten'), isError: false };
    const result = await expectSameAsOneByOne([first, opened(first), second, opened(second)]);
    expect(result.sessions).toMatchObject([{ sessionId: 's1', errorCount: 0, spanCount: 1 }]);
    expect(result.hits.rewritten).toStrictEqual([`s1/${first.spanId}`]);
  });

  it('resolves sessions in arrival order even when the record that brought a key is replaced', async () => {
    const traceId = newTraceId();
    const start = BASE_TIME_UNIX_NANO;
    const root = makeRecord({ traceId, sessionId: 'first-key', startTimeUnixNano: start, endTimeUnixNano: start + 9n * SECOND });
    // The root's open record brings the trace its key; a sibling's other key arrives before the root ends.
    const rootOpen = opened(root);
    const sibling = makeRecord({ traceId, sessionId: 'second-key', startTimeUnixNano: start + SECOND, input: text('lookup') });
    const child = makeLlmRecord({ traceId, parentSpanId: root.spanId, startTimeUnixNano: start + 2n * SECOND });
    const result = await expectSameAsOneByOne([rootOpen, child, sibling, root]);
    const sessionOf = new Map(
      (result.spans as { spanId: string; resolvedSessionId: string }[]).map((s) => [s.spanId, s.resolvedSessionId]),
    );
    expect(sessionOf.get(child.spanId)).toBe('first-key');
    expect(sessionOf.get(sibling.spanId)).toBe('second-key');
    expect(sessionOf.get(root.spanId)).toBe('first-key');
  });

  it('ignores an open record after an ended one already stored, even when a later record replaces it', async () => {
    const done = makeRecord({ sessionId: 's1', output: text('answer') });
    oneBatch.writeSync([done]);
    oneByOne.writeSync([done]);
    const moved = { ...opened(done), sessionId: 's2' };
    const result = await expectSameAsOneByOne([moved, opened(done)]);
    expect(result.sessions).toMatchObject([{ sessionId: 's1', status: 'completed' }]);
  });

  it('re-indexes text only when it changed, and the index stays exact either way', async () => {
    const record = makeRecord({ sessionId: 's1', input: text('question'), output: text('answer') });
    oneBatch.writeSync([record]);
    const fts = (): number =>
      (oneBatch.database.prepare('SELECT count(*) AS n FROM spans_fts_data').get() as { n: number }).n;
    const before = fts();
    oneBatch.writeSync([record]);
    oneBatch.writeSync([{ ...record, statusMessage: 'same text, other status' }]);
    expect(fts()).toBe(before);
    checkFts(oneBatch);
    oneBatch.writeSync([{ ...record, output: text('rewritten') }]);
    expect(fts()).toBeGreaterThan(before);
    checkFts(oneBatch);
    expect((await oneBatch.search({ text: 'answer' })).map((h) => h.spanId)).toStrictEqual([]);
    expect((await oneBatch.search({ text: 'rewritten' })).map((h) => h.spanId)).toStrictEqual([record.spanId]);
  });
});
