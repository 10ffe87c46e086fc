/**
 * Budgets in the viewer: a collector with budgets receives model calls over
 * OTLP (the real SDK and exporter) while the session is open in Chromium. The
 * budget card shows one bar per limit, and turns to warning and then exceeded
 * as calls arrive, without a reload. A collector without budgets on the same
 * file still shows the recorded crossing, and a session with no budget shows
 * no card.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import { createPriceTable } from '../../../src/model/pricing.js';
import { PHONE, launchBrowser } from './browser.js';
import type { TestBrowser } from './browser.js';

const SESSION = 'conv-budget';
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 30_000, interval: 100 });

/** Each call: 1000 in + 250 out (100 of them reasoning) at $100/$200 per MTok = $0.15. */
const PRICES = createPriceTable({ 'budget-model': { inputPerMTok: 100, outputPerMTok: 200 } }, { includeDefaults: false });
const BUDGETS = {
  session: { maxCostUsd: 0.5, maxReasoningTokens: 2000 },
  agents: { researcher: { maxTokens: 100_000 } },
};

/** Sends model calls of `sessionId` over OTLP/HTTP, one export each; returns their span ids. */
async function sendCalls(url: string, sessionId: string, count: number): Promise<string[]> {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))] });
  const tracer = provider.getTracer('viewer-budget-test');
  const ids: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const call = tracer.startSpan('chat budget-model', {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'test',
          'gen_ai.request.model': 'budget-model',
          'gen_ai.agent.name': 'researcher',
          'gen_ai.conversation.id': sessionId,
          'gen_ai.usage.input_tokens': 1000,
          'gen_ai.usage.output_tokens': 250,
          'gen_ai.usage.reasoning.output_tokens': 100,
        },
      });
      ids.push(call.spanContext().spanId);
      call.end();
      await provider.forceFlush();
    }
  } finally {
    await provider.shutdown();
  }
  return ids;
}

/** What one bar says, by scope and metric. */
async function bar(page: Page, scope: string, metric: string) {
  const row = page.locator(`.budget[data-scope="${scope}"][data-metric="${metric}"]`);
  return {
    state: await row.getAttribute('data-state'),
    label: await row.locator('.budget-label').textContent(),
    amount: await row.locator('.budget-amount').textContent(),
    stateText: await row.locator('.budget-state').textContent(),
    valueText: await row.locator('[role="meter"]').getAttribute('aria-valuetext'),
  };
}

describe('viewer: session budgets', () => {
  let dir: string;
  let collector: RunningCollector | null = null;
  let browser: TestBrowser | null = null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-viewer-budget-'));
  });
  afterEach(async () => {
    await browser?.close();
    browser = null;
    await collector?.close();
    collector = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a bar per limit, and the session crossing its budget as it happens', async () => {
    const dbPath = join(dir, 'budget.db');
    collector = await startCollector({ dbPath, port: 0, livePollIntervalMillis: 20, budgets: BUDGETS, normalize: { prices: PRICES } });
    await sendCalls(collector.url, SESSION, 1);
    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(`${collector.url}/sessions/${SESSION}`);
    const bars = page.locator('.budgets .budget');
    await eventually(() => bars.count()).toBe(3);
    await eventually(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    await page.evaluate('window.__sameDocument = true');

    // One call: $0.15 of $0.50, every limit within budget.
    expect(await page.locator('.budgets .budget-head .badge').textContent()).toBe('Budget status: within budget');
    expect(await bar(page, 'session', 'costUsd')).toEqual({
      state: 'ok',
      label: 'Session · Cost',
      amount: '$0.1500 of $0.5000 · 30%',
      stateText: 'Within budget',
      valueText: '$0.1500 of $0.5000, 30%, Within budget',
    });
    expect(await bar(page, 'session', 'reasoningTokens')).toMatchObject({ state: 'ok', label: 'Session · Reasoning tokens', amount: '100 of 2,000 tokens · 5%' });
    expect(await bar(page, 'agent', 'tokens')).toMatchObject({ state: 'ok', label: 'Agent researcher · Tokens', amount: '1,250 of 100,000 tokens · 1%' });
    expect(await page.locator('.budget-events').count()).toBe(0);

    // Two more: $0.45 is past the warning threshold ($0.40).
    const warned = await sendCalls(collector.url, SESSION, 2);
    await eventually(async () => (await bar(page, 'session', 'costUsd')).state).toBe('warning');
    expect(await bar(page, 'session', 'costUsd')).toMatchObject({ amount: '$0.4500 of $0.5000 · 90%', stateText: '⚠ Warning' });
    expect(await page.locator('.budgets .budget-head .badge').textContent()).toBe('Budget status: warning');
    await browser.screenshot(page, 'budget-warning-1280');

    // The fourth: $0.60 of $0.50, exceeded; the other limits stay as they were.
    const crossed = await sendCalls(collector.url, SESSION, 1);
    await eventually(async () => (await bar(page, 'session', 'costUsd')).state).toBe('exceeded');
    expect(await bar(page, 'session', 'costUsd')).toEqual({
      state: 'exceeded',
      label: 'Session · Cost',
      amount: '$0.6000 of $0.5000 · 120%',
      stateText: '✗ Exceeded',
      valueText: '$0.6000 of $0.5000, 120%, Exceeded',
    });
    expect(await page.locator('.budgets .budget-head .badge').textContent()).toBe('Budget status: exceeded');
    expect(await bar(page, 'agent', 'tokens')).toMatchObject({ state: 'ok', amount: '5,000 of 100,000 tokens · 5%' });
    expect(await bar(page, 'session', 'reasoningTokens')).toMatchObject({ state: 'ok', amount: '400 of 2,000 tokens · 20%' });
    // The exceeded bar's colour differs from an ok one's: colour repeats what the text says.
    const fill = (scope: string, metric: string) =>
      page.evaluate<string>(
        `(() => { const s = getComputedStyle(document.querySelector('.budget[data-scope="${scope}"][data-metric="${metric}"] .budget-fill')); return s.backgroundImage + ' ' + s.backgroundColor; })()`,
      );
    expect(await fill('session', 'costUsd')).not.toBe(await fill('agent', 'tokens'));

    // The recorded crossings, each linking to the call that crossed.
    const crossings = page.locator('.budget-events li');
    await eventually(() => crossings.count()).toBe(2);
    expect(await crossings.nth(0).textContent()).toMatch(/^Warning: Session cost, \$0\.4500 of \$0\.5000 at .+ · the step that crossed$/);
    expect(await crossings.nth(1).textContent()).toMatch(/^Exceeded: Session cost, \$0\.6000 of \$0\.5000 at /);
    expect(await crossings.nth(0).locator('a').getAttribute('href')).toBe(`/sessions/${SESSION}/steps/${warned[1]}`);
    expect(await crossings.nth(1).locator('a').getAttribute('href')).toBe(`/sessions/${SESSION}/steps/${crossed[0]}`);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await browser.screenshot(page, 'budget-exceeded-1280');

    const phone = await browser.newPage(PHONE);
    await phone.goto(`${collector.url}/sessions/${SESSION}`);
    await eventually(() => phone.locator('.budget[data-state="exceeded"] .budget-state').textContent()).toBe('✗ Exceeded');
    expect(await phone.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(0);
    await browser.screenshot(phone, 'budget-exceeded-390');
    expect(browser.errors).toEqual([]);
  }, 90_000);

  it('shows a recorded crossing without budgets configured, and no budget for a session without one', async () => {
    const dbPath = join(dir, 'budget.db');
    collector = await startCollector({ dbPath, port: 0, budgets: BUDGETS, normalize: { prices: PRICES } });
    await sendCalls(collector.url, SESSION, 4);
    await collector.close();
    // The same file, served without budgets: only the crossing's limit is known, and shown.
    collector = await startCollector({ dbPath, port: 0, normalize: { prices: PRICES } });
    await sendCalls(collector.url, 'conv-plain', 1);
    browser = await launchBrowser();

    const page = await browser.newPage();
    await page.goto(`${collector.url}/sessions/${SESSION}`);
    await eventually(() => page.locator('.budgets .budget').count()).toBe(1);
    expect(await bar(page, 'session', 'costUsd')).toMatchObject({ state: 'exceeded', amount: '$0.6000 of $0.5000 · 120%', stateText: '✗ Exceeded' });
    // The warning threshold is not known without the configuration: no mark for it.
    expect(await page.locator('.budget-warn-mark').count()).toBe(0);
    expect(await page.locator('.budget-events li').count()).toBe(2);

    const plain = await browser.newPage();
    await plain.goto(`${collector.url}/sessions/conv-plain`);
    await eventually(() => plain.locator('.cards .card').count()).toBe(4);
    expect(await plain.locator('.budgets').count()).toBe(0);
    expect(browser.errors).toEqual([]);
  }, 90_000);
});
