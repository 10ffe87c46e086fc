/**
 * Claude Code with its beta traces and tool content on (the real `beta-content` capture) through the
 * real ingest pipeline: each `claude_code.tool` step gets the arguments and the outcome of the
 * `tool_result` event with its `tool_use_id`, and its result from its own `tool.output` span event,
 * whichever of spans and events arrives first, and once however often they are replayed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createIngestPipeline } from '../../src/ingest/ingest-pipeline.js';
import { resolveIngestSettings } from '../../src/ingest/ingest-settings.js';
import type { RawLogRecord } from '../../src/model/log-types.js';
import { decodeTraceRequest } from '../../src/otlp/index.js';
import { openWritableStore } from '../../src/store/sqlite/database-file.js';
import { SqliteOutbox } from '../../src/store/sqlite/sqlite-outbox.js';
import { CLAUDE_CODE_FIXTURES, claudeCodeLogs, expectedFromEvents } from '../model/agents/claude-code-fixture.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function open() {
  const dir = mkdtempSync(join(tmpdir(), 'skein-claude-code-tools-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'skein.db');
  const store = openWritableStore({ path: dbPath });
  cleanups.push(() => store.close());
  const pipeline = createIngestPipeline({ dbPath, store, outbox: new SqliteOutbox(store.database), settings: resolveIngestSettings({}) });
  cleanups.push(() => pipeline.close());
  return { store, pipeline };
}

const spans = decodeTraceRequest(readFileSync(join(CLAUDE_CODE_FIXTURES, 'beta-content', 'traces-1.pb')), 'protobuf').spans;
const records = claudeCodeLogs('beta-content');
const expected = expectedFromEvents(records);
const toolSpans = spans.filter((s) => s.name === 'claude_code.tool');
const toolResultOf = (events: readonly RawLogRecord[], toolUseId: unknown) =>
  events.find((e) => e.attributes['event.name'] === 'tool_result' && e.attributes.tool_use_id === toolUseId);

type Order = 'spans first' | 'events first' | 'together';

async function send(pipeline: ReturnType<typeof open>['pipeline'], order: Order, events: RawLogRecord[]) {
  if (order === 'spans first') {
    await pipeline.ingest(spans);
    await pipeline.ingestLogs(events);
  } else if (order === 'events first') {
    await pipeline.ingestLogs(events);
    await pipeline.ingest(spans);
  } else {
    await Promise.all([pipeline.ingest(spans), pipeline.ingestLogs(events)]);
  }
  // Replayed, both: nothing changes and nothing counts twice.
  await pipeline.ingestLogs(events);
  await pipeline.ingest(spans);
}

describe('Claude Code tool steps enriched by their tool_result events (beta traces, tool content on)', () => {
  it.each(['spans first', 'events first', 'together'] as const)('%s: each tool step has its arguments, result and success', async (order) => {
    const { store, pipeline } = open();
    await send(pipeline, order, records);

    const steps = (await store.getSpans({ sessionId: expected.sessionId, stepType: 'tool', limit: 100 })).items;
    expect(steps.map((s) => s.spanId).sort()).toEqual(toolSpans.map((s) => s.spanId).sort());
    for (const span of toolSpans) {
      const step = steps.find((s) => s.spanId === span.spanId)!;
      const result = toolResultOf(records, span.attributes.tool_use_id);
      const output = span.events.find((e) => e.name === 'tool.output');
      expect(step.toolName).toBe(result?.attributes.tool_name);
      expect(step.toolCallId).toBe(span.attributes.tool_use_id);
      expect(step.input?.text).toBe(result?.attributes.tool_input);
      expect(step.output?.text).toBe(output?.attributes.content ?? output?.attributes.output);
      expect(step.isError).toBe(String(result?.attributes.success) === 'false');
    }
    const session = await store.getSession(expected.sessionId);
    expect(session.toolCallCount).toBe(toolSpans.length);
    expect(session.spanCount).toBe(spans.length);
    expect(session.errorCount).toBe(0);

    // The result is searchable on its step.
    const read = toolSpans.find((s) => s.attributes.tool_name === 'Read')!;
    const content = String(read.events.find((e) => e.name === 'tool.output')?.attributes.content);
    const hits = await store.search({ text: `"${content.trim()}"`, limit: 20 });
    expect(hits.map((h) => [h.sessionId, h.spanId])).toContainEqual([expected.sessionId, read.spanId]);
  });

  it.each(['spans first', 'events first', 'together'] as const)('%s: a tool_result that says the call failed fails its step and counts one error', async (order) => {
    const { store, pipeline } = open();
    const failedId = toolSpans[0].attributes.tool_use_id;
    const events = records.map((r) =>
      r.attributes['event.name'] === 'tool_result' && r.attributes.tool_use_id === failedId
        ? { ...r, attributes: { ...r.attributes, success: 'false', error: 'Permission denied' } }
        : r,
    );
    await send(pipeline, order, events);

    const step = (await store.getSpans({ sessionId: expected.sessionId, stepType: 'tool', limit: 100 })).items.find(
      (s) => s.spanId === toolSpans[0].spanId,
    );
    expect(step?.isError).toBe(true);
    expect(step?.statusMessage).toBe('Permission denied');
    const session = await store.getSession(expected.sessionId);
    expect(session.errorCount).toBe(1);
  });
});
