/**
 * A collector holding log events as an agent sends them, for the viewer's
 * events tests: spans through the official OTLP/HTTP trace exporter, log
 * events through the official OTLP/HTTP logs exporter, emitted inside the
 * spans so they carry their trace and span ids.
 *
 * - `sess-events` (agent helper): a root step and a model call. The call has
 *   a prompt (text with markup) and a choice (a structured body), given out
 *   of order; the root has one long tool result; one error is tied to no
 *   span; then `TICKS` debug ticks, more than a page.
 * - `sess-no-events`: one span, no log events.
 *
 * `useEventsViewer()` sets up a test file around one seed and one browser.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { AnyValue, LogAttributes } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import { launchBrowser } from './browser.js';
import type { TestBrowser } from './browser.js';

export const T0_MILLIS = Date.UTC(2026, 0, 5, 10, 0, 0);
export const SESSION = 'sess-events';
export const QUIET = 'sess-no-events';
export const LONG_BODY = `Tool output:\n${'a line of the tool’s output\n'.repeat(40)}`;
/** More than a page (100) of records of one name, so the tab pages them. */
export const TICKS = 110;

export interface EventSpec {
  eventName: string;
  severity: SeverityNumber;
  body: AnyValue;
  /** `session.id` is `SESSION` unless given here. */
  attributes?: LogAttributes;
  atMillis: number;
  context?: Context;
}

export interface EventsSeeded {
  collector: RunningCollector;
  tracing: BasicTracerProvider;
  /** The model call of `SESSION`. */
  chat: { spanId: string; traceId: string };
  /** Emits log events through the SDK in one export (the exporter drops requests past 30 in flight) and waits until the collector has them. */
  emit(events: EventSpec[]): Promise<void>;
  close(): Promise<void>;
}

export async function seedEvents(): Promise<EventsSeeded> {
  const dir = mkdtempSync(join(tmpdir(), 'skein-viewer-events-'));
  const collector = await startCollector({ dbPath: join(dir, 'events.db'), port: 0, livePollIntervalMillis: 20 });
  const resource = resourceFromAttributes({ 'service.name': 'events-agent' });
  const tracing = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }))] });
  const logs = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${collector.url}/v1/logs` }) })] });

  async function emit(events: EventSpec[]): Promise<void> {
    const logger = logs.getLogger('com.example.agent.events', '1.0.0');
    for (const e of events) {
      logger.emit({
        eventName: e.eventName,
        severityNumber: e.severity,
        body: e.body,
        attributes: { 'session.id': SESSION, ...e.attributes },
        timestamp: new Date(e.atMillis),
        context: e.context ?? ROOT_CONTEXT,
      });
    }
    await logs.forceFlush();
  }

  const tracer = tracing.getTracer('events-agent');
  const session = { 'gen_ai.conversation.id': SESSION };
  const root = tracer.startSpan('invoke_agent helper', { attributes: { ...session, 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'helper' }, startTime: new Date(T0_MILLIS) }, ROOT_CONTEXT);
  const rootContext = trace.setSpan(ROOT_CONTEXT, root);
  const call = tracer.startSpan('chat gpt-4o', { attributes: { ...session, 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' }, startTime: new Date(T0_MILLIS + 100) }, rootContext);
  const callContext = trace.setSpan(ROOT_CONTEXT, call);
  call.end(new Date(T0_MILLIS + 2000));
  root.end(new Date(T0_MILLIS + 3000));
  const quiet = tracer.startSpan('invoke_agent quiet', { attributes: { 'gen_ai.conversation.id': QUIET, 'gen_ai.operation.name': 'invoke_agent' }, startTime: new Date(T0_MILLIS) }, ROOT_CONTEXT);
  quiet.end(new Date(T0_MILLIS + 10));
  await tracing.forceFlush();

  await emit([
    // The model call's events, given out of order: the page shows them by time.
    { eventName: 'gen_ai.choice', severity: SeverityNumber.INFO, body: { index: 0, message: { role: 'assistant', content: 'Paris.' } }, atMillis: T0_MILLIS + 1900, context: callContext },
    { eventName: 'gen_ai.user.message', severity: SeverityNumber.INFO, body: 'Where is the <b>Louvre</b>?', attributes: { 'gen_ai.system': 'openai' }, atMillis: T0_MILLIS + 200, context: callContext },
    // Tied to the root step, and long.
    { eventName: 'agent.tool_result', severity: SeverityNumber.WARN, body: LONG_BODY, atMillis: T0_MILLIS + 2500, context: rootContext },
    // Tied to no span: only in the session's list.
    { eventName: 'agent.api_error', severity: SeverityNumber.ERROR, body: 'rate limited', attributes: { status_code: 429 }, atMillis: T0_MILLIS + 2600 },
    ...Array.from({ length: TICKS }, (_, i) => ({ eventName: 'agent.tick', severity: SeverityNumber.DEBUG, body: `tick ${i}`, atMillis: T0_MILLIS + 2700 + i })),
  ]);

  return {
    collector,
    tracing,
    chat: { spanId: call.spanContext().spanId, traceId: call.spanContext().traceId },
    emit,
    async close() {
      await logs.shutdown();
      await tracing.shutdown();
      await collector.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface EventsViewer {
  /** The seed; read it inside a test or hook (it is made in `beforeAll`). */
  readonly seeded: EventsSeeded;
  readonly browser: TestBrowser;
  /** A new page (desktop unless `viewport` is given) at `path` on the seeded collector. */
  open(path: string, viewport?: { width: number; height: number }): Promise<Page>;
}

/**
 * Registers the calling test file's hooks: seeds a collector and launches a
 * browser before its tests, closes the pages each test opened, and closes
 * both after its tests.
 */
export function useEventsViewer(): EventsViewer {
  let seeded: EventsSeeded | undefined;
  let browser: TestBrowser | undefined;
  beforeAll(async () => {
    seeded = await seedEvents();
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await browser?.closePages();
  });
  afterAll(async () => {
    await browser?.close();
    await seeded?.close();
  });
  const viewer: EventsViewer = {
    get seeded() {
      if (!seeded) throw new Error('the events seed is made in beforeAll: read it inside a test');
      return seeded;
    },
    get browser() {
      if (!browser) throw new Error('the browser is launched in beforeAll: read it inside a test');
      return browser;
    },
    async open(path, viewport) {
      const page = await viewer.browser.newPage(viewport);
      await page.goto(`${viewer.seeded.collector.url}${path}`);
      return page;
    },
  };
  return viewer;
}
