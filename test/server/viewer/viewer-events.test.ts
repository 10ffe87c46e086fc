/**
 * OTLP log events in the viewer (issue 16), in a real browser against a real
 * collector, the data sent as an agent sends it: spans through the official
 * OTLP/HTTP trace exporter, log events through the official OTLP/HTTP logs
 * exporter, emitted inside the spans so they carry their trace and span ids.
 * The step panel lists its step's events; the session's Events tab lists them
 * all in time order, filters them by name and severity, pages them, and gains
 * new ones from the live stream without a reload or a duplicate.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { AnyValue, LogAttributes } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import { PHONE, launchBrowser } from './browser.js';
import type { TestBrowser } from './browser.js';

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });
const T0_MILLIS = Date.UTC(2026, 0, 5, 10, 0, 0);
const SESSION = 'sess-events';
const QUIET = 'sess-no-events';
const LOGS_ONLY = 'sess-logs-only';
const BUSY = 'sess-busy-step';
/** More records on one step than the trace's spans carry (100 a step). */
const BUSY_EVENTS = 130;
const LONG_BODY = `Tool output:\n${'a line of the tool’s output\n'.repeat(40)}`;
/** More than a page (100) of records of one name, so the tab pages them. */
const TICKS = 110;

let dir: string;
let collector: RunningCollector;
let browser: TestBrowser;
let logs: LoggerProvider;
let tracing: BasicTracerProvider;
let chat: { spanId: string; traceId: string };

interface EventSpec {
  eventName: string;
  severity: SeverityNumber;
  body: AnyValue;
  attributes?: LogAttributes;
  atMillis: number;
  context?: Context;
}

/** Emits log events through the SDK, in one export (the exporter drops requests past 30 in flight), and waits until the collector has them. */
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

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skein-viewer-events-'));
  collector = await startCollector({ dbPath: join(dir, 'events.db'), port: 0, livePollIntervalMillis: 20 });
  const resource = resourceFromAttributes({ 'service.name': 'events-agent' });
  tracing = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }))] });
  logs = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${collector.url}/v1/logs` }) })] });

  const tracer = tracing.getTracer('events-agent');
  const session = { 'gen_ai.conversation.id': SESSION };
  const root = tracer.startSpan('invoke_agent helper', { attributes: { ...session, 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'helper' }, startTime: new Date(T0_MILLIS) }, ROOT_CONTEXT);
  const rootContext = trace.setSpan(ROOT_CONTEXT, root);
  const call: Span = tracer.startSpan('chat gpt-4o', { attributes: { ...session, 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' }, startTime: new Date(T0_MILLIS + 100) }, rootContext);
  const callContext = trace.setSpan(ROOT_CONTEXT, call);
  chat = { spanId: call.spanContext().spanId, traceId: call.spanContext().traceId };
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
  browser = await launchBrowser();
});
afterEach(async () => {
  await browser?.closePages();
});
afterAll(async () => {
  await browser?.close();
  await logs?.shutdown();
  await tracing?.shutdown();
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(path: string, viewport?: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage(viewport);
  await page.goto(`${collector.url}${path}`);
  return page;
}
/** How far the page's content reaches past the window's right edge. */
const overflow = (page: Page) => page.evaluate<number>(`(() => { const main = document.querySelector('main'); return main.scrollWidth - main.clientWidth; })()`);
const names = (page: Page, list: string) => page.locator(`${list} .log-event`).evaluateAll((items) => items.map((li) => li.getAttribute('data-event-name')));

describe('log events in the viewer', () => {
  it('lists the step’s own events in its panel, in time order: strings as text, objects as JSON, attributes on demand', async () => {
    const page = await open(`/sessions/${SESSION}/steps/${chat.spanId}`);
    const section = page.locator('.step-logs');
    await eventually(() => section.locator('.log-event').count()).toBe(2);
    expect(await section.locator('h3').textContent()).toBe('Log events (2)');
    expect(await names(page, '.step-logs')).toEqual(['gen_ai.user.message', 'gen_ai.choice']);
    const [prompt, choice] = [section.locator('.log-event').nth(0), section.locator('.log-event').nth(1)];
    // Data is text: the markup in the prompt is shown, not made.
    expect(await prompt.locator('.log-body').textContent()).toBe('Where is the <b>Louvre</b>?');
    expect(await prompt.locator('.log-body b').count()).toBe(0);
    expect(await prompt.locator('.badge.sev').textContent()).toBe('INFO');
    expect(await prompt.locator('.log-time').textContent()).toBe('+100 ms');
    expect(JSON.parse((await choice.locator('pre.log-body').textContent())!)).toEqual({ index: 0, message: { role: 'assistant', content: 'Paris.' } });
    const attributes = prompt.locator('details.log-attrs');
    expect(await attributes.locator('table').isVisible()).toBe(false);
    await attributes.locator('summary').click();
    await eventually(() => attributes.locator('table').isVisible()).toBe(true);
    expect(await attributes.locator('tr', { hasText: 'gen_ai.system' }).locator('td').textContent()).toBe('openai');
    await browser.screenshot(page, 'events-step-1280');

    // The root step's one event is long: collapsed under a preview.
    await page.locator('.wf-row[data-step-type="agent"] .wf-link').click();
    await eventually(() => page.locator('.step-logs h3').textContent()).toBe('Log events (1)');
    const long = page.locator('.step-logs details.log-long');
    expect(await long.getAttribute('open')).toBeNull();
    expect(await long.locator('summary').textContent()).toContain(`(${LONG_BODY.length.toLocaleString('en-US')} characters)`);
    expect(browser.errors).toEqual([]);
  });

  it('lists the session’s events in time order, filtered by name and severity, a page at a time', async () => {
    const page = await open(`/sessions/${SESSION}?view=events`);
    const list = '#tab-events';
    await eventually(() => page.locator(`${list} .log-event`).count()).toBe(100);
    expect((await names(page, list)).slice(0, 5)).toEqual(['gen_ai.user.message', 'gen_ai.choice', 'agent.tool_result', 'agent.api_error', 'agent.tick']);
    // The event tied to a step links to it; the one tied to none does not.
    expect(await page.locator(`${list} .log-event[data-event-name="gen_ai.choice"] a.log-step`).textContent()).toBe('chat gpt-4o');
    expect(await page.locator(`${list} .log-event[data-event-name="agent.api_error"] a.log-step`).count()).toBe(0);
    await page.getByRole('button', { name: 'Load more' }).click();
    await eventually(() => page.locator(`${list} .log-event`).count()).toBe(4 + TICKS);
    expect(await page.getByRole('button', { name: 'Load more' }).isHidden()).toBe(true);
    const ticks = await page.locator(`${list} .log-event[data-event-name="agent.tick"] .log-body`).allTextContents();
    expect(ticks).toEqual(Array.from({ length: TICKS }, (_, i) => `tick ${i}`));

    // The names present are the choices; a choice narrows the list and is kept in the URL.
    expect(await page.locator('#events-name option').allTextContents()).toEqual(['any', 'agent.api_error', 'agent.tick', 'agent.tool_result', 'gen_ai.choice', 'gen_ai.user.message']);
    await page.selectOption('#events-severity', String(SeverityNumber.WARN));
    await eventually(() => names(page, list)).toEqual(['agent.tool_result', 'agent.api_error']);
    await page.selectOption('#events-name', 'agent.api_error');
    await eventually(() => names(page, list)).toEqual(['agent.api_error']);
    expect(new URL(page.url()).searchParams.get('event')).toBe('agent.api_error');
    expect(new URL(page.url()).searchParams.get('severity')).toBe(String(SeverityNumber.WARN));
    await browser.screenshot(page, 'events-filtered-1280');

    // Reloaded, the same filters; a filter nothing matches says so.
    await page.reload();
    await eventually(() => names(page, list)).toEqual(['agent.api_error']);
    await page.selectOption('#events-severity', String(SeverityNumber.FATAL));
    await eventually(() => page.locator(`${list} .list-status`).textContent()).toBe('No log events match these filters.');

    // The step link opens the step in the Steps tab.
    await page.selectOption('#events-severity', '');
    await page.selectOption('#events-name', 'gen_ai.choice');
    await page.locator(`${list} a.log-step`).click();
    await page.waitForURL(new RegExp(`/steps/${chat.spanId}`));
    await eventually(() => page.locator('.step-logs .log-event').count()).toBe(2);
    expect(browser.errors).toEqual([]);
  });

  it('fits a phone: the events and a step’s events without sideways scrolling; a session without events says so', async () => {
    const page = await open(`/sessions/${SESSION}?view=events`, PHONE);
    await eventually(() => page.locator('#tab-events .log-event').count()).toBe(100);
    await page.locator('#tab-events details.log-long summary').click();
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await browser.screenshot(page, 'events-list-390');
    await page.goto(`${collector.url}/sessions/${SESSION}/steps/${chat.spanId}`);
    await eventually(() => page.locator('.step-logs .log-event').count()).toBeGreaterThanOrEqual(2);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await browser.screenshot(page, 'events-step-390');

    await page.goto(`${collector.url}/sessions/${QUIET}?view=events`);
    await eventually(() => page.locator('#tab-events .list-status').textContent()).toBe('No log events for this session.');
    expect(await page.locator('#tab-events .log-event').count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });

  it('shows the API’s answer when it refuses the list (a severity past FATAL4 in a hand-made link)', async () => {
    const page = await open(`/sessions/${SESSION}?view=events&severity=99`);
    const alert = page.locator('#tab-events .error-box[role="alert"]');
    await alert.waitFor();
    expect(await alert.locator('strong').textContent()).toBe('Could not load the events');
    expect(await alert.locator('p').textContent()).toContain('minSeverity');
    // The filter the link asked for is the one shown, not "any".
    expect(await page.locator('#events-severity').inputValue()).toBe('99');
    expect(await page.locator('#tab-events .log-event').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Load more' }).isHidden()).toBe(true);
    expect(browser.errors).toEqual([]);
  });

  it('appends new events from the live stream while the tab is open, each once, and the open step gains its own', async () => {
    const page = await open(`/sessions/${SESSION}/steps/${chat.spanId}?view=events&event=agent.live`);
    await eventually(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    await eventually(() => page.locator('#tab-events .list-status').textContent()).toBe('No log events match these filters.');
    await page.evaluate('window.__sameDocument = true');
    // From here on the list grows from the stream alone: it reads no page again.
    const reads: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.endsWith('/events')) reads.push(request.url());
    });

    const callContext = trace.setSpanContext(ROOT_CONTEXT, { traceId: chat.traceId, spanId: chat.spanId, traceFlags: 1 });
    await emit([
      { eventName: 'agent.live', severity: SeverityNumber.INFO, body: 'first live event', atMillis: T0_MILLIS + 5000, context: callContext },
      { eventName: 'agent.other', severity: SeverityNumber.INFO, body: 'filtered out', atMillis: T0_MILLIS + 5001 },
    ]);
    await eventually(() => page.locator('#tab-events .log-body').allTextContents()).toEqual(['first live event']);
    await emit([{ eventName: 'agent.live', severity: SeverityNumber.ERROR, body: 'second live event', atMillis: T0_MILLIS + 5002 }]);
    await eventually(() => page.locator('#tab-events .log-body').allTextContents()).toEqual(['first live event', 'second live event']);
    expect(await page.locator('#tab-events .list-status').textContent()).toBe('2 events');
    const ids = await page.locator('#tab-events .log-event').evaluateAll((items) => items.map((li) => li.getAttribute('data-log-id')));
    expect(new Set(ids).size).toBe(2);
    // A name that arrived live is a choice too.
    expect(await page.locator('#events-name option').allTextContents()).toContain('agent.other');

    // The step's panel gained the event tied to it (the Steps tab shows it).
    await page.locator('#tab-steps-button').click();
    await eventually(() => page.locator('.step-logs .log-body').allTextContents()).toContain('first live event');
    expect(await page.locator('.step-logs h3').textContent()).toBe('Log events (3)');
    // What the reader opened stays open when the panel gains an event (or the span closed by the reader stays closed).
    const firstAttributes = page.locator('.step-logs .log-event').first().locator('details.log-attrs');
    await firstAttributes.locator('summary').click();
    await page.locator('.step > details.attributes > summary').click();
    await emit([{ eventName: 'agent.live', severity: SeverityNumber.INFO, body: 'third live event', atMillis: T0_MILLIS + 5003, context: callContext }]);
    await eventually(() => page.locator('.step-logs h3').textContent()).toBe('Log events (4)');
    expect(await firstAttributes.getAttribute('open')).toBe('');
    expect(await page.locator('.step > details.attributes').getAttribute('open')).toBeNull();
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(reads).toEqual([]);
    await browser.screenshot(page, 'events-live-1280');
    expect(browser.errors).toEqual([]);
  });

  it('shows a record once when it comes both from the stream and in the page being read', async () => {
    const page = await browser.newPage();
    // The tab's first read is held back until the record has come on the stream.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/api\/sessions\/[^/]+\/events\?.*eventName=agent\.both/, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${collector.url}/sessions/${SESSION}/steps/${chat.spanId}?view=events&event=agent.both`);
    await eventually(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    await eventually(() => page.locator('#tab-events .list-status').textContent()).toBe('Loading events…');

    const callContext = trace.setSpanContext(ROOT_CONTEXT, { traceId: chat.traceId, spanId: chat.spanId, traceFlags: 1 });
    await emit([{ eventName: 'agent.both', severity: SeverityNumber.INFO, body: 'both ways', atMillis: T0_MILLIS + 6000, context: callContext }]);
    // On the stream: the (hidden) step panel has it already, the list is still waiting for its page.
    await eventually(() => page.locator('.step-logs .log-body').allTextContents()).toContain('both ways');
    expect(await page.locator('#tab-events .log-event').count()).toBe(0);
    release();
    await eventually(() => page.locator('#tab-events .list-status').textContent()).toBe('1 event');
    expect(await page.locator('#tab-events .log-body').allTextContents()).toEqual(['both ways']);
    expect(browser.errors).toEqual([]);
  });

  it('shows a session known only by its log events, live, until its first span makes it a whole session page', async () => {
    const page = await open(`/sessions/${LOGS_ONLY}`);
    await page.locator('.waiting').waitFor();
    await eventually(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    await page.evaluate('window.__sameDocument = true');
    const only = (body: string, atMillis: number) => ({ eventName: 'claude_code.user_prompt', severity: SeverityNumber.INFO, body, attributes: { 'session.id': LOGS_ONLY }, atMillis });

    await emit([only('first prompt', T0_MILLIS)]);
    await eventually(() => page.locator('#tab-events .log-body').allTextContents()).toEqual(['first prompt']);
    expect(await page.locator('h1').textContent()).toBe(`Session ${LOGS_ONLY}`);
    expect(await page.locator('.waiting').count()).toBe(0);
    await emit([only('second prompt', T0_MILLIS + 1000)]);
    await eventually(() => page.locator('#tab-events .log-body').allTextContents()).toEqual(['first prompt', 'second prompt']);
    await browser.screenshot(page, 'events-logs-only-1280');

    const span = tracing.getTracer('late').startSpan('invoke_agent late', { attributes: { 'gen_ai.conversation.id': LOGS_ONLY, 'gen_ai.operation.name': 'invoke_agent' }, startTime: new Date(T0_MILLIS) }, ROOT_CONTEXT);
    span.end(new Date(T0_MILLIS + 2000));
    await tracing.forceFlush();
    await eventually(() => page.locator('.wf-bar').count()).toBe(1);
    // The events stay in view, in their tab now.
    expect(await page.locator('#tab-events-button').getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('#tab-events .log-body').allTextContents()).toEqual(['first prompt', 'second prompt']);
    expect(new URL(page.url()).searchParams.get('view')).toBe('events');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(browser.errors).toEqual([]);
  });

  it('pages a step with more events than its span carries: the first 100, then all of them on request', async () => {
    const tracer = tracing.getTracer('busy');
    const step = tracer.startSpan('execute_tool grep', { attributes: { 'gen_ai.conversation.id': BUSY, 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'grep' }, startTime: new Date(T0_MILLIS) }, ROOT_CONTEXT);
    step.end(new Date(T0_MILLIS + 1000));
    await tracing.forceFlush();
    const context = trace.setSpan(ROOT_CONTEXT, step);
    await emit(
      Array.from({ length: BUSY_EVENTS }, (_, i) => ({ eventName: 'tool.match', severity: SeverityNumber.INFO, body: `match ${i}`, attributes: { 'session.id': BUSY }, atMillis: T0_MILLIS + i, context })),
    );

    const page = await open(`/sessions/${BUSY}/steps/${step.spanContext().spanId}`);
    await eventually(() => page.locator('.step-logs .log-event').count()).toBe(100);
    expect(await page.locator('.step-logs h3').textContent()).toBe('Log events (100+)');
    await page.getByRole('button', { name: 'Load all log events' }).click();
    await eventually(() => page.locator('.step-logs .log-event').count()).toBe(BUSY_EVENTS);
    expect(await page.locator('.step-logs h3').textContent()).toBe(`Log events (${BUSY_EVENTS})`);
    expect(await page.locator('.step-logs .log-body').allTextContents()).toEqual(Array.from({ length: BUSY_EVENTS }, (_, i) => `match ${i}`));
    expect(await page.getByRole('button', { name: 'Load all log events' }).count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });
});
