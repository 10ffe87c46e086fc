/**
 * The viewer in a real browser against a real collector whose database was
 * filled by the real SDK, SkeinSpanProcessor and AgentTracer (three sessions:
 * one with an error and a reasoning step, one with an unpriced model, one
 * interrupted). Screenshots go to test-results/viewer/.
 */

import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import { ALPHA, BETA, OPEN, seedStore } from '../query-api/seed.js';
import type { Seeded } from '../query-api/seed.js';
import { PHONE, launchBrowser } from './browser.js';
import type { TestBrowser } from './browser.js';

interface StepJson {
  spanId: string;
  name: string;
  stepType: string;
  isError: boolean;
  interrupted: boolean;
  model: string | null;
  toolName: string | null;
}

/** Waits (bounded) for the page to catch up; the bound only fails a test that never gets there. */
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });

let seeded: Seeded;
let collector: RunningCollector;
let browser: TestBrowser;

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${collector.url}/api${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

async function timeline(sessionId: string): Promise<StepJson[]> {
  return (await api<{ steps: StepJson[] }>(`/sessions/${sessionId}/timeline`)).steps;
}

async function noHorizontalScroll(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
}

beforeAll(async () => {
  seeded = await seedStore();
  collector = await startCollector({ dbPath: seeded.dbPath, port: 0 });
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

describe('viewer in Chromium', () => {
  it('lists the sessions, sorts and filters them, and keeps filters across a reload', async () => {
    const page = await browser.newPage();
    await page.goto(`${collector.url}/`);
    await page.waitForURL(/\/sessions$/);
    const rows = page.locator('table.sessions tbody tr');
    await eventually(() => rows.count()).toBe(3);
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-session-id')));
    expect(ids.sort()).toEqual([ALPHA.sessionId, BETA.sessionId, OPEN.sessionId].sort());
    await eventually(() => page.locator(`tr[data-session-id="${OPEN.sessionId}"] .badge`).textContent()).toBe('interrupted');
    await browser.screenshot(page, 'sessions-1280');

    // Sort by cost: the session with the supplied $0.50 call comes first.
    await page.getByRole('button', { name: /^Cost/ }).click();
    await page.waitForURL(/sort=cost/);
    await eventually(() => rows.first().getAttribute('data-session-id')).toBe(ALPHA.sessionId);
    expect(await page.locator('th[data-sort="cost"]').getAttribute('aria-sort')).toBe('descending');

    await page.getByLabel('Agent', { exact: true }).fill(BETA.agentName);
    await page.waitForURL(/agent=coder/);
    await eventually(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-session-id')).toBe(BETA.sessionId);

    await page.reload();
    await eventually(() => rows.count()).toBe(1);
    expect(await page.getByLabel('Agent', { exact: true }).inputValue()).toBe(BETA.agentName);
    expect(browser.errors).toEqual([]);
  });

  it('opens a session: totals, per-model breakdown, and one waterfall bar per step', async () => {
    const steps = await timeline(ALPHA.sessionId);
    const session = await api<{ tokens: { input: number; output: number }; modelBreakdown: unknown[] }>(`/sessions/${ALPHA.sessionId}`);
    const page = await browser.newPage();
    await page.goto(`${collector.url}/sessions`);
    await page.locator(`tr[data-session-id="${ALPHA.sessionId}"] a.session-link`).click();
    await page.waitForURL(`${collector.url}/sessions/${ALPHA.sessionId}`);
    await page.locator('.wf-bar').first().waitFor();

    expect(await page.locator('.wf-bar').count()).toBe(steps.length);
    const rowIds = await page.locator('.wf-row').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-span-id')));
    expect([...rowIds].sort()).toEqual(steps.map((s) => s.spanId).sort());
    // Children sit under their parent: the root is first and less indented.
    const root = steps.find((s) => s.stepType === 'agent')!;
    expect(rowIds[0]).toBe(root.spanId);
    // The failed tool call is marked.
    const failed = steps.find((s) => s.isError)!;
    expect(failed.toolName).toBe(ALPHA.failingTool);
    expect(await page.locator(`.wf-row[data-span-id="${failed.spanId}"]`).getAttribute('class')).toContain('is-error');
    expect(await page.locator(`.wf-row[data-span-id="${failed.spanId}"] .wf-state`).textContent()).toContain('error');
    // Bars sit on one time axis: every bar starts within the track.
    const lefts = await page.locator('.wf-bar').evaluateAll((bars) => bars.map((b) => parseFloat(/left:\s*([\d.]+)%/.exec(b.getAttribute('style') ?? '')?.[1] ?? 'NaN')));
    for (const left of lefts) expect(left).toBeGreaterThanOrEqual(0);
    expect(lefts[0]).toBe(0);

    const total = (session.tokens.input + session.tokens.output).toLocaleString('en-US');
    expect(await page.locator('.cards .card').first().textContent()).toContain(total);
    expect(await page.locator('.cards').textContent()).toContain('Supplied$0.5000');
    expect(await page.locator('table.models tbody tr').count()).toBe(session.modelBreakdown.length);
    await browser.screenshot(page, 'session-1280');
    expect(browser.errors).toEqual([]);
  });

  it('opens a step with its attributes and conversation, keeps it on reload, and closes it with Escape', async () => {
    const steps = await timeline(ALPHA.sessionId);
    const claude = steps.find((s) => s.model === 'claude-sonnet-4-5')!;
    const page = await browser.newPage();
    await page.goto(`${collector.url}/sessions/${ALPHA.sessionId}`);
    await page.locator(`.wf-row[data-span-id="${claude.spanId}"] .wf-link`).click();
    const stepUrl = `${collector.url}/sessions/${ALPHA.sessionId}/steps/${claude.spanId}`;
    await page.waitForURL(stepUrl);

    const panel = page.locator('.step-panel .step');
    await eventually(() => panel.locator('.conversation').count()).toBeGreaterThan(0);
    expect(await panel.locator('#step-title').textContent()).toBe(claude.name);
    expect(await panel.textContent()).toContain(ALPHA.answer);
    expect(await panel.locator('table.attrs').first().textContent()).toContain('gen_ai.request.model');
    expect(await panel.locator('.facts').first().textContent()).toContain('supplied');
    expect(await page.locator(`.wf-row[data-span-id="${claude.spanId}"] .wf-link`).getAttribute('aria-current')).toBe('true');
    await browser.screenshot(page, 'step-1280');

    await page.reload();
    await eventually(() => page.locator('.step-panel .conversation').count()).toBeGreaterThan(0);
    expect(await page.locator('#step-title').textContent()).toBe(claude.name);

    const reasoning = steps.find((s) => s.stepType === 'reasoning')!;
    await page.locator(`.wf-row[data-span-id="${reasoning.spanId}"] .wf-link`).click();
    await page.waitForURL(`${collector.url}/sessions/${ALPHA.sessionId}/steps/${reasoning.spanId}`);
    await eventually(() => page.locator('.step-panel .reasoning-block').textContent()).toContain(ALPHA.reasoning);
    await browser.screenshot(page, 'step-reasoning-1280');

    await page.locator('#step-title').focus();
    await page.keyboard.press('Escape');
    await page.waitForURL(`${collector.url}/sessions/${ALPHA.sessionId}`);
    expect(await page.locator('.step-panel .step').count()).toBe(0);
    // Back in history returns to the step.
    await page.goBack();
    await page.waitForURL(`${collector.url}/sessions/${ALPHA.sessionId}/steps/${reasoning.spanId}`);
    await eventually(() => page.locator('.step-panel .reasoning-block').count()).toBe(1);
    expect(browser.errors).toEqual([]);
  });

  it('marks the steps of an interrupted session', async () => {
    const steps = await timeline(OPEN.sessionId);
    const interrupted = steps.filter((s) => s.interrupted);
    expect(interrupted.length).toBeGreaterThan(0);
    const page = await browser.newPage();
    await page.goto(`${collector.url}/sessions/${OPEN.sessionId}`);
    await page.locator('.wf-bar').first().waitFor();
    expect(await page.locator('.wf-bar').count()).toBe(steps.length);
    expect(await page.locator('.wf-row.is-interrupted').count()).toBe(interrupted.length);
    expect(await page.locator('.title-row .badge').textContent()).toBe('interrupted');
  });

  it('searches across sessions with highlighted matches that link to the step', async () => {
    const page = await browser.newPage();
    await page.goto(`${collector.url}/search?q=zebra`);
    const hits = page.locator('.hit');
    await eventually(() => hits.count()).toBe(2);
    const marks = await page.locator('.hit mark').allTextContents();
    expect(marks.length).toBeGreaterThan(0);
    for (const mark of marks) expect(mark.toLowerCase()).toBe('zebra');
    await browser.screenshot(page, 'search-1280');
    await page.locator('.hit a', { hasText: 'Refactor' }).click();
    await page.waitForURL(new RegExp(`/sessions/${BETA.sessionId}/steps/[0-9a-f]{16}$`));
    await eventually(() => page.locator('.step-panel .step').textContent()).toContain(BETA.input);
  });

  it('charts cost and tokens by model and by day', async () => {
    const byModel = await api<{ rows: { key: string }[] }>('/stats?by=model');
    const page = await browser.newPage();
    await page.goto(`${collector.url}/stats`);
    await page.locator('svg.chart').first().waitFor();
    expect(await page.locator('svg.chart').count()).toBe(4);
    // One bar per model in the cost chart.
    expect(await page.locator('svg.chart').first().locator('rect.bar').count()).toBe(byModel.rows.length);
    const labels = await page.locator('svg.chart').first().locator('text.chart-label').allTextContents();
    expect(labels.sort()).toEqual(byModel.rows.map((r) => r.key).sort());
    await browser.screenshot(page, 'stats-1280');
  });

  it('fits a phone-width window', async () => {
    const steps = await timeline(ALPHA.sessionId);
    const page = await browser.newPage(PHONE);
    await page.goto(`${collector.url}/sessions`);
    await eventually(() => page.locator('table.sessions tbody tr').count()).toBe(3);
    expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
    await browser.screenshot(page, 'sessions-390');

    await page.goto(`${collector.url}/sessions/${ALPHA.sessionId}`);
    await page.locator('.wf-bar').first().waitFor();
    expect(await page.locator('.wf-bar').count()).toBe(steps.length);
    expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
    await browser.screenshot(page, 'session-390');

    await page.locator('.wf-row.type-llm .wf-link').first().click();
    await eventually(() => page.locator('.step-panel .conversation').count()).toBeGreaterThan(0);
    // One pane at a time: the waterfall gives way to the step.
    expect(await page.locator('.wf-section').isVisible()).toBe(false);
    expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
    await browser.screenshot(page, 'step-390');

    await page.goto(`${collector.url}/stats`);
    await page.locator('svg.chart').first().waitFor();
    expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
    await browser.screenshot(page, 'stats-390');
    expect(browser.errors).toEqual([]);
  });
});

describe('viewer with skein serve --token', () => {
  const TOKEN = 'viewer-test-token';
  let guarded: RunningCollector;

  beforeAll(async () => {
    guarded = await startCollector({ dbPath: seeded.dbPath, port: 0, token: TOKEN });
  });
  afterAll(async () => {
    await guarded?.close();
  });

  it('loads the page without the token, asks for it, and then reads data and the live stream with it', async () => {
    const page = await browser.newPage();
    await page.goto(`${guarded.url}/sessions`);
    const dialog = page.locator('dialog#signin');
    await dialog.waitFor();
    expect(await page.locator('table.sessions tbody tr').count()).toBe(0);

    await dialog.getByLabel('Token').fill('wrong');
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.locator('dialog#signin').textContent()).toContain('not accepted');
    await browser.screenshot(page, 'token-prompt-1280');

    await page.locator('dialog#signin').getByLabel('Token').fill(TOKEN);
    await page.locator('dialog#signin').getByRole('button', { name: 'Sign in' }).click();
    await eventually(() => page.locator('table.sessions tbody tr').count()).toBe(3);
    expect(await page.locator('dialog#signin').count()).toBe(0);
    // EventSource cannot send the header; the viewer's fetch-based stream does.
    await eventually(() => page.locator('#conn').getAttribute('data-state')).toBe('live');

    // The token lasts for the tab: a reload needs no prompt.
    await page.reload();
    await eventually(() => page.locator('table.sessions tbody tr').count()).toBe(3);
    expect(await page.locator('dialog#signin').count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });

  it('takes the token from a #token= link and removes it from the address bar', async () => {
    const steps = await timeline(ALPHA.sessionId);
    const step = steps.find((s) => s.stepType === 'reasoning')!;
    const page = await browser.newPage();
    const deepLink = `${guarded.url}/sessions/${ALPHA.sessionId}/steps/${step.spanId}`;
    await page.goto(`${deepLink}#token=${TOKEN}`);
    await eventually(() => page.locator('.step-panel .reasoning-block').textContent()).toContain(ALPHA.reasoning);
    expect(page.url()).toBe(deepLink);
    expect(await page.locator('dialog#signin').count()).toBe(0);

    // The export is fetched with the token too (a plain link could not send it).
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Markdown' }).click()]);
    const file = await download.path();
    expect(readFileSync(file, 'utf8')).toContain(ALPHA.answer);
  });
});
