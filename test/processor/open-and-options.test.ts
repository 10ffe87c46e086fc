/**
 * What the constructor does with a `dbPath` it cannot use as given, and with
 * numeric options: README's snippet in a fresh project must work, an
 * unusable path must never throw into the app, a bad number is refused by
 * name.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createPriceTable } from '../../src/model/pricing.js';
import { AgentTracer } from '../../src/processor/agent-tracer.js';
import { SkeinSpanProcessor } from '../../src/processor/skein-span-processor.js';
import type { SkeinSpanProcessorOptions } from '../../src/processor/skein-span-processor-options.js';
import { openStore } from './helpers.js';
import { captureErrors } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  setGlobalErrorHandler(loggingErrorHandler());
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skein-open-'));
  dirs.push(dir);
  return dir;
}

/** The worker-thread path (dbPath alone) and the same-thread path (a price table with a lookup of the app's own making cannot cross threads). */
const ownTable = createPriceTable({ 'house-model': { inputPerMTok: 1, outputPerMTok: 1 } });
const paths: [string, Partial<SkeinSpanProcessorOptions>][] = [
  ['on the writer thread', {}],
  ['on the app thread', { prices: { lookup: (model) => ownTable.lookup(model) } }],
];

describe.each(paths)('SkeinSpanProcessor dbPath %s', (_name, extra) => {
  it('creates the directories a dbPath needs, as README snippet assumes', async () => {
    const dbPath = join(tempDir(), 'data', 'nested', 'traces.db');
    const processor = new SkeinSpanProcessor({ dbPath, ...extra });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const agent = new AgentTracer({ tracerProvider: provider });
    agent.session({ sessionId: 'fresh-project' }, () => agent.toolCall({ name: 'ls' }, () => 'a b'));
    await provider.shutdown();
    expect(processor.failedSpans).toBe(0);
    const store = openStore(dbPath);
    try {
      expect((await store.getSession('fresh-project')).spanCount).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('a dbPath that is a directory: no throw into the app, one error saying so', async () => {
    const errors = captureErrors();
    const dbPath = tempDir();
    let processor: SkeinSpanProcessor | undefined;
    expect(() => {
      processor = new SkeinSpanProcessor({ dbPath, ...extra });
    }).not.toThrow();
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe(
      `SkeinSpanProcessor: cannot open the database ${dbPath}: it is a directory; give a file path; spans will not be stored`,
    );
    await expect(processor!.shutdown()).resolves.toBeUndefined();
  });

  it('under a regular file: no throw into the app, an error naming the path, spans counted as failed', async () => {
    const errors = captureErrors();
    const file = join(tempDir(), 'not-a-directory');
    writeFileSync(file, 'plain file');
    const dbPath = join(file, 'traces.db');

    let processor: SkeinSpanProcessor | undefined;
    expect(() => {
      processor = new SkeinSpanProcessor({ dbPath, ...extra });
    }).not.toThrow();
    const provider = new BasicTracerProvider({ spanProcessors: [processor!] });
    const agent = new AgentTracer({ tracerProvider: provider });
    expect(() => agent.session({ sessionId: 'nowhere' }, () => agent.toolCall({ name: 'ls' }, () => 'a'))).not.toThrow();

    expect(errors).toHaveLength(1);
    const message = (errors[0] as Error).message;
    expect(message).toContain(dbPath);
    expect(message).toMatch(/ENOTDIR|not a directory/);
    // A store failure, like a failed write: the next forceFlush() raises it, once.
    await expect(processor!.forceFlush()).rejects.toBe(errors[0]);
    await expect(processor!.forceFlush()).resolves.toBeUndefined();
    expect(processor!.failedSpans).toBe(2);
    await expect(provider.shutdown()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});

describe('SkeinSpanProcessor numeric options', () => {
  const store = { write: async () => {} };

  it('refuses each bad number with an error naming the option', () => {
    expect(() => new SkeinSpanProcessor({ store, maxBatchSize: 0 })).toThrow(/SkeinSpanProcessor: maxBatchSize must be a whole number of at least 1, got 0/);
    expect(() => new SkeinSpanProcessor({ store, maxBatchSize: 2.5 })).toThrow(/maxBatchSize/);
    expect(() => new SkeinSpanProcessor({ store, maxQueueSize: Number.NaN })).toThrow(/SkeinSpanProcessor: maxQueueSize .* got NaN/);
    expect(() => new SkeinSpanProcessor({ store, flushIntervalMillis: -1 })).toThrow(/SkeinSpanProcessor: flushIntervalMillis/);
    expect(() => new SkeinSpanProcessor({ store, flushIntervalMillis: Number.POSITIVE_INFINITY })).toThrow(/flushIntervalMillis/);
    // setTimeout turns anything above 2^31-1 into 1 ms: a flush per millisecond instead of almost never.
    expect(() => new SkeinSpanProcessor({ store, flushIntervalMillis: 2 ** 31 })).toThrow(/flushIntervalMillis/);
    expect(() => new SkeinSpanProcessor({ store, maxTextLength: 0 })).toThrow(/SkeinSpanProcessor: maxTextLength/);
    expect(() => new SkeinSpanProcessor({ store, maxTextLength: '100' as unknown as number })).toThrow(/SkeinSpanProcessor: maxTextLength .* got "100"/);
  });

  it('takes an explicit undefined as the default', async () => {
    const processor = new SkeinSpanProcessor({
      store,
      maxBatchSize: undefined,
      maxQueueSize: undefined,
      flushIntervalMillis: undefined,
      maxTextLength: undefined,
    });
    await expect(processor.shutdown()).resolves.toBeUndefined();
  });
});
