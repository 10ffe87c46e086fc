/**
 * The sessions list, stats and operations pages in a real browser against a
 * real collector: titles without an agent name, started vs last activity,
 * ids using the row's width, costs with three significant digits; stats by
 * day with the year and empty days, cache writes, views by agent/provider/user,
 * model names distinguishable on a phone; forwarding with replay and drop, and
 * deleting a session behind a confirmation. Screenshots in test-results/viewer/.
 */

import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import { createNormalizer } from '../../../src/model/normalize.js';
import type { RawSpan } from '../../../src/model/types.js';
import { SqliteTraceStore } from '../../../src/store/sqlite/index.js';
import { SqliteOutbox } from '../../../src/store/sqlite/sqlite-outbox.js';
import { hexId, makeRawSpan } from '../../helpers/raw-spans.js';
import { tempDir } from '../query-api/seed.js';
import { PHONE, launchBrowser } from './browser.js';
import type { TestBrowser } from './browser.js';

const DESKTOP = { width: 1280, height: 800 };
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });

const DAY = 86_400_000_000_000n;
const SECOND = 1_000_000_000n;
/** Noon UTC three days ago: the first day with calls; the last is today. */
const NOW = BigInt(Date.now()) * 1_000_000n;
const DAY0 = (NOW / DAY - 3n) * DAY + DAY / 2n;
/** Today, halfway between midnight UTC and now: started last of all, yet never in the future (a fixed hour is, before it). */
const TODAY_SO_FAR = (NOW / DAY) * DAY + (NOW % DAY) / 2n;
const LONG_ID = `long-session-${'0123456789'.repeat(8)}`;
const UPSTREAM = 'http://old-collector.example:4318';
const MODEL_A = 'claude-sonnet-4-5-20250929';
const MODEL_B = 'claude-sonnet-4-20250514';

let dir: ReturnType<typeof tempDir>;
let collector: RunningCollector;
let browser: TestBrowser;

function span(session: string, name: string, start: bigint, attributes: Record<string, unknown>, extra: Partial<RawSpan> = {}): RawSpan {
  return makeRawSpan({
    name,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 2n * SECOND,
    attributes: { 'gen_ai.conversation.id': session, ...attributes } as RawSpan['attributes'],
    ...extra,
  });
}

const chat = (model: string, cost: number, extra: Record<string, unknown> = {}) => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'anthropic',
  'gen_ai.request.model': model,
  'gen_ai.usage.input_tokens': 1000,
  'gen_ai.usage.output_tokens': 100,
  'gen_ai.usage.cache_creation.input_tokens': 40,
  'gen_ai.usage.cost': cost,
  ...extra,
});

beforeAll(async () => {
  dir = tempDir('skein-viewer-lists-');
  const dbPath = join(dir.dir, 'skein.db');
  const store = new SqliteTraceStore({ path: dbPath });
  const normalize = createNormalizer();
  const vercelTrace = hexId(16);
  const vercelRoot = hexId(8);
  await store.write(
    [
      // Started first (day 0), active last (today): "Started" and "Last activity" disagree about it.
      span('s-early', 'nightly-report', DAY0, chat(MODEL_A, 0.0104, { 'user.id': 'u-ops' })),
      span('s-early', 'late-step', NOW - 60n * SECOND, chat(MODEL_B, 0.35, { 'user.id': 'u-ops' })),
      // Vercel AI SDK, under the app's own root span: titled by its function id.
      span('s-vercel', 'POST /chat', DAY0 + DAY, {}, { traceId: vercelTrace, spanId: vercelRoot }),
      span('s-vercel', 'ai.generateText', DAY0 + DAY + SECOND, { ...chat(MODEL_B, 0.00123), 'ai.telemetry.functionId': 'support-bot' }, {
        traceId: vercelTrace,
        parentSpanId: vercelRoot,
      }),
      // A long id, and an agent name.
      span(LONG_ID, 'invoke_agent planner', TODAY_SO_FAR, { ...chat(MODEL_A, 12.5), 'gen_ai.agent.name': 'planner' }),
      span('s-doomed', 'doomed-run', DAY0 + 2n * SECOND, {}),
    ].map((raw) => normalize(raw)),
  );
  // A queue left for an upstream no longer configured, and one request it refused for good.
  const outbox = new SqliteOutbox(store.database);
  outbox.enqueue([UPSTREAM], new Uint8Array([1, 2, 3]), 2, { nowMillis: Date.now() - 3_600_000 });
  outbox.enqueue([UPSTREAM], new Uint8Array([4, 5, 6]), 1, { nowMillis: Date.now() - 1_800_000 });
  outbox.deadLetter(outbox.dueEntries(UPSTREAM, 1)[0].id, 400, 'span name too long');
  await store.close();
  collector = await startCollector({ dbPath, port: 0 });
  browser = await launchBrowser();
});

afterEach(async () => {
  await browser?.closePages();
});

afterAll(async () => {
  await browser?.close();
  await collector?.close();
  dir?.cleanup();
});

async function noHorizontalScroll(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
}

const rowIds = (page: Page) => page.locator('table.sessions tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-session-id')));

describe('sessions list', () => {
  for (const viewport of [DESKTOP, PHONE]) {
    it(`titles, started and last activity, ids and costs at ${viewport.width}px`, async () => {
      const page = await browser.newPage(viewport);
      await page.goto(`${collector.url}/sessions`);
      await eventually(() => page.locator('table.sessions tbody tr').count()).toBe(4);
      const title = (id: string) => page.locator(`tr[data-session-id="${id}"] a.session-link`).textContent();
      expect(await title('s-vercel')).toBe('support-bot');
      expect(await title('s-early')).toBe('nightly-report');
      expect(await title(LONG_ID)).toBe('planner');

      // Default: last activity, newest first; the column that says so is the sorted one.
      expect(await page.locator('th[data-sort="activity"]').getAttribute('aria-sort')).toBe('descending');
      expect(await page.locator('th[data-sort="started"]').getAttribute('aria-sort')).toBe('none');
      expect((await rowIds(page))[0]).toBe('s-early');
      // Its started cell says three days ago; its activity cell a minute ago.
      expect(await page.locator('tr[data-session-id="s-early"] .c-when').textContent()).toMatch(/[23] d ago/);
      expect(await page.locator('tr[data-session-id="s-early"] .c-activity').textContent()).toMatch(/(1|2) min ago|s ago/);

      await page.getByRole('button', { name: /^Started/ }).click();
      await page.waitForURL(/sort=newest/);
      await eventually(async () => (await rowIds(page))[0]).toBe(LONG_ID);
      expect(await page.locator('th[data-sort="started"]').getAttribute('aria-sort')).toBe('descending');
      await page.getByRole('button', { name: /^Started/ }).click();
      await page.waitForURL(/sort=oldest/);
      await eventually(async () => (await rowIds(page))[0]).toBe('s-early');
      expect(await page.locator('th[data-sort="started"]').getAttribute('aria-sort')).toBe('ascending');

      await browser.screenshot(page, `lists-sessions-${viewport.width}`);
      // The long id fills the session cell and is cut only at its end.
      const id = page.locator(`tr[data-session-id="${LONG_ID}"] .session-id`);
      expect(await id.textContent()).toBe(LONG_ID);
      const widths = await id.evaluate((el) => {
        const cell = el.closest('td')!.getBoundingClientRect();
        const shown = el.getBoundingClientRect();
        return { shown: el.clientWidth, whole: el.scrollWidth, leftOver: cell.right - shown.right };
      });
      expect(widths.whole).toBeGreaterThan(widths.shown);
      // Up to the cell's right edge, less its padding (0.7rem).
      expect(widths.leftOver).toBeLessThanOrEqual(13);
      expect(widths.shown).toBeGreaterThan(180);

      // Costs with three significant digits.
      const cost = (sessionId: string) => page.locator(`tr[data-session-id="${sessionId}"] .c-cost`).textContent();
      expect(await cost('s-early')).toBe('$0.360');
      expect(await cost('s-vercel')).toBe('$0.00123');
      expect(await cost(LONG_ID)).toBe('$12.5');
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
    });
  }
});

describe('comparing from the list', () => {
  for (const viewport of [DESKTOP, PHONE]) {
    it(`ticks two sessions and opens them side by side, the earlier one as A, at ${viewport.width}px`, async () => {
      const page = await browser.newPage(viewport);
      await page.goto(`${collector.url}/sessions`);
      await eventually(() => page.locator('table.sessions tbody tr').count()).toBe(4);
      const box = (id: string) => page.locator(`tr[data-session-id="${id}"] input.compare-box`);
      const compare = page.locator('.compare-bar').getByRole('button', { name: 'Compare', exact: true });
      expect(await compare.isDisabled()).toBe(true);
      expect(await page.locator('.compare-hint').textContent()).toBe('Tick two sessions to compare them side by side.');

      // Ticking does not open the session; the later-started one first, to show the order is by start.
      await box('s-vercel').check();
      expect(page.url()).toBe(`${collector.url}/sessions`);
      expect(await compare.isDisabled()).toBe(true);
      await box('s-early').check();
      expect(await compare.isEnabled()).toBe(true);
      expect(await page.locator('.compare-chip').evaluateAll((chips) => chips.map((c) => c.getAttribute('data-session-id')))).toEqual(['s-vercel', 's-early']);
      // A third is one too many, until a chip unticks it.
      await box(LONG_ID).check();
      expect(await compare.isDisabled()).toBe(true);
      expect(await page.locator('.compare-hint').textContent()).toBe('3 ticked: compare takes two.');
      await page.getByRole('button', { name: `Untick planner (${LONG_ID})` }).click();
      expect(await box(LONG_ID).isChecked()).toBe(false);
      expect(await compare.isEnabled()).toBe(true);
      // A tick outlives a filter that hides its row.
      await page.getByLabel('Agent', { exact: true }).fill('planner');
      await eventually(() => rowIds(page)).toEqual([LONG_ID]);
      expect(await compare.isEnabled()).toBe(true);
      await page.getByLabel('Agent', { exact: true }).fill('');
      await eventually(() => page.locator('table.sessions tbody tr').count()).toBe(4);
      expect(await box('s-early').isChecked()).toBe(true);
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await browser.screenshot(page, `lists-compare-pick-${viewport.width}`);

      await compare.click();
      await page.waitForURL(`${collector.url}/compare/s-early/s-vercel`);
      await eventually(() => page.locator('.compare-head a').allTextContents()).toEqual(['nightly-report', 'support-bot']);
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await browser.screenshot(page, `lists-compare-${viewport.width}`);
      expect(browser.errors).toEqual([]);
    });
  }
});

describe('the session page title', () => {
  for (const viewport of [DESKTOP, PHONE]) {
    it(`names a session without an agent name by its function id or root span, at ${viewport.width}px`, async () => {
      const page = await browser.newPage(viewport);
      for (const [id, title] of [['s-vercel', 'support-bot'], ['s-early', 'nightly-report'], [LONG_ID, 'planner']]) {
        await page.goto(`${collector.url}/sessions/${encodeURIComponent(id)}`);
        await page.locator('.wf-bar').first().waitFor();
        expect(await page.locator('.title-row h1').textContent()).toBe(title);
        expect(await page.title()).toBe(`${title} · Skein`);
        expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      }
      await browser.screenshot(page, `lists-session-title-${viewport.width}`);
      expect(browser.errors).toEqual([]);
    });
  }
});

describe('stats', () => {
  it('days keep the year and every day of the range, with cache writes; views by agent and user', async () => {
    const page = await browser.newPage(DESKTOP);
    await page.goto(`${collector.url}/stats`);
    await page.locator('svg.chart').first().waitFor();
    const dayTable = page.locator('section.card', { has: page.getByRole('heading', { name: 'By day' }) });
    const days = await dayTable.locator('tbody th[scope="row"]').allTextContents();
    const first = new Date(Number(DAY0 / 1_000_000n)).toISOString().slice(0, 10);
    const today = new Date().toISOString().slice(0, 10);
    expect(days).toHaveLength(4);
    expect(days[0]).toBe(today);
    expect(days[3]).toBe(first);
    expect(await dayTable.locator('tbody tr.empty-day').count()).toBeGreaterThanOrEqual(1);
    const axis = await page.locator('svg.chart').nth(2).locator('text.chart-axis').allTextContents();
    expect(axis.filter((t) => /^\d{4}-\d{2}-\d{2}$/.test(t))).toContain(first);
    expect(await page.locator('table.stats-table').first().locator('thead th').allTextContents()).toContain('Cache write');
    await browser.screenshot(page, 'lists-stats-1280');

    await page.getByRole('button', { name: 'By agent' }).click();
    await page.waitForURL(/by=agent/);
    await eventually(() => page.locator('section.card h2').first().textContent()).toBe('Cost by agent');
    expect((await page.locator('svg.chart').first().locator('text.chart-label').allTextContents()).sort()).toEqual(['(unknown)', 'planner'].sort());
    await page.getByRole('button', { name: 'By user' }).click();
    await page.waitForURL(/by=user/);
    await eventually(() => page.locator('svg.chart').first().locator('text.chart-label').allTextContents()).toContain('u-ops');
    expect(await page.getByRole('button', { name: 'By user' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('on a phone, model names sharing a prefix stay distinguishable', async () => {
    const page = await browser.newPage(PHONE);
    await page.goto(`${collector.url}/stats`);
    await page.locator('svg.chart').first().waitFor();
    const labels = await page.locator('svg.chart').first().locator('text.chart-label').allTextContents();
    expect(labels).toHaveLength(2);
    expect(new Set(labels).size).toBe(2);
    expect(labels.some((l) => l.endsWith('0929'))).toBe(true);
    const rows = await page.locator('table.stats-table').first().locator('tbody th[scope="row"]').allTextContents();
    expect(rows.sort()).toEqual([MODEL_A, MODEL_B].sort());
    expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
    await browser.screenshot(page, 'lists-stats-390');
  });
});

describe('operations', () => {
  for (const viewport of [DESKTOP, PHONE]) {
    it(`shows forwarding per upstream at ${viewport.width}px`, async () => {
      const page = await browser.newPage(viewport);
      await page.goto(`${collector.url}/operations`);
      const card = page.locator(`.ops-upstream[data-upstream="${UPSTREAM}"]`);
      await card.waitFor();
      expect(await card.textContent()).toContain('not forwarded to now');
      expect(await card.textContent()).toMatch(/Queued1 request · 1 span/);
      expect(await card.textContent()).toContain('span name too long');
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await browser.screenshot(page, `lists-operations-${viewport.width}`);
    });
  }

  it('replays dead letters, drops a queue and deletes a session, asking first', async () => {
    const page = await browser.newPage(DESKTOP);
    await page.goto(`${collector.url}/operations`);
    const card = page.locator(`.ops-upstream[data-upstream="${UPSTREAM}"]`);
    await card.locator('[data-action="replay"]').click();
    await eventually(() => card.locator('.dead-count').textContent()).toBe('0');
    expect(await card.textContent()).toMatch(/Queued2 requests · 3 spans/);

    // Drop: cancelled first, then confirmed.
    await card.locator('[data-action="drop"]').click();
    await page.locator('dialog.confirm').waitFor();
    await browser.screenshot(page, 'lists-operations-confirm-1280');
    await page.locator('dialog.confirm').getByRole('button', { name: 'Cancel' }).click();
    expect(await card.textContent()).toMatch(/Queued2 requests/);
    await card.locator('[data-action="drop"]').click();
    await page.locator('dialog.confirm').getByRole('button', { name: 'Drop queue' }).click();
    await eventually(() => page.locator('.empty-forwarding').count()).toBe(1);

    await page.locator('#ops-session-id').fill('s-doomed');
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.locator('dialog.confirm').getByRole('button', { name: 'Delete session' }).click();
    await eventually(() => page.locator('.ops-delete + p').textContent()).toBe('Deleted session s-doomed.');
    expect((await fetch(`${collector.url}/api/sessions/s-doomed`)).status).toBe(404);
    expect(browser.errors).toEqual([]);
  });
});
