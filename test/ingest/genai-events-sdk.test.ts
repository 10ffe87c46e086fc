/**
 * GenAI events sent by the official OTel JS SDK (sdk-logs and sdk-trace-base with the OTLP/HTTP protobuf
 * exporters) to a real collector: a model call's span (tokens) and its conversation events (the messages
 * sent, the choices; or one `gen_ai.client.inference.operation.details` event with `gen_ai.input.messages`)
 * make one step with its input and output, whichever signal is exported first; a later call that re-sends
 * the history, in the same trace or in a later trace of the same session, stores only what is new.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind, context, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { AnyValue, AnyValueMap } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import type { StoredSpan } from '../../src/model/types.js';

const SESSION = 'sdk-genai-events-1';
const SYSTEM = 'You are a travel agent.';
const ASK = 'Plan a day in Lisbon.';
const ANSWER = 'Start at Belém, lunch in Alfama, sunset at Miradouro da Graça.';
const FOLLOW_UP = 'And a rainy day?';
const RAINY = 'Visit the Gulbenkian museum and the Oceanário.';

/** The SDK's providers exporting to the collector; each signal flushed when the test says. */
class Sdk {
  readonly tracer;
  readonly logger;
  private readonly traces: BasicTracerProvider;
  private readonly logs: LoggerProvider;
  constructor(url: string) {
    const resource = resourceFromAttributes({ 'service.name': 'genai-events-test' });
    this.traces = new BasicTracerProvider({
      resource,
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
    });
    this.logs = new LoggerProvider({
      resource,
      processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${url}/v1/logs` }) })],
    });
    this.tracer = this.traces.getTracer('genai-events-test');
    this.logger = this.logs.getLogger('@opentelemetry/instrumentation-openai', '0.21.0');
  }
  /** A chat call span (ended) with tokens and the session key (unless `keyed` is false); `parent` makes it a child. */
  call(inputTokens: number, parent?: Span, keyed = true): Span {
    const ctx = parent === undefined ? context.active() : trace.setSpan(context.active(), parent);
    const span = this.tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': inputTokens,
          'gen_ai.usage.output_tokens': 20,
          ...(keyed ? { 'session.id': SESSION } : {}),
        },
      },
      ctx,
    );
    span.end();
    return span;
  }
  /** An event of `span` as instrumentation-openai emits it (name in `event.name`), or with the SDK's own `eventName`. */
  event(span: Span, name: string, body: AnyValue, how: 'attribute' | 'eventName' = 'attribute', attributes: AnyValueMap = {}): void {
    this.logger.emit({
      ...(how === 'eventName' ? { eventName: name } : {}),
      body,
      attributes: { ...(how === 'attribute' ? { 'event.name': name } : {}), 'gen_ai.system': 'openai', ...attributes },
      context: trace.setSpan(context.active(), span),
    });
  }
  async flushTraces(): Promise<void> {
    await this.traces.forceFlush();
  }
  async flushLogs(): Promise<void> {
    await this.logs.forceFlush();
  }
  async shutdown(): Promise<void> {
    await this.traces.shutdown();
    await this.logs.shutdown();
  }
}

let dir: string;
let collector: RunningCollector;
let sdk: Sdk;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skein-genai-sdk-'));
  collector = await startCollector({ dbPath: join(dir, 'skein.db'), port: 0 });
  sdk = new Sdk(collector.url);
});
afterEach(async () => {
  await sdk?.shutdown();
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function stored(span: Span): Promise<StoredSpan> {
  const { traceId, spanId } = span.spanContext();
  const found = (await collector.store.getSpans({ traceId })).items.find((s) => s.spanId === spanId);
  if (found === undefined) throw new Error(`span ${spanId} not stored`);
  return found;
}

/** A first call (system + user → answer) and a second that re-sends it and adds a question. */
function twoCalls(first: Span, second: Span, how: 'attribute' | 'eventName'): void {
  sdk.event(first, 'gen_ai.system.message', { content: SYSTEM }, how);
  sdk.event(first, 'gen_ai.user.message', { content: ASK }, how);
  sdk.event(first, 'gen_ai.choice', { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: ANSWER } }, how);
  sdk.event(second, 'gen_ai.system.message', { content: SYSTEM }, how);
  sdk.event(second, 'gen_ai.user.message', { content: ASK }, how);
  sdk.event(second, 'gen_ai.assistant.message', { content: ANSWER }, how);
  sdk.event(second, 'gen_ai.user.message', { content: FOLLOW_UP }, how);
  sdk.event(second, 'gen_ai.choice', { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: RAINY } }, how);
}

describe('GenAI events from the official SDK become their call conversation', () => {
  it.each([
    { order: 'spans first, names in event.name', spansFirst: true, how: 'attribute' as const },
    { order: 'events first, names in LogRecord.event_name', spansFirst: false, how: 'eventName' as const },
  ])('$order', async ({ spansFirst, how }) => {
    const root = sdk.tracer.startSpan('agent-turn', { attributes: { 'session.id': SESSION } });
    const first = sdk.call(100, root);
    const second = sdk.call(160, root);
    root.end();
    twoCalls(first, second, how);
    if (spansFirst) {
      await sdk.flushTraces();
      await sdk.flushLogs();
    } else {
      await sdk.flushLogs();
      await sdk.flushTraces();
    }

    const a = await stored(first);
    const b = await stored(second);
    expect([a.input?.text, a.output?.text]).toEqual([`system: ${SYSTEM}\nuser: ${ASK}`, `assistant: ${ANSWER}`]);
    expect([b.input?.text, b.output?.text]).toEqual([`[3 earlier messages, as in the previous call]\nuser: ${FOLLOW_UP}`, `assistant: ${RAINY}`]);
    const session = await collector.store.getSession(SESSION);
    expect({ llm: session.llmCallCount, input: session.tokens.input, output: session.tokens.output }).toEqual({ llm: 2, input: 260, output: 40 });
    // The kept events are the whole conversation: the step's log events.
    const events = (await collector.store.listLogs({ traceId: b.traceId, spanId: b.spanId })).items;
    expect(events).toHaveLength(5);
  });

  it('a later trace of the same session re-sending the history stores only what is new', async () => {
    const first = sdk.call(100);
    sdk.event(first, 'gen_ai.system.message', { content: SYSTEM });
    sdk.event(first, 'gen_ai.user.message', { content: ASK });
    sdk.event(first, 'gen_ai.choice', { index: 0, message: { role: 'assistant', content: ANSWER } });
    await sdk.flushTraces();
    await sdk.flushLogs();
    const second = sdk.call(160);
    expect(second.spanContext().traceId).not.toBe(first.spanContext().traceId);
    sdk.event(second, 'gen_ai.system.message', { content: SYSTEM });
    sdk.event(second, 'gen_ai.user.message', { content: ASK });
    sdk.event(second, 'gen_ai.assistant.message', { content: ANSWER });
    sdk.event(second, 'gen_ai.user.message', { content: FOLLOW_UP });
    sdk.event(second, 'gen_ai.choice', { index: 0, message: { role: 'assistant', content: RAINY } });
    await sdk.flushLogs();
    await sdk.flushTraces();
    expect((await stored(second)).input?.text).toBe(`[3 earlier messages, as in the previous call]\nuser: ${FOLLOW_UP}`);
    const hits = (await collector.store.search({ text: '"travel agent"' })).map((h) => h.spanId);
    expect(hits).toEqual([first.spanContext().spanId]);
  });

  it("the same when only each trace's root span names the session (its calls inherit it)", async () => {
    const turn = (): { root: Span; call: Span } => {
      const root = sdk.tracer.startSpan('agent-turn', { attributes: { 'gen_ai.conversation.id': SESSION } }, ROOT_CONTEXT);
      const call = sdk.call(100, root, false);
      root.end();
      return { root, call };
    };
    const first = turn();
    sdk.event(first.call, 'gen_ai.user.message', { content: ASK });
    sdk.event(first.call, 'gen_ai.choice', { index: 0, message: { role: 'assistant', content: ANSWER } });
    await sdk.flushTraces();
    await sdk.flushLogs();
    const second = turn();
    sdk.event(second.call, 'gen_ai.user.message', { content: ASK });
    sdk.event(second.call, 'gen_ai.assistant.message', { content: ANSWER });
    sdk.event(second.call, 'gen_ai.user.message', { content: FOLLOW_UP });
    await sdk.flushLogs();
    await sdk.flushTraces();
    expect((await stored(second.call)).resolvedSessionId).toBe(SESSION);
    expect((await stored(second.call)).input?.text).toBe(`[2 earlier messages, as in the previous call]\nuser: ${FOLLOW_UP}`);
  });

  it('gen_ai.client.inference.operation.details: gen_ai.input.messages, gen_ai.output.messages and the system instructions', async () => {
    const span = sdk.call(100);
    const input = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: ASK }] }]);
    const output = JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: ANSWER }], finish_reason: 'stop' }]);
    const system = JSON.stringify([{ type: 'text', content: SYSTEM }]);
    sdk.event(span, 'gen_ai.client.inference.operation.details', 'GenAI operation details', 'eventName', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system_instructions': system,
      'gen_ai.input.messages': input,
      'gen_ai.output.messages': output,
    });
    await sdk.flushLogs();
    await sdk.flushTraces();
    const call = await stored(span);
    expect([call.input?.text, call.output?.text]).toEqual([`system: ${SYSTEM}\nuser: ${ASK}`, `assistant: ${ANSWER}`]);
    expect((await collector.store.search({ text: 'Alfama' })).map((h) => h.spanId)).toEqual([span.spanContext().spanId]);
  });

  it('a span carrying its own messages keeps them: events only fill what it lacks', async () => {
    const span = sdk.tracer.startSpan('chat gpt-4o-mini', {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'from the span' }] }]),
      },
    });
    span.end();
    sdk.event(span, 'gen_ai.user.message', { content: 'from an event' });
    sdk.event(span, 'gen_ai.choice', { index: 0, message: { content: ANSWER } });
    await sdk.flushTraces();
    await sdk.flushLogs();
    const call = await stored(span);
    expect([call.input?.text, call.output?.text]).toEqual(['user: from the span', `assistant: ${ANSWER}`]);
  });
});
