/**
 * App-thread cost per span of SkeinSpanProcessor next to the bare SDK, in one run.
 *
 *   npx tsx bench/in-process.ts [spansPerRound=20000] [rounds=5] [spansPerSession=100]
 *
 * Setups (each a BasicTracerProvider, spans with 10 attributes shaped like model calls):
 *   bare   BatchSpanProcessor + a no-op exporter
 *   skein  the same + SkeinSpanProcessor on a temporary SQLite file
 * The app loop yields every 100 spans, so the processor's flushes land on the
 * main thread between them, as they would in an app; each round ends with
 * forceFlush. Reported per span: wall time of the round, event-loop active
 * time (performance.eventLoopUtilization) and process CPU (process.cpuUsage).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import { SkeinSpanProcessor } from '../src/processor/skein-span-processor.js';
import { readableSpanToRaw } from '../src/processor/readable-span-to-raw.js';
import { createNormalizer } from '../src/model/normalize.js';
import { createRedactor } from '../src/model/redaction/redactor.js';
import { SqliteTraceStore } from '../src/store/sqlite/index.js';
import type { SpanRecord } from '../src/model/types.js';

const spansPerRound = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
const YIELD_EVERY = 100;
const SESSION_SPANS = Number(process.argv[4] ?? 100);

class NoopExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    done({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface Setup {
  name: string;
  tracer: Tracer;
  flush: () => Promise<void>;
  close: () => Promise<void>;
  batchMillis?: number[];
}

function bare(): Setup {
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new NoopExporter())] });
  return { name: 'bare', tracer: provider.getTracer('bench'), flush: () => provider.forceFlush(), close: () => provider.shutdown() };
}

function skein(dir: string): Setup {
  const store = new SqliteTraceStore({ path: join(dir, `bench-${Date.now()}-${Math.random()}.db`) });
  const batchMillis: number[] = [];
  // Times each batch write: that is the event-loop stall a flush causes.
  const timedStore = {
    write: (spans: readonly SpanRecord[]) => store.write(spans),
    writeSync: (spans: readonly SpanRecord[]) => {
      const start = performance.now();
      store.writeSync(spans);
      batchMillis.push(performance.now() - start);
    },
  };
  const processors: SpanProcessor[] = [new BatchSpanProcessor(new NoopExporter()), new SkeinSpanProcessor({ store: timedStore })];
  const provider = new BasicTracerProvider({ spanProcessors: processors });
  return {
    name: 'skein',
    tracer: provider.getTracer('bench'),
    flush: () => provider.forceFlush(),
    close: async () => {
      await provider.shutdown();
      await store.close();
    },
    batchMillis,
  };
}

let sequence = 0;
function oneSpan(tracer: Tracer, session: string, parent: Context = ROOT_CONTEXT): void {
  const n = sequence++;
  const span = tracer.startSpan('chat gpt-4o-mini', {
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.conversation.id': session,
      'gen_ai.request.temperature': 0.2,
    },
  }, parent);
  span.setAttributes({
    'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
    'gen_ai.response.id': `chatcmpl-${n}`,
    'gen_ai.response.finish_reasons': ['stop'],
    'gen_ai.usage.input_tokens': 400 + (n % 97),
    'gen_ai.usage.output_tokens': 50 + (n % 13),
  });
  span.end();
}

interface RoundResult {
  wallNs: number;
  eluNs: number;
  cpuNs: number;
}

async function round(setup: Setup): Promise<RoundResult> {
  const roundId = sequence;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Sessions of SESSION_SPANS model calls under one agent span (one trace each), one after another.
  let root: Span | undefined;
  let parent: Context = ROOT_CONTEXT;
  let session = '';
  for (let i = 0; i < spansPerRound; i++) {
    if (i % SESSION_SPANS === 0) {
      root?.end();
      session = `bench-${roundId}-${i / SESSION_SPANS}`;
      root = setup.tracer.startSpan('invoke_agent bench', {
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.conversation.id': session },
      });
      parent = trace.setSpan(ROOT_CONTEXT, root);
    }
    oneSpan(setup.tracer, session, parent);
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToLoop();
  }
  root?.end();
  await setup.flush();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  return {
    wallNs: (wallMs * 1e6) / spansPerRound,
    eluNs: (elu.active * 1e6) / spansPerRound,
    cpuNs: ((cpu.user + cpu.system) * 1e3) / spansPerRound,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Where the skein time goes: conversion + normalization alone, per span. */
function conversionCost(): number {
  const captured: ReadableSpan[] = [];
  const capture: SpanProcessor = {
    onStart: () => {},
    onEnd: (span) => captured.push(span),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const tracer = new BasicTracerProvider({ spanProcessors: [capture] }).getTracer('bench');
  for (let i = 0; i < 5_000; i++) oneSpan(tracer, 'conv');
  const normalize = createNormalizer({ redactor: createRedactor() });
  const t0 = performance.now();
  for (const span of captured) {
    normalize(readableSpanToRaw(span, true));
    normalize(readableSpanToRaw(span));
  }
  return ((performance.now() - t0) * 1e6) / captured.length;
}

/** Redaction alone (on by default in the processor), per span, on the same spans: without and with content. */
function redactionCost(): { plain: number; content: number } {
  const captured: ReadableSpan[] = [];
  const capture: SpanProcessor = {
    onStart: () => {},
    onEnd: (span) => captured.push(span),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const tracer = new BasicTracerProvider({ spanProcessors: [capture] }).getTracer('bench');
  for (let i = 0; i < 5_000; i++) oneSpan(tracer, 'redact');
  const plain = captured.map((span) => readableSpanToRaw(span));
  // ~1.7 KB of message JSON per span, as a model call that records content carries.
  const text = 'Summarise the attached report and list the three biggest risks for 2024-08-06 through 2024-11-06, briefly. ';
  const content = plain.map((raw) => ({
    ...raw,
    attributes: {
      ...raw.attributes,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: text.repeat(9) }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: text.repeat(6) }] }]),
    },
  }));
  const redactor = createRedactor();
  const time = (spans: typeof plain): number => {
    for (const raw of spans) redactor.redactRaw(raw);
    const t0 = performance.now();
    for (const raw of spans) redactor.redactRaw(raw);
    return ((performance.now() - t0) * 1e6) / spans.length;
  };
  return { plain: time(plain), content: time(content) };
}

const dir = mkdtempSync(join(tmpdir(), 'skein-bench-'));
try {
  const results: Record<string, RoundResult[]> = { bare: [], skein: [] };
  const batchMillis: number[] = [];
  // Warm-up: JIT and SQLite page cache, not measured.
  for (const make of [bare, () => skein(dir)]) {
    const setup = make();
    await round(setup);
    await setup.close();
  }
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so drift on a shared machine does not favour one setup.
    const order = r % 2 === 0 ? [bare, () => skein(dir)] : [() => skein(dir), bare];
    for (const make of order) {
      const setup = make();
      results[setup.name].push(await round(setup));
      if (setup.batchMillis) batchMillis.push(...setup.batchMillis);
      await setup.close();
    }
  }
  const conversionNs = conversionCost();
  const redactionNs = redactionCost();

  const summary = (name: string) => ({
    wall: median(results[name].map((x) => x.wallNs)),
    elu: median(results[name].map((x) => x.eluNs)),
    cpu: median(results[name].map((x) => x.cpuNs)),
  });
  const a = summary('bare');
  const b = summary('skein');
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`node ${process.version}, ${spansPerRound} spans x ${rounds} rounds, ${SESSION_SPANS} spans per session, medians (ns per span on the app thread)`);
  console.log('setup                                   wall      event-loop active   process cpu');
  console.log(`bare: BSP + no-op exporter          ${fmt(a.wall).padStart(8)}   ${fmt(a.elu).padStart(12)}      ${fmt(a.cpu).padStart(10)}`);
  console.log(`skein: bare + SkeinSpanProcessor    ${fmt(b.wall).padStart(8)}   ${fmt(b.elu).padStart(12)}      ${fmt(b.cpu).padStart(10)}`);
  console.log(`ratio skein / bare                  ${(b.wall / a.wall).toFixed(2).padStart(8)}   ${(b.elu / a.elu).toFixed(2).padStart(12)}      ${(b.cpu / a.cpu).toFixed(2).padStart(10)}`);
  console.log(`of which convert + redact + normalize (open and ended record): ${fmt(conversionNs)} ns/span`);
  console.log(
    `redaction alone, one record: ${fmt(redactionNs.plain)} ns/span as above, ${fmt(redactionNs.content)} ns/span with ~1.7 KB of messages`,
  );
  const perBatch = batchMillis.length === 0 ? 0 : median(batchMillis);
  console.log(
    `batch writes: ${batchMillis.length}, median ${perBatch.toFixed(2)} ms, max ${Math.max(0, ...batchMillis).toFixed(2)} ms ` +
      `(each one an event-loop stall); writes ≈ ${fmt((batchMillis.reduce((x, y) => x + y, 0) * 1e6) / (spansPerRound * rounds))} ns/span`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
