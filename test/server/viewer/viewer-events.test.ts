/**
 * OTLP log events in the viewer (issue 16), in a real browser against a real
 * collector holding them as an agent sends them (events-seed.ts). The step
 * panel lists its step's own events (and pages a long list); the session's
 * Events tab lists them all in time order, filters them by name and severity,
 * pages them, fits a phone, and says when there are none or the API refuses.
 * Live updates: viewer-events-live.test.ts.
 */

import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { PHONE } from './browser.js';
import { LONG_BODY, QUIET, SESSION, T0_MILLIS, TICKS, useEventsViewer } from './events-seed.js';

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });
const BUSY = 'sess-busy-step';
/** More records on one step than the trace's spans carry (100 a step). */
const BUSY_EVENTS = 130;

const viewer = useEventsViewer();
/** How far the page's content reaches past the window's right edge. */
const overflow = (page: Page) => page.evaluate<number>(`(() => { const main = document.querySelector('main'); return main.scrollWidth - main.clientWidth; })()`);
const names = (page: Page, list: string) => page.locator(`${list} .log-event`).evaluateAll((items) => items.map((li) => li.getAttribute('data-event-name')));

describe('log events in the viewer', () => {
  it('lists the step’s own events in its panel, in time order: strings as text, objects as JSON, attributes on demand', async () => {
    const page = await viewer.open(`/sessions/${SESSION}/steps/${viewer.seeded.chat.spanId}`);
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
    await viewer.browser.screenshot(page, 'events-step-1280');

    // The root step's one event is long: collapsed under a preview.
    await page.locator('.wf-row[data-step-type="agent"] .wf-link').click();
    await eventually(() => page.locator('.step-logs h3').textContent()).toBe('Log events (1)');
    const long = page.locator('.step-logs details.log-long');
    expect(await long.getAttribute('open')).toBeNull();
    expect(await long.locator('summary').textContent()).toContain(`(${LONG_BODY.length.toLocaleString('en-US')} characters)`);
    expect(viewer.browser.errors).toEqual([]);
  });

  it('lists the session’s events in time order, filtered by name and severity, a page at a time', async () => {
    const page = await viewer.open(`/sessions/${SESSION}?view=events`);
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
    await viewer.browser.screenshot(page, 'events-filtered-1280');

    // Reloaded, the same filters; a filter nothing matches says so.
    await page.reload();
    await eventually(() => names(page, list)).toEqual(['agent.api_error']);
    await page.selectOption('#events-severity', String(SeverityNumber.FATAL));
    await eventually(() => page.locator(`${list} .list-status`).textContent()).toBe('No log events match these filters.');

    // The step link opens the step in the Steps tab.
    await page.selectOption('#events-severity', '');
    await page.selectOption('#events-name', 'gen_ai.choice');
    await page.locator(`${list} a.log-step`).click();
    await page.waitForURL(new RegExp(`/steps/${viewer.seeded.chat.spanId}`));
    await eventually(() => page.locator('.step-logs .log-event').count()).toBe(2);
    expect(viewer.browser.errors).toEqual([]);
  });

  it('fits a phone: the events and a step’s events without sideways scrolling; a session without events says so', async () => {
    const page = await viewer.open(`/sessions/${SESSION}?view=events`, PHONE);
    await eventually(() => page.locator('#tab-events .log-event').count()).toBe(100);
    await page.locator('#tab-events details.log-long summary').click();
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await viewer.browser.screenshot(page, 'events-list-390');
    await page.goto(`${viewer.seeded.collector.url}/sessions/${SESSION}/steps/${viewer.seeded.chat.spanId}`);
    await eventually(() => page.locator('.step-logs .log-event').count()).toBeGreaterThanOrEqual(2);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await viewer.browser.screenshot(page, 'events-step-390');

    await page.goto(`${viewer.seeded.collector.url}/sessions/${QUIET}?view=events`);
    await eventually(() => page.locator('#tab-events .list-status').textContent()).toBe('No log events for this session.');
    expect(await page.locator('#tab-events .log-event').count()).toBe(0);
    expect(viewer.browser.errors).toEqual([]);
  });

  it('shows the API’s answer when it refuses the list (a severity past FATAL4 in a hand-made link)', async () => {
    const page = await viewer.open(`/sessions/${SESSION}?view=events&severity=99`);
    const alert = page.locator('#tab-events .error-box[role="alert"]');
    await alert.waitFor();
    expect(await alert.locator('strong').textContent()).toBe('Could not load the events');
    expect(await alert.locator('p').textContent()).toContain('minSeverity');
    // The filter the link asked for is the one shown, not "any".
    expect(await page.locator('#events-severity').inputValue()).toBe('99');
    expect(await page.locator('#tab-events .log-event').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Load more' }).isHidden()).toBe(true);
    expect(viewer.browser.errors).toEqual([]);
  });

  it('pages a step with more events than its span carries: the first 100, then all of them on request', async () => {
    const tracer = viewer.seeded.tracing.getTracer('busy');
    const step = tracer.startSpan('execute_tool grep', { attributes: { 'gen_ai.conversation.id': BUSY, 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'grep' }, startTime: new Date(T0_MILLIS) }, ROOT_CONTEXT);
    step.end(new Date(T0_MILLIS + 1000));
    await viewer.seeded.tracing.forceFlush();
    const context = trace.setSpan(ROOT_CONTEXT, step);
    await viewer.seeded.emit(
      Array.from({ length: BUSY_EVENTS }, (_, i) => ({ eventName: 'tool.match', severity: SeverityNumber.INFO, body: `match ${i}`, attributes: { 'session.id': BUSY }, atMillis: T0_MILLIS + i, context })),
    );

    const page = await viewer.open(`/sessions/${BUSY}/steps/${step.spanContext().spanId}`);
    await eventually(() => page.locator('.step-logs .log-event').count()).toBe(100);
    expect(await page.locator('.step-logs h3').textContent()).toBe('Log events (100+)');
    await page.getByRole('button', { name: 'Load all log events' }).click();
    await eventually(() => page.locator('.step-logs .log-event').count()).toBe(BUSY_EVENTS);
    expect(await page.locator('.step-logs h3').textContent()).toBe(`Log events (${BUSY_EVENTS})`);
    expect(await page.locator('.step-logs .log-body').allTextContents()).toEqual(Array.from({ length: BUSY_EVENTS }, (_, i) => `match ${i}`));
    expect(await page.getByRole('button', { name: 'Load all log events' }).count()).toBe(0);
    expect(viewer.browser.errors).toEqual([]);
  });
});
