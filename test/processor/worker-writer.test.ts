import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import type { SkeinSpanProcessor } from '../../src/processor/skein-span-processor.js';
import { openStore, pipeline, removeTempDirs, runFixture, tempDbPath } from './helpers.js';
import { captureErrors } from './helpers.js';

const processors: SkeinSpanProcessor[] = [];

afterEach(async () => {
  setGlobalErrorHandler(loggingErrorHandler());
  for (const processor of processors.splice(0)) await processor.shutdown().catch(() => undefined);
  removeTempDirs();
});

function threaded(options: { dbPath: string; maxQueueSize?: number; maxBatchSize?: number; flushIntervalMillis?: number }) {
  const built = pipeline(options);
  processors.push(built.processor);
  return built;
}

async function storedNames(dbPath: string, sessionId: string): Promise<string[]> {
  const store = openStore(dbPath);
  try {
    return (await store.getSpans({ sessionId, limit: 1000 })).items.map((s) => s.name).sort();
  } finally {
    await store.close();
  }
}

/** The writer thread behind a processor opened with dbPath (no public handle: tests only). */
function writerThread(processor: SkeinSpanProcessor): Worker {
  return (processor as unknown as { sink: { writer: { thread: { worker: Worker } } } }).sink.writer.thread.worker;
}

describe('SkeinSpanProcessor with dbPath (writes on a worker thread)', () => {
  it('forceFlush resolves only once the worker has committed everything queued before it', async () => {
    const dbPath = tempDbPath();
    const { processor, tracer } = threaded({ dbPath, maxBatchSize: 7, flushIntervalMillis: 60_000 });
    for (let i = 0; i < 50; i++) tracer.startSpan(`s${i}`, { attributes: { 'gen_ai.conversation.id': 'w-flush' } }).end();
    const open = tracer.startSpan('still-running', { attributes: { 'gen_ai.conversation.id': 'w-flush' } });
    await processor.forceFlush();

    // Read through another connection right away: nothing may still be on its way.
    const store = openStore(dbPath);
    try {
      const spans = (await store.getSpans({ sessionId: 'w-flush', limit: 100 })).items;
      expect(spans).toHaveLength(51);
      expect(spans.find((s) => s.name === 'still-running')?.endTimeUnixNano).toBeNull();
      expect((await store.getSession('w-flush')).status).toBe('running');
    } finally {
      await store.close();
    }
    open.end();
    await processor.shutdown();
    const store2 = openStore(dbPath);
    try {
      expect((await store2.getSession('w-flush')).status).toBe('completed');
    } finally {
      await store2.close();
    }
  });

  it('reports a write the worker could not commit to the error handler, rejects forceFlush once, and recovers', async () => {
    const errors = captureErrors();
    const dbPath = tempDbPath();
    const { processor, tracer } = threaded({ dbPath, flushIntervalMillis: 60_000 });
    const db = new Database(dbPath);
    try {
      db.exec("CREATE TRIGGER refuse BEFORE INSERT ON spans BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END");
      tracer.startSpan('doomed', { attributes: { 'gen_ai.conversation.id': 'w-fail' } }).end();
      await expect(processor.forceFlush()).rejects.toThrow('refused by test trigger');
      expect(errors.some((e) => String((e as Error).message).includes('refused by test trigger'))).toBe(true);
      expect(processor.failedSpans).toBe(1);
      await expect(processor.forceFlush()).resolves.toBeUndefined();

      db.exec('DROP TRIGGER refuse');
      tracer.startSpan('fine', { attributes: { 'gen_ai.conversation.id': 'w-fail' } }).end();
      await processor.forceFlush();
    } finally {
      db.close();
    }
    expect(await storedNames(dbPath, 'w-fail')).toEqual(['fine']);
  });

  it('counts spans posted and not yet committed against maxQueueSize, and drops past it', async () => {
    const dbPath = tempDbPath();
    const { processor, tracer } = threaded({ dbPath, maxQueueSize: 6, maxBatchSize: 4, flushIntervalMillis: 60_000 });
    for (let i = 0; i < 4; i++) tracer.startSpan(`a${i}`, { attributes: { 'gen_ai.conversation.id': 'w-full' } }).end();
    // Posts the four at once; the worker's answer cannot arrive before this test yields.
    const posted = processor.forceFlush();
    for (let i = 0; i < 4; i++) tracer.startSpan(`b${i}`, { attributes: { 'gen_ai.conversation.id': 'w-full' } }).end();
    expect(processor.droppedSpans).toBe(2);
    await posted;
    await processor.forceFlush();
    expect(await storedNames(dbPath, 'w-full')).toEqual(['a0', 'a1', 'a2', 'a3', 'b0', 'b1']);
  });

  it('turns an attribute value structured clone refuses into a string instead of losing the span', async () => {
    const dbPath = tempDbPath();
    const { processor, tracer } = threaded({ dbPath });
    const span = tracer.startSpan('odd', { attributes: { 'gen_ai.conversation.id': 'w-clone' } });
    // Past the API's types, as a careless instrumentation might.
    (span as unknown as { attributes: Record<string, unknown> }).attributes.callback = function callback() {};
    span.end();
    await processor.forceFlush();
    const store = openStore(dbPath);
    try {
      const [stored] = (await store.getSpans({ sessionId: 'w-clone' })).items;
      expect(stored.name).toBe('odd');
      expect(String(stored.raw.attributes.callback)).toContain('function callback');
    } finally {
      await store.close();
    }
  });

  it('when the worker dies, reports it and writes what it had not committed, and what follows, on the app thread', async () => {
    const errors = captureErrors();
    const dbPath = tempDbPath();
    const { processor, tracer } = threaded({ dbPath, flushIntervalMillis: 60_000 });
    tracer.startSpan('before', { attributes: { 'gen_ai.conversation.id': 'w-dead' } }).end();
    await writerThread(processor).terminate();
    tracer.startSpan('after', { attributes: { 'gen_ai.conversation.id': 'w-dead' } }).end();
    await expect(processor.forceFlush()).rejects.toThrow(/writer thread exited/);
    expect(errors).toHaveLength(1);
    await processor.shutdown();
    expect(await storedNames(dbPath, 'w-dead')).toEqual(['after', 'before']);
  });

  it('at process.exit writes batches posted to the worker and not yet acknowledged', async () => {
    const dbPath = tempDbPath();
    const result = await runFixture('exit-child.ts', [dbPath, 'posted-session', 'posted']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const store = openStore(dbPath);
    try {
      const summary = await store.getSession('posted-session');
      expect(summary.spanCount).toBe(3);
      expect(summary.status).toBe('completed');
    } finally {
      await store.close();
    }
  });
});
