/**
 * GenAI events joined to their call through the ingest commit (one transaction per request, a real SQLite
 * file), in the orders an exporter can produce that the SDK tests do not: an open record and its end in
 * one batch, a request resent, a call's messages and its answer in two requests, and an earlier call's
 * events arriving after the later call's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIngestCommit } from '../../src/ingest/ingest-commit.js';
import type { IngestCommit } from '../../src/ingest/ingest-commit.js';
import { createIngest, resolveIngestSettings } from '../../src/ingest/ingest-settings.js';
import type { RawLogRecord } from '../../src/model/log-types.js';
import type { AttributeValue, RawSpan, StoredSpan } from '../../src/model/types.js';
import { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { rawSpan } from '../model/raw-span.js';
import { makeRawLog } from './raw-signals.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
let dir: string;
let store: SqliteTraceStore;
let commit: IngestCommit;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skein-genai-commit-'));
  store = new SqliteTraceStore({ path: join(dir, 'skein.db') });
  commit = createIngestCommit({ store, ingest: createIngest(resolveIngestSettings({})) });
});
afterEach(() => {
  store.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

let clock = 1_764_000_000_000_000_000n;
function call(spanId: string, ended = true): RawSpan {
  clock += 1_000_000_000n;
  return rawSpan(
    { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 10, 'session.id': 'sess-1' },
    { traceId: TRACE, spanId, name: 'chat gpt-4o-mini', kind: 3, startTimeUnixNano: clock, endTimeUnixNano: ended ? clock + 500_000_000n : null },
  );
}
function event(spanId: string, name: string, body: AttributeValue): RawLogRecord {
  clock += 1_000_000n;
  return makeRawLog({ traceId: TRACE, spanId, eventName: '', attributes: { 'event.name': name, 'gen_ai.system': 'openai' }, body, timeUnixNano: clock });
}
const logs = (records: RawLogRecord[]) => ({ spans: [], logs: records, metrics: [] as [] });
const both = (spans: RawSpan[], records: RawLogRecord[]) => ({ spans, logs: records, metrics: [] as [] });
function stored(spanId: string): StoredSpan {
  const found = store.getSpansSync({ traceId: TRACE }).items.find((s) => s.spanId === spanId);
  if (found === undefined) throw new Error(`${spanId} not stored`);
  return found;
}

describe('GenAI events through the ingest commit', () => {
  it('an ended record and a late open one in one batch with the events: the end is stored with the conversation', () => {
    const open = call('00000000000000a1', false);
    const ended = { ...open, endTimeUnixNano: open.startTimeUnixNano + 1n };
    commit(both([ended, open], [event('00000000000000a1', 'gen_ai.user.message', { content: 'hi' }), event('00000000000000a1', 'gen_ai.choice', { index: 0, message: { content: 'hello' } })]));
    expect([stored('00000000000000a1').input?.text, stored('00000000000000a1').output?.text]).toEqual(['user: hi', 'assistant: hello']);
  });

  it('a resent request does not double the messages; messages and answer in two requests are one conversation', () => {
    const span = call('00000000000000b1');
    const messages = [event('00000000000000b1', 'gen_ai.system.message', { content: 'Be brief.' }), event('00000000000000b1', 'gen_ai.user.message', { content: 'hi' })];
    commit([span]);
    commit(logs(messages));
    commit(logs(messages.map((m) => ({ ...m }))));
    expect(stored('00000000000000b1').input?.text).toBe('system: Be brief.\nuser: hi');
    expect(stored('00000000000000b1').output).toBeNull();
    commit(logs([event('00000000000000b1', 'gen_ai.choice', { index: 0, message: { content: 'hello' } })]));
    expect([stored('00000000000000b1').input?.text, stored('00000000000000b1').output?.text]).toEqual(['system: Be brief.\nuser: hi', 'assistant: hello']);
  });

  it("a later call stored with its whole input is shortened once the earlier call's events arrive", async () => {
    const first = call('00000000000000c1');
    const second = call('00000000000000c2');
    const firstEvents = [event('00000000000000c1', 'gen_ai.user.message', { content: 'hi' }), event('00000000000000c1', 'gen_ai.choice', { index: 0, message: { content: 'hello' } })];
    const secondEvents = [
      event('00000000000000c2', 'gen_ai.user.message', { content: 'hi' }),
      event('00000000000000c2', 'gen_ai.assistant.message', { content: 'hello' }),
      event('00000000000000c2', 'gen_ai.user.message', { content: 'bye' }),
    ];
    commit(both([first, second], secondEvents));
    expect(stored('00000000000000c2').input?.text).toBe('user: hi\nassistant: hello\nuser: bye');
    commit(logs(firstEvents));
    expect(stored('00000000000000c1').input?.text).toBe('user: hi');
    expect(stored('00000000000000c2').input?.text).toBe('[2 earlier messages, as in the previous call]\nuser: bye');
    expect((await store.search({ text: 'hi' })).map((h) => h.spanId)).toEqual(['00000000000000c1']);
  });
});
