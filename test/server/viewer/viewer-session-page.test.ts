/**
 * The session page as Jaeger, Phoenix and Langfuse users expect it, in a real
 * browser against a real collector (issue 13): steps first, turns grouped on
 * their own axes, collapse, filter, trace-id lookup, OTLP JSON downloads,
 * missing-parent and clock-skew hints, ↑/↓ moving the selection, reasoning
 * shown once, the chat replay, the compare view, and a page opened before its
 * session exists. At 1280×800 and 390×844; screenshots in test-results/viewer/.
 */

import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import { PHONE, launchBrowser } from './browser.js';
import type { TestBrowser } from './browser.js';
import { OTHER, SINGLE, TURNS, seedTurns } from './turns-seed.js';
import type { TurnsSeeded } from './turns-seed.js';

const WIDE = { width: 1280, height: 800 };
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });

interface StepJson {
  spanId: string;
  traceId: string;
  name: string;
  stepType: string;
  isError: boolean;
  startTimeUnixNano: string;
}

let seeded: TurnsSeeded;
let collector: RunningCollector;
let browser: TestBrowser;

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${collector.url}/api${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}
const timeline = async (id: string) => (await api<{ steps: StepJson[] }>(`/sessions/${id}/timeline`)).steps;
const traceIds = async (id: string) => (await api<{ traceIds: string[]; firstStartUnixNano: string }>(`/sessions/${id}`)).traceIds;

/** The session's traces in the order of their first step, as the page shows them. */
async function turnsInOrder(id: string): Promise<string[]> {
  const steps = await timeline(id);
  const first = new Map<string, bigint>();
  for (const s of steps) {
    const t = BigInt(s.startTimeUnixNano);
    if (!first.has(s.traceId) || t < first.get(s.traceId)!) first.set(s.traceId, t);
  }
  return [...first.entries()].sort((a, b) => (a[1] < b[1] ? -1 : 1)).map(([traceId]) => traceId);
}

async function openSession(id: string, viewport = WIDE, suffix = ''): Promise<Page> {
  const page = await browser.newPage(viewport);
  await page.goto(`${collector.url}/sessions/${id}${suffix}`);
  await page.locator('.wf-bar').first().waitFor();
  return page;
}

const box = async (page: Page, selector: string) => (await page.locator(selector).first().boundingBox())!;
/** How far the page's content (main, not the top bar other views share) reaches past the window's right edge. */
const overflow = (page: Page) => page.evaluate<number>(`(() => { const main = document.querySelector('main'); return main.scrollWidth - main.clientWidth; })()`);

beforeAll(async () => {
  seeded = await seedTurns();
  collector = await startCollector({ dbPath: seeded.dbPath, port: 0, livePollIntervalMillis: 20 });
  browser = await launchBrowser();
});
afterEach(async () => {
  await browser?.closePages();
});
afterAll(async () => {
  await browser?.close();
  await collector?.close();
  seeded?.cleanup();
});

describe('the session page', () => {
  it('puts the steps first at 1280×800, totals in one line that opens into the cards and the model table', async () => {
    const page = await openSession(TURNS.sessionId);
    const rows = await timeline(TURNS.sessionId);
    expect(await page.locator('.wf-row').count()).toBe(rows.length);
    // The waterfall starts in the upper half of the first screen.
    expect((await box(page, '.wf-section')).y).toBeLessThan(WIDE.height / 2);
    expect((await box(page, '.wf-row')).y).toBeLessThan(WIDE.height / 2);
    const totals = page.locator('details.totals');
    expect(await totals.getAttribute('open')).toBeNull();
    expect(await totals.locator('summary').textContent()).toContain(`${rows.length} steps in 3 turns`);
    expect(await page.locator('table.models').isVisible()).toBe(false);
    await browser.screenshot(page, 'session-page-1280');
    await totals.locator('summary').click();
    await eventually(() => page.locator('table.models').isVisible()).toBe(true);
    expect(await page.locator('.cards .card').count()).toBe(4);

    // A step far down the list opens where it can be read: its title is on screen.
    const last = page.locator('.wf-row .wf-link').last();
    await last.scrollIntoViewIfNeeded();
    await last.click();
    await page.waitForURL(/\/steps\//);
    const title = await box(page, '#step-title');
    expect(title.y).toBeGreaterThanOrEqual(0);
    expect(title.y + title.height).toBeLessThanOrEqual(WIDE.height);
    await browser.screenshot(page, 'session-page-step-1280');
    expect(browser.errors).toEqual([]);
  });

  it('keeps the waterfall’s rows in place while the steps’ spans load: changed rows are updated, none rebuilt', async () => {
    // Every row or turn taken out of the page is logged: a rebuilt waterfall detaches what a click or a test holds.
    const page = await browser.newPage(PHONE);
    await page.addInitScript(`
      window.__removedRows = 0;
      new MutationObserver((records) => {
        for (const r of records) for (const n of r.removedNodes) if (n.nodeType === 1 && (n.matches('.wf-row, .wf-group') || n.querySelector('.wf-row'))) window.__removedRows++;
      }).observe(document, { subtree: true, childList: true });
    `);
    await page.goto(`${collector.url}/sessions/${TURNS.sessionId}`);
    await page.locator('.wf-bar').first().waitFor();
    // The reasoning of each answer comes with its trace's spans, after the first render, as the row's tooltip.
    for (const reasoning of TURNS.reasoning) await page.locator(`.wf-link[title="${reasoning}"]`).waitFor();
    expect(await page.evaluate<number>('window.__removedRows')).toBe(0);
    expect((await box(page, '.wf-row')).y).toBeLessThan(PHONE.height);
    expect(browser.errors).toEqual([]);
  });

  it('groups a session of several traces by turn, each on its own axis, with the idle time in words', async () => {
    const page = await openSession(TURNS.sessionId);
    const order = await turnsInOrder(TURNS.sessionId);
    expect(await page.locator('.wf-group').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-trace-id')))).toEqual(order);
    expect(await page.locator('.wf-group .wf-axis').count()).toBe(3);
    expect(await page.locator('.wf-turn-head h3').allTextContents()).toEqual(['Turn 1', 'Turn 2', 'Turn 3']);
    expect(await page.locator('.wf-gap').allTextContents()).toEqual(['+2 m 10 s idle', '+2 m 10 s idle']);
    // Turn 1's root spans its whole axis (10 s), not a sliver of a 7-minute one.
    const rootWidth = await page.locator('.wf-group').first().locator('.wf-row[data-step-type="agent"] .wf-bar').evaluate((b) => parseFloat(/width:\s*([\d.]+)%/.exec(b.getAttribute('style') ?? '')?.[1] ?? 'NaN'));
    expect(rootWidth).toBeGreaterThan(99);

    // One trace: no turn headings, no gaps, as before.
    const single = await openSession(SINGLE.sessionId);
    expect(await single.locator('.wf-group').count()).toBe(1);
    expect(await single.locator('.wf-turn-head').count()).toBe(0);
    expect(await single.locator('.wf-gap').count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });

  it('collapses and expands a subtree, and filters steps by text, type and error', async () => {
    const page = await openSession(TURNS.sessionId);
    const first = page.locator('.wf-group').first();
    expect(await first.locator('.wf-row').count()).toBe(4);
    await first.locator('.wf-toggle').first().click();
    await eventually(() => first.locator('.wf-row').count()).toBe(1);
    expect(await first.locator('.wf-hidden-count').textContent()).toBe('+3');
    expect(await first.locator('.wf-toggle').getAttribute('aria-expanded')).toBe('false');
    await first.locator('.wf-toggle').first().click();
    await eventually(() => first.locator('.wf-row').count()).toBe(4);

    const filter = page.getByLabel('Filter steps');
    await filter.fill('is:error');
    await eventually(() => page.locator('.wf-row.is-match').count()).toBe(1);
    expect(await page.locator('.wf-row.is-match').getAttribute('class')).toContain('is-error');
    // Its ancestors stay, as context.
    expect(await page.locator('.wf-row.is-context').count()).toBe(1);
    expect(await page.locator('.wf-count').textContent()).toMatch(/^\(1 of \d+ match\)$/);
    await page.waitForURL(/filter=is%3Aerror/);

    await filter.fill('type:tool lookup');
    await eventually(() => page.locator('.wf-row.is-match').count()).toBe(3);
    await filter.fill('eiffel');
    await eventually(() => page.locator('.wf-row.is-match').count()).toBeGreaterThan(0);
    const groups = await page.locator('.wf-row.is-match').evaluateAll((rows) => rows.map((r) => r.closest('.wf-group')!.getAttribute('data-trace-id')));
    expect(new Set(groups)).toEqual(new Set([(await turnsInOrder(TURNS.sessionId))[1]]));
    await browser.screenshot(page, 'session-page-filter-1280');
    await filter.fill('no-step-says-this');
    await eventually(() => page.locator('.wf-empty').textContent()).toContain('No step matches');
    await filter.press('Escape');
    await eventually(() => page.locator('.wf-row').count()).toBe((await timeline(TURNS.sessionId)).length);
    expect(browser.errors).toEqual([]);
  });

  it('marks a step whose parent never arrived and one that starts before its parent', async () => {
    const page = await openSession(TURNS.sessionId);
    const hints = page.locator('.wf-hint');
    expect(await hints.count()).toBe(2);
    const orphan = page.locator('.wf-row', { hasText: TURNS.orphanName });
    expect(await orphan.locator('.wf-hint').textContent()).toBe('missing parent');
    const skewed = page.locator('.wf-row', { hasText: TURNS.skewName });
    expect(await skewed.locator('.wf-hint').textContent()).toBe('clock skew');
    expect(await skewed.locator('.wf-hint').getAttribute('title')).toBe('clock skew: starts before its parent');
  });

  it('looks up a trace id: goes to its turn, says so for an unknown id, links another session', async () => {
    const page = await openSession(TURNS.sessionId);
    const order = await turnsInOrder(TURNS.sessionId);
    const lookup = page.getByLabel('Trace id');
    await lookup.fill(order[2]);
    await lookup.press('Enter');
    await page.waitForURL(/\/steps\/[0-9a-f]{16}$/);
    // The turn's top row is selected (its root, not the child whose clock runs early).
    const selected = page.locator('.wf-row.is-selected');
    expect(await selected.evaluate((r) => r.closest('.wf-group')!.getAttribute('data-trace-id'))).toBe(order[2]);
    expect(await selected.getAttribute('data-step-type')).toBe('agent');
    expect(await selected.evaluate((r) => r.closest('.wf-group')!.querySelector('.wf-row') === r)).toBe(true);

    await lookup.fill('0123456789abcdef0123456789abcdef');
    await lookup.press('Enter');
    await eventually(() => page.locator('.lookup-message').textContent()).toContain('No trace 0123456789abcdef0123456789abcdef');

    const [otherTrace] = await traceIds(OTHER.sessionId);
    await lookup.fill(otherTrace);
    await lookup.press('Enter');
    await eventually(() => page.locator('.lookup-message a').getAttribute('href')).toBe(`/sessions/${OTHER.sessionId}`);
    expect(browser.errors).toEqual([]);
  });

  it('downloads the session and a single turn as OTLP JSON', async () => {
    const page = await openSession(TURNS.sessionId);
    const steps = await timeline(TURNS.sessionId);
    const order = await turnsInOrder(TURNS.sessionId);
    const spansOf = (text: string) =>
      (JSON.parse(text) as { resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[] }).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));

    const [whole] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export OTLP JSON' }).click()]);
    expect(whole.suggestedFilename()).toBe(`${TURNS.sessionId}.otlp.json`);
    expect(spansOf(readFileSync(await whole.path(), 'utf8'))).toHaveLength(steps.length);

    const [one] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download turn 2 as OTLP JSON' }).click()]);
    const spans = spansOf(readFileSync(await one.path(), 'utf8'));
    expect(spans).toHaveLength(steps.filter((s) => s.traceId === order[1]).length);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([order[1]]));
  });

  it('moves the selection, and the step shown, with ↑/↓ after a click; Esc closes', async () => {
    const page = await openSession(TURNS.sessionId);
    const rows = page.locator('.wf-group').first().locator('.wf-row');
    const ids = await rows.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-span-id')!));
    const steps = new Map((await timeline(TURNS.sessionId)).map((s) => [s.spanId, s]));
    await rows.first().locator('.wf-link').click();
    await page.waitForURL(new RegExp(`/steps/${ids[0]}$`));
    for (const [key, index] of [['ArrowDown', 1], ['ArrowDown', 2], ['ArrowUp', 1]] as const) {
      await page.keyboard.press(key);
      await page.waitForURL(new RegExp(`/steps/${ids[index]}$`));
      await eventually(() => page.locator('.step-panel .step').getAttribute('data-span-id')).toBe(ids[index]);
      expect(await page.locator('#step-title').textContent()).toBe(steps.get(ids[index])!.name);
      expect(await page.locator('.wf-row.is-selected').getAttribute('data-span-id')).toBe(ids[index]);
    }
    await browser.screenshot(page, 'session-page-keys-1280');
    await page.keyboard.press('Escape');
    await page.waitForURL(`${collector.url}/sessions/${TURNS.sessionId}`);
    expect(await page.locator('.step-panel .step').count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });

  it('shows reasoning once: in its own block, not again inside the output', async () => {
    const steps = await timeline(TURNS.sessionId);
    const order = await turnsInOrder(TURNS.sessionId);
    const answer = steps.filter((s) => s.traceId === order[0] && s.stepType === 'llm').sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1))[1];
    const page = await browser.newPage(WIDE);
    await page.goto(`${collector.url}/sessions/${TURNS.sessionId}/steps/${answer.spanId}`);
    await eventually(() => page.locator('.step-panel .conversation').count()).toBeGreaterThan(0);
    expect(await page.locator('.step-panel').textContent()).toContain(TURNS.answer[0]);
    expect(await page.locator('.step-panel .reasoning-block').count()).toBe(1);
    expect(await page.locator('.step-panel .reasoning-block').textContent()).toContain(TURNS.reasoning[0]);
  });

  it('replays the session as a chat: user message, folded tool calls, answer, tokens and cost per turn', async () => {
    const page = await openSession(TURNS.sessionId);
    await page.getByRole('tab', { name: 'Chat' }).click();
    await page.waitForURL(/view=chat/);
    const turns = page.locator('.chat-turn');
    await eventually(() => turns.count()).toBe(3);
    for (let i = 0; i < 3; i++) {
      await eventually(() => turns.nth(i).locator('.chat-msg.role-user').textContent()).toContain(TURNS.user[i]);
      await eventually(() => turns.nth(i).locator('.chat-msg.role-assistant').textContent()).toContain(TURNS.answer[i]);
      // 100 + 20 tokens asking for the tool, 200 + 40 answering.
      expect(await turns.nth(i).locator('.chat-turn-totals').textContent()).toContain('360 tokens');
    }
    expect(await turns.nth(1).locator('.chat-step.type-tool.is-error').count()).toBe(1);
    expect(await turns.nth(1).locator('.chat-turn-totals').textContent()).toContain('1 error');
    expect(await turns.nth(1).locator('.wf-gap').textContent()).toBe('+2 m 10 s idle');
    // Folded: the tool call opens on demand.
    const tool = turns.first().locator('.chat-step.type-tool');
    expect(await tool.getAttribute('open')).toBeNull();
    await tool.locator('summary').click();
    await eventually(() => tool.locator('pre').first().textContent()).toContain(TURNS.user[0]);
    await browser.screenshot(page, 'session-page-chat-1280');
    await page.reload();
    await eventually(() => page.locator('.chat-turn').count()).toBe(3);
    expect(await page.getByRole('tab', { name: 'Chat' }).getAttribute('aria-selected')).toBe('true');
    expect(browser.errors).toEqual([]);
  });

  it('compares two sessions: totals with deltas on top, steps aligned by name and order', async () => {
    const page = await openSession(TURNS.sessionId);
    await page.getByLabel('Compare with').fill(OTHER.sessionId);
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await page.waitForURL(`${collector.url}/compare/${TURNS.sessionId}/${OTHER.sessionId}`);
    const tokens = page.locator('.compare-totals tr[data-metric="Tokens"] td');
    await eventually(() => tokens.allTextContents()).toEqual(['1,080', '1,920', '+840 (+78%)']);
    expect(await page.locator('.compare-totals tr[data-metric="Errors"] td').allTextContents()).toEqual(['1', '0', '−1 (−100%)']);
    // Turn n against turn n: turn 1 matches but for B's extra tool call, turn 2 step for step, turn 3 (with its
    // skewed and orphan steps) is only in A.
    const sides = await page.locator('.compare-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-side')));
    expect(sides).toEqual([...['both', 'both', 'both', 'only-b', 'both'], ...Array(4).fill('both'), ...Array(6).fill('only-a')]);
    expect(await page.locator('.compare-turn').allTextContents()).toEqual(['Turn 1', 'Turn 2', 'Turn 3']);
    expect(await page.locator('.compare-row.only-b th').textContent()).toContain(OTHER.extraTool);
    await browser.screenshot(page, 'compare-1280');
    // A shared link opens the same comparison.
    await page.reload();
    await eventually(() => page.locator('.compare-row').count()).toBe(15);
    expect(browser.errors).toEqual([]);
  });

  it('waits for a session opened before its first span, and shows it when the span arrives', async () => {
    const sessionId = 'sess-late';
    const page = await browser.newPage(WIDE);
    await page.goto(`${collector.url}/sessions/${sessionId}`);
    await eventually(() => page.locator('.waiting h1').textContent()).toBe(`Waiting for session ${sessionId}…`);
    await eventually(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    await browser.screenshot(page, 'session-page-waiting-1280');

    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }))] });
    const span = provider.getTracer('late-agent').startSpan('invoke_agent late', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'late-agent', 'gen_ai.conversation.id': sessionId } });
    span.end();
    await provider.forceFlush();
    await provider.shutdown();

    await eventually(() => page.locator('.wf-bar').count()).toBe(1);
    expect(await page.locator('.title-row h1').textContent()).toBe('late-agent');
    expect(await page.locator('.waiting').count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });

  for (const viewport of [WIDE, PHONE]) {
    it(`deletes a session from its own page after asking, then goes back to the list, at ${viewport.width}px`, async () => {
      // No agent name: the page is titled by the root span's name.
      const sessionId = `sess-doomed-${viewport.width}`;
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }))] });
      const tracer = provider.getTracer('cleanup-app');
      const root = tracer.startSpan('nightly-cleanup', { attributes: { 'gen_ai.conversation.id': sessionId } });
      tracer.startSpan('chat gpt-4o', { attributes: { 'gen_ai.conversation.id': sessionId, 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' } }, trace.setSpan(ROOT_CONTEXT, root)).end();
      root.end();
      await provider.shutdown();

      const page = await openSession(sessionId, viewport);
      expect(await page.locator('.title-row h1').textContent()).toBe('nightly-cleanup');
      const remove = page.getByRole('button', { name: 'Delete…' });
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await remove.click();
      const dialog = page.locator('dialog.confirm');
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain(`“nightly-cleanup” (session ${sessionId}) and its 2 spans will be deleted`);
      await browser.screenshot(page, `session-page-delete-${viewport.width}`);
      // Cancelled: nothing happens.
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(page.url()).toBe(`${collector.url}/sessions/${sessionId}`);
      expect((await fetch(`${collector.url}/api/sessions/${sessionId}`)).status).toBe(200);

      await remove.click();
      await dialog.getByRole('button', { name: 'Delete session' }).click();
      await page.waitForURL(`${collector.url}/sessions`);
      await eventually(() => page.locator('table.sessions tbody tr').count()).toBeGreaterThan(0);
      expect(await page.locator(`tr[data-session-id="${sessionId}"]`).count()).toBe(0);
      expect(await page.locator('#announcer').textContent()).toBe(`Deleted session ${sessionId}.`);
      expect((await fetch(`${collector.url}/api/sessions/${sessionId}`)).status).toBe(404);
      expect(browser.errors).toEqual([]);
    });
  }

  it('fits a phone: steps first, a step in the waterfall’s place, chat and compare without sideways scrolling', async () => {
    const page = await openSession(TURNS.sessionId, PHONE);
    expect((await box(page, '.wf-row')).y).toBeLessThan(PHONE.height);
    expect(await overflow(page), 'session page').toBeLessThanOrEqual(0);
    await browser.screenshot(page, 'session-page-390');

    await page.locator('.wf-group').nth(1).locator('.wf-row.type-llm .wf-link').first().click();
    await eventually(() => page.locator('.step-panel .conversation').count()).toBeGreaterThan(0);
    const title = await box(page, '#step-title');
    expect(title.y, 'step title top').toBeGreaterThanOrEqual(0);
    expect(title.y + title.height, 'step title bottom').toBeLessThanOrEqual(PHONE.height);
    expect(await overflow(page), 'step open').toBeLessThanOrEqual(0);
    await browser.screenshot(page, 'session-page-step-390');

    await page.goto(`${collector.url}/sessions/${TURNS.sessionId}?view=chat`);
    await eventually(() => page.locator('.chat-turn .chat-msg.role-assistant').first().textContent()).toContain(TURNS.answer[0]);
    expect(await overflow(page), 'chat').toBeLessThanOrEqual(0);
    await browser.screenshot(page, 'session-page-chat-390');

    await page.goto(`${collector.url}/compare/${TURNS.sessionId}/${OTHER.sessionId}`);
    await eventually(() => page.locator('.compare-row').count()).toBe(15);
    expect(await overflow(page), 'compare').toBeLessThanOrEqual(0);
    await browser.screenshot(page, 'compare-390');
    expect(browser.errors).toEqual([]);
  });
});
