/**
 * OTLP log events in the viewer as they arrive (issue 16), in a real browser
 * against a real collector (events-seed.ts), sent through the official OTLP
 * logs exporter while the page is open: the Events tab and the open step gain
 * them without a reload or a re-read, a record that comes both from the stream
 * and in the page being read shows once, and a session known only by its log
 * events shows them until its first span makes it a whole session page.
 */

import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { SESSION, T0_MILLIS, useEventsViewer } from './events-seed.js';

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });
const LOGS_ONLY = 'sess-logs-only';

const viewer = useEventsViewer();

describe('log events in the viewer, live', () => {
  it('appends new events from the live stream while the tab is open, each once, and the open step gains its own', async () => {
    const page = await viewer.open(`/sessions/${SESSION}/steps/${viewer.seeded.chat.spanId}?view=events&event=agent.live`);
    await eventually(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    await eventually(() => page.locator('#tab-events .list-status').textContent()).toBe('No log events match these filters.');
    await page.evaluate('window.__sameDocument = true');
    // From here on the list grows from the stream alone: it reads no page again.
    const reads: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.endsWith('/events')) reads.push(request.url());
    });

    const callContext = trace.setSpanContext(ROOT_CONTEXT, { traceId: viewer.seeded.chat.traceId, spanId: viewer.seeded.chat.spanId, traceFlags: 1 });
    await viewer.seeded.emit([
      { eventName: 'agent.live', severity: SeverityNumber.INFO, body: 'first live event', atMillis: T0_MILLIS + 5000, context: callContext },
      { eventName: 'agent.other', severity: SeverityNumber.INFO, body: 'filtered out', atMillis: T0_MILLIS + 5001 },
    ]);
    await eventually(() => page.locator('#tab-events .log-body').allTextContents()).toEqual(['first live event']);
    await viewer.seeded.emit([{ eventName: 'agent.live', severity: SeverityNumber.ERROR, body: 'second live event', atMillis: T0_MILLIS + 5002 }]);
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
    await viewer.seeded.emit([{ eventName: 'agent.live', severity: SeverityNumber.INFO, body: 'third live event', atMillis: T0_MILLIS + 5003, context: callContext }]);
    await eventually(() => page.locator('.step-logs h3').textContent()).toBe('Log events (4)');
    expect(await firstAttributes.getAttribute('open')).toBe('');
    expect(await page.locator('.step > details.attributes').getAttribute('open')).toBeNull();
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(reads).toEqual([]);
    await viewer.browser.screenshot(page, 'events-live-1280');
    expect(viewer.browser.errors).toEqual([]);
  });

  it('shows a record once when it comes both from the stream and in the page being read', async () => {
    const page = await viewer.browser.newPage();
    // The tab's first read is held back until the record has come on the stream.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/api\/sessions\/[^/]+\/events\?.*eventName=agent\.both/, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${viewer.seeded.collector.url}/sessions/${SESSION}/steps/${viewer.seeded.chat.spanId}?view=events&event=agent.both`);
    await eventually(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    await eventually(() => page.locator('#tab-events .list-status').textContent()).toBe('Loading events…');

    const callContext = trace.setSpanContext(ROOT_CONTEXT, { traceId: viewer.seeded.chat.traceId, spanId: viewer.seeded.chat.spanId, traceFlags: 1 });
    await viewer.seeded.emit([{ eventName: 'agent.both', severity: SeverityNumber.INFO, body: 'both ways', atMillis: T0_MILLIS + 6000, context: callContext }]);
    // On the stream: the (hidden) step panel has it already, the list is still waiting for its page.
    await eventually(() => page.locator('.step-logs .log-body').allTextContents()).toContain('both ways');
    expect(await page.locator('#tab-events .log-event').count()).toBe(0);
    release();
    await eventually(() => page.locator('#tab-events .list-status').textContent()).toBe('1 event');
    expect(await page.locator('#tab-events .log-body').allTextContents()).toEqual(['both ways']);
    expect(viewer.browser.errors).toEqual([]);
  });

  it('shows a session known only by its log events, live, until its first span makes it a whole session page', async () => {
    const page = await viewer.open(`/sessions/${LOGS_ONLY}`);
    await page.locator('.waiting').waitFor();
    await eventually(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    await page.evaluate('window.__sameDocument = true');
    const only = (body: string, atMillis: number) => ({ eventName: 'claude_code.user_prompt', severity: SeverityNumber.INFO, body, attributes: { 'session.id': LOGS_ONLY }, atMillis });

    await viewer.seeded.emit([only('first prompt', T0_MILLIS)]);
    await eventually(() => page.locator('#tab-events .log-body').allTextContents()).toEqual(['first prompt']);
    expect(await page.locator('h1').textContent()).toBe(`Session ${LOGS_ONLY}`);
    expect(await page.locator('.waiting').count()).toBe(0);
    await viewer.seeded.emit([only('second prompt', T0_MILLIS + 1000)]);
    await eventually(() => page.locator('#tab-events .log-body').allTextContents()).toEqual(['first prompt', 'second prompt']);
    await viewer.browser.screenshot(page, 'events-logs-only-1280');

    const span = viewer.seeded.tracing.getTracer('late').startSpan('invoke_agent late', { attributes: { 'gen_ai.conversation.id': LOGS_ONLY, 'gen_ai.operation.name': 'invoke_agent' }, startTime: new Date(T0_MILLIS) }, ROOT_CONTEXT);
    span.end(new Date(T0_MILLIS + 2000));
    await viewer.seeded.tracing.forceFlush();
    await eventually(() => page.locator('.wf-bar').count()).toBe(1);
    // The events stay in view, in their tab now.
    expect(await page.locator('#tab-events-button').getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('#tab-events .log-body').allTextContents()).toEqual(['first prompt', 'second prompt']);
    expect(new URL(page.url()).searchParams.get('view')).toBe('events');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(viewer.browser.errors).toEqual([]);
  });
});
