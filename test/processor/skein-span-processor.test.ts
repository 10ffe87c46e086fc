import { afterEach, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, diag } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import type { ReadableSpan, Span } from '@opentelemetry/sdk-trace-base';
import { createPriceTable } from '../../src/model/pricing.js';
import type { SpanRecord } from '../../src/model/types.js';
import { SkeinSpanProcessor } from '../../src/processor/skein-span-processor.js';
import type { WritableStore } from '../../src/processor/batch-writer.js';
import { openStore, pipeline, removeTempDirs, tempDbPath } from './helpers.js';
import { captureErrors, captureWarnings } from './helpers.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  setGlobalErrorHandler(loggingErrorHandler());
  diag.disable();
  for (const close of closers.splice(0)) await close();
  removeTempDirs();
});

function sqliteStore() {
  const store = openStore(tempDbPath());
  closers.push(() => store.close());
  return store;
}

/** A store that remembers every batch handed to it, then writes it through. */
function recordingStore(inner: WritableStore & { writeSync(spans: readonly SpanRecord[]): void }) {
  const batches: SpanRecord[][] = [];
  const store: WritableStore = {
    write: async (spans) => {
      batches.push([...spans]);
      await inner.write(spans);
    },
    writeSync: (spans) => {
      batches.push([...spans]);
      inner.writeSync(spans);
    },
  };
  return { store, batches };
}

describe('SkeinSpanProcessor', () => {
  it('records a nested agent session with parents, session ids and rollups from model calls only', async () => {
    const store = sqliteStore();
    const { processor, agent } = pipeline({ store });

    const sessionId = agent.session({ sessionId: 'sess-nested', agentName: 'planner', userId: 'u-1' }, (session) => {
      // Usage on the agent span as some instrumentations report it: must not be added again.
      session.span.setAttributes({ 'gen_ai.usage.input_tokens': 130, 'gen_ai.usage.output_tokens': 45 });
      agent.modelCall({ provider: 'openai', model: 'gpt-4o-mini' }, (call) => {
        call.recordUsage({ inputTokens: 100, outputTokens: 40, reasoningTokens: 10 });
        call.recordCost(0.002);
      });
      agent.toolCall({ name: 'search', callId: 'call-1', arguments: { q: 'otel' } }, () => ({ hits: 3 }));
      agent.reasoning({}, (step) => step.recordText('compare the hits'));
      agent.modelCall({ provider: 'openai', model: 'gpt-4o-mini' }, (call) => {
        call.recordUsage({ inputTokens: 30, outputTokens: 5 });
        call.recordCost(0.001);
      });
      return session.sessionId;
    });
    await processor.forceFlush();

    expect(sessionId).toBe('sess-nested');
    const spans = (await store.getSpans({ sessionId, limit: 100 })).items;
    expect(spans).toHaveLength(5);
    const root = spans.find((s) => s.stepType === 'agent');
    expect(root).toBeDefined();
    expect(root?.parentSpanId).toBeNull();
    for (const span of spans) {
      expect(span.sessionId).toBe(sessionId);
      expect(span.traceId).toBe(root?.traceId);
      if (span !== root) expect(span.parentSpanId).toBe(root?.spanId);
      expect(span.endTimeUnixNano).not.toBeNull();
    }
    expect(spans.map((s) => s.stepType).sort()).toEqual(['agent', 'llm', 'llm', 'reasoning', 'tool']);

    const summary = await store.getSession(sessionId);
    expect(summary.status).toBe('completed');
    expect(summary.spanCount).toBe(5);
    expect(summary.llmCallCount).toBe(2);
    expect(summary.toolCallCount).toBe(1);
    expect(summary.tokens.input).toBe(130);
    expect(summary.tokens.output).toBe(45);
    expect(summary.tokens.reasoning).toBe(10);
    expect(summary.costUsd).toBeCloseTo(0.003, 10);
    expect(summary.agentName).toBe('planner');
    expect(summary.userId).toBe('u-1');
    expect(summary.models).toEqual(['gpt-4o-mini']);
    await processor.shutdown();
  });

  it('stores a step as open at start and completed at end, as one span', async () => {
    const store = sqliteStore();
    const { processor, tracer } = pipeline({ store });

    const span = tracer.startSpan('step', { attributes: { 'gen_ai.conversation.id': 's-open' } });
    await processor.forceFlush();
    let stored = (await store.getSpans({ sessionId: 's-open' })).items;
    expect(stored).toHaveLength(1);
    expect(stored[0].endTimeUnixNano).toBeNull();
    expect((await store.getSession('s-open')).status).toBe('running');

    span.setAttribute('late', 'yes');
    span.end();
    await processor.forceFlush();
    stored = (await store.getSpans({ sessionId: 's-open' })).items;
    expect(stored).toHaveLength(1);
    expect(stored[0].endTimeUnixNano).not.toBeNull();
    expect(stored[0].raw.attributes.late).toBe('yes');
    expect((await store.getSession('s-open')).status).toBe('completed');
    await processor.shutdown();
  });

  it('writes only the ended record when start and end fall in one batch', async () => {
    const { store, batches } = recordingStore(sqliteStore());
    const { processor, tracer } = pipeline({ store });

    tracer.startSpan('quick').end();
    tracer.startSpan('quick-2').end();
    await processor.forceFlush();

    expect(batches).toHaveLength(1);
    expect(batches[0].map((r) => r.name)).toEqual(['quick', 'quick-2']);
    for (const record of batches[0]) expect(record.endTimeUnixNano).not.toBeNull();
    await processor.shutdown();
  });

  it('writes in batches of maxBatchSize, one store call per batch, without waiting for forceFlush', async () => {
    const { store, batches } = recordingStore(sqliteStore());
    const { processor, tracer } = pipeline({ store, maxBatchSize: 4, flushIntervalMillis: 60_000 });

    for (let i = 0; i < 10; i++) tracer.startSpan(`s${i}`).end();
    // Nothing is written inside span.end(): the app's call returns first.
    expect(batches).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches.length).toBeGreaterThanOrEqual(1);
    await processor.forceFlush();

    expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
    await processor.shutdown();
  });

  it('flushes on its timer', async () => {
    const { store, batches } = recordingStore(sqliteStore());
    const { processor, tracer } = pipeline({ store, flushIntervalMillis: 10 });

    tracer.startSpan('timed').end();
    await expect.poll(() => batches.length, { timeout: 10_000, interval: 5 }).toBe(1);
    await processor.shutdown();
  });

  it('shutdown runs once: a second call returns the same promise, later spans are ignored', async () => {
    const store = sqliteStore();
    const { processor, tracer } = pipeline({ store });

    tracer.startSpan('before', { attributes: { 'gen_ai.conversation.id': 's-shut' } }).end();
    const first = processor.shutdown();
    const second = processor.shutdown();
    expect(second).toBe(first);
    await first;

    tracer.startSpan('after', { attributes: { 'gen_ai.conversation.id': 's-shut' } }).end();
    await expect(processor.forceFlush()).resolves.toBeUndefined();
    const names = (await store.getSpans({ sessionId: 's-shut' })).items.map((s) => s.name);
    expect(names).toEqual(['before']);
  });

  it('closes a store it opened from dbPath on shutdown, and the data is there', async () => {
    const path = tempDbPath();
    const { processor, agent } = pipeline({ dbPath: path });
    agent.session({ sessionId: 's-path' }, () => agent.toolCall({ name: 'ls' }, () => 'a b c'));
    await processor.shutdown();

    const store = openStore(path);
    closers.push(() => store.close());
    const spans = (await store.getSpans({ sessionId: 's-path' })).items;
    expect(spans.map((s) => s.toolName).filter(Boolean)).toEqual(['ls']);
  });

  it('sends a failing synchronous write to the error handler and rejects the next forceFlush with it, once', async () => {
    const errors = captureErrors();
    const failure = new Error('disk full');
    const store: WritableStore = {
      write: () => Promise.reject(failure),
      writeSync: () => {
        throw failure;
      },
    };
    const { processor, tracer } = pipeline({ store });

    expect(() => tracer.startSpan('doomed').end()).not.toThrow();
    await expect(processor.forceFlush()).rejects.toBe(failure);
    expect(errors).toContain(failure);
    expect(processor.failedSpans).toBe(1);
    // Surfaced once, then cleared.
    await expect(processor.forceFlush()).resolves.toBeUndefined();
    await processor.shutdown();
  });

  it('sends a rejected asynchronous write to the error handler and rejects forceFlush with it', async () => {
    const errors = captureErrors();
    const failure = new Error('store went away');
    const store: WritableStore = { write: () => Promise.reject(failure) };
    const { processor, tracer } = pipeline({ store });

    tracer.startSpan('doomed').end();
    await expect(processor.forceFlush()).rejects.toBe(failure);
    expect(errors).toEqual([failure]);
    await expect(processor.shutdown()).resolves.toBeUndefined();
  });

  it('reports a failure at shutdown and resolves, twice the same promise', async () => {
    const errors = captureErrors();
    const warnings = captureWarnings();
    const failure = new Error('late failure');
    const { processor, tracer } = pipeline({ store: { write: () => Promise.reject(failure) } });
    tracer.startSpan('doomed').end();
    const first = processor.shutdown();
    expect(processor.shutdown()).toBe(first);
    await expect(first).resolves.toBeUndefined();
    expect(errors).toEqual([failure]);
    expect(processor.failedSpans).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/1 spans in total could not be written; last error: late failure/)]);
  });

  it('drops and counts spans when the queue is full, and warns with the number dropped', async () => {
    const warnings = captureWarnings();
    const store = sqliteStore();
    const { processor, tracer } = pipeline({ store, maxQueueSize: 5, maxBatchSize: 100, flushIntervalMillis: 60_000 });

    for (let i = 0; i < 8; i++) tracer.startSpan(`s${i}`, { attributes: { 'gen_ai.conversation.id': 's-full' } }).end();
    expect(processor.droppedSpans).toBe(3);
    await processor.forceFlush();

    const stored = (await store.getSpans({ sessionId: 's-full' })).items;
    expect(stored).toHaveLength(5);
    // Under pressure open records are shed first, so what is kept is complete.
    expect(stored.every((s) => s.endTimeUnixNano !== null)).toBe(true);
    const dropWarnings = warnings.filter((w) => w.includes('dropped'));
    expect(dropWarnings).toHaveLength(1);
    expect(dropWarnings[0]).toContain('dropped 3 spans');

    for (let i = 0; i < 8; i++) tracer.startSpan(`t${i}`).end();
    await processor.forceFlush();
    // Warned once; the count keeps growing.
    expect(warnings.filter((w) => w.includes('dropped'))).toHaveLength(1);
    expect(processor.droppedSpans).toBe(6);

    await processor.shutdown();
    expect(warnings.at(-1)).toContain('dropped 6 spans in total');
  });

  it.each(['writeSync', 'write'] as const)('does not trace its own work: a store that starts spans in %s adds none', async (method) => {
    const inner = sqliteStore();
    const holder: { tracer?: Tracer } = {};
    let writes = 0;
    const store: WritableStore = {
      write: async (spans) => {
        writes++;
        holder.tracer?.startSpan('store.write').end();
        await inner.write(spans);
        holder.tracer?.startSpan('store.write.after-await').end();
      },
    };
    if (method === 'writeSync') {
      store.writeSync = (spans) => {
        writes++;
        holder.tracer?.startSpan('store.write').end();
        inner.writeSync(spans);
      };
    }
    const { processor, tracer } = pipeline({ store });
    holder.tracer = tracer;

    tracer.startSpan('app', { attributes: { 'gen_ai.conversation.id': 's-self' } }).end();
    await processor.forceFlush();
    await processor.forceFlush();

    expect(writes).toBe(1);
    const names = (await inner.getSpans({ limit: 100 })).items.map((s) => s.name);
    expect(names).toEqual(['app']);
    await processor.shutdown();
  });

  it('never throws into the app when a span cannot be normalized', async () => {
    const errors = captureErrors();
    const store = sqliteStore();
    const { processor } = pipeline({ store });
    // A span the SDK would never hand over: conversion fails inside onStart/onEnd.
    const broken = { name: 'broken', spanContext: () => { throw new Error('broken span'); } } as unknown as ReadableSpan;
    expect(() => processor.onStart(broken as unknown as Span, ROOT_CONTEXT)).not.toThrow();
    expect(() => processor.onEnd(broken)).not.toThrow();
    expect(processor.failedSpans).toBe(2);
    await expect(processor.forceFlush()).rejects.toThrow('broken span');
    expect(errors.length).toBeGreaterThan(0);
    await processor.shutdown();
  });

  it('applies the truncation limit and the price table it is given', async () => {
    const store = sqliteStore();
    const prices = createPriceTable({ 'house-model': { inputPerMTok: 1_000_000, outputPerMTok: 2_000_000 } });
    const { processor, agent } = pipeline({ store, maxTextLength: 100, prices });
    agent.session({ sessionId: 's-limits' }, () =>
      agent.modelCall({ provider: 'local', model: 'house-model' }, (call) => {
        call.recordInput('x'.repeat(5_000));
        call.recordUsage({ inputTokens: 2, outputTokens: 3 });
      }),
    );
    await processor.forceFlush();

    const [llm] = (await store.getSpans({ sessionId: 's-limits', stepType: 'llm' })).items;
    expect(llm.input?.truncated).toBe(true);
    expect(llm.input?.text.length).toBeLessThanOrEqual(100);
    expect(llm.input?.originalLength).toBeGreaterThanOrEqual(5_000);
    expect(llm.cost).toEqual({ usd: 8, source: 'computed' });
    await processor.shutdown();
  });

  it('rejects options without a store or with both store and dbPath', () => {
    expect(() => new SkeinSpanProcessor({})).toThrow(/store or a dbPath/);
    expect(() => new SkeinSpanProcessor({ store: { write: async () => {} }, dbPath: 'x.db' })).toThrow(/either/);
  });
});
