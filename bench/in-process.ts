/**
 * App-thread cost per span of SkeinSpanProcessor next to the bare SDK, in one run.
 *
 *   npx tsx bench/in-process.ts [spansPerRound=20000] [rounds=5] [spansPerSession=100] [--only=bare,worker] [--json]
 *
 * Setups (each a BasicTracerProvider, spans shaped like model calls: 12
 * attributes, ~300 chars of input and output messages):
 *   bare            BatchSpanProcessor + a no-op exporter (the baseline)
 *   worker          SkeinSpanProcessor({ dbPath }): snapshots on the app thread, writes on a worker
 *   worker-noredact the same with redaction off
 *   thread          SkeinSpanProcessor({ store }): a store object given by the user, written on the app thread
 * The app loop yields every 100 spans, so the processor's flushes land on the
 * main thread between them, as they would in an app; each round ends with
 * forceFlush (for the worker: until it has committed). Each setup is one
 * processor for the whole run (warmed up by an unmeasured round first), as an
 * app has one for its lifetime. Reported per span:
 * event-loop active time of the main thread (performance.eventLoopUtilization,
 * the event loop's own accounting; the worker's time is not in it), wall time
 * of the round, and CPU of the whole process, every thread
 * (process.cpuUsage).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import { SkeinSpanProcessor } from '../src/processor/skein-span-processor.js';
import { SqliteTraceStore } from '../src/store/sqlite/index.js';
import { mainThreadCpuMillis } from './lib/thread-cpu.js';

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const spansPerRound = Number(positional[0] ?? 20_000);
const rounds = Number(positional[1] ?? 5);
const YIELD_EVERY = 100;
const SESSION_SPANS = Number(positional[2] ?? 100);

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
  dropped?: () => number;
}

function bare(): Setup {
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new NoopExporter())] });
  return { name: 'bare', tracer: provider.getTracer('bench'), flush: () => provider.forceFlush(), close: () => provider.shutdown() };
}

function withProcessor(name: string, processor: SkeinSpanProcessor, after?: () => Promise<void>): Setup {
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  return {
    name,
    tracer: provider.getTracer('bench'),
    flush: () => provider.forceFlush(),
    close: async () => {
      await provider.shutdown();
      await after?.();
    },
    dropped: () => processor.droppedSpans,
  };
}

// The bench's loop makes spans far faster than any app: a queue this deep
// drops nothing, so every setup does all the work it is timed for.
const maxQueueSize = 4 * spansPerRound;
const dbFile = (dir: string): string => join(dir, `bench-${Date.now()}-${Math.random()}.db`);

function worker(dir: string): Setup {
  return withProcessor('worker', new SkeinSpanProcessor({ dbPath: dbFile(dir), maxQueueSize }));
}

function workerNoRedaction(dir: string): Setup {
  return withProcessor('worker-noredact', new SkeinSpanProcessor({ dbPath: dbFile(dir), maxQueueSize, redaction: { enabled: false } }));
}

function thread(dir: string): Setup {
  const store = new SqliteTraceStore({ path: dbFile(dir) });
  return withProcessor('thread', new SkeinSpanProcessor({ store, maxQueueSize }), () => store.close());
}

const QUESTION = 'Where is my order A-1042? It was due last week and the tracking page still says label created, can you check with the carrier';
const ANSWER = 'Your order shipped on Monday with DHL, tracking number 00340434161094015902, and should arrive by Friday. I have asked the carrier';
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
    'gen_ai.input.messages': `[{"role":"user","parts":[{"type":"text","content":"${QUESTION} (${n})"}]}]`,
    'gen_ai.output.messages': `[{"role":"assistant","parts":[{"type":"text","content":"${ANSWER}"}],"finish_reason":"stop"}]`,
  });
  span.end();
}

interface RoundResult {
  wallNs: number;
  eluNs: number;
  cpuNs: number;
  /** Main thread only (Linux /proc), NaN elsewhere. */
  mainCpuNs: number;
}

async function round(setup: Setup): Promise<RoundResult> {
  const roundId = sequence;
  // A worker's start-up (its module loading) is not part of any span's cost.
  await setup.flush();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMillis();
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
    mainCpuNs: main0 === null ? NaN : (((mainThreadCpuMillis() as number) - main0) * 1e6) / spansPerRound,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const ALL_SETUPS: Record<string, (dir: string) => Setup> = { bare, worker, 'worker-noredact': workerNoRedaction, thread };
// `--only=worker` still runs the baseline: every ratio is to it.
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
const SETUPS = Object.fromEntries(Object.entries(ALL_SETUPS).filter(([name]) => name === 'bare' || only === undefined || only.includes(name)));

const dir = mkdtempSync(join(tmpdir(), 'skein-bench-'));
try {
  const results: Record<string, RoundResult[]> = {};
  // One processor per setup for the whole run, as an app has one for its lifetime: a
  // processor per round measured a writer thread with a cold JIT each time (about half of
  // the worker's process CPU per span at 10 000 spans per round).
  const setups = Object.fromEntries(Object.entries(SETUPS).map(([name, make]) => [name, make(dir)]));
  // Warm-up: JIT (of both threads) and SQLite page cache, not measured.
  for (const setup of Object.values(setups)) await round(setup);
  const names = Object.keys(SETUPS);
  for (let r = 0; r < rounds; r++) {
    // Rotate the order so drift on a shared machine does not favour one setup.
    for (let i = 0; i < names.length; i++) {
      const setup = setups[names[(i + r) % names.length]];
      (results[setup.name] ??= []).push(await round(setup));
    }
  }
  let dropped = 0;
  for (const setup of Object.values(setups)) {
    dropped += setup.dropped?.() ?? 0;
    await setup.close();
  }
  const summary = (name: string) => ({
    wallNs: median(results[name].map((x) => x.wallNs)),
    eluNs: median(results[name].map((x) => x.eluNs)),
    cpuNs: median(results[name].map((x) => x.cpuNs)),
    mainCpuNs: median(results[name].map((x) => x.mainCpuNs)),
  });
  const table = Object.fromEntries(names.map((name) => [name, summary(name)]));
  const base = table.bare;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`node ${process.version}, ${spansPerRound} spans x ${rounds} rounds, ${SESSION_SPANS} spans per session, medians, ns per span`);
  console.log('setup               event-loop active  x bare   main-thread cpu  x bare   process cpu  x bare          wall');
  for (const name of names) {
    const row = table[name];
    console.log(
      `${name.padEnd(18)} ${fmt(row.eluNs).padStart(12)} ${(row.eluNs / base.eluNs).toFixed(2).padStart(9)} ` +
        `${fmt(row.mainCpuNs).padStart(15)} ${(row.mainCpuNs / base.mainCpuNs).toFixed(2).padStart(7)} ` +
        `${fmt(row.cpuNs).padStart(13)} ${(row.cpuNs / base.cpuNs).toFixed(2).padStart(7)} ${fmt(row.wallNs).padStart(13)}`,
    );
  }
  console.log(`spans dropped: ${dropped}`);
  if (process.argv.includes('--json')) {
    console.log(`RESULT ${JSON.stringify({ spansPerRound, rounds, dropped, perRound: results, medians: table })}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
