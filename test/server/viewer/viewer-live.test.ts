/**
 * Live: a running agent in another process (SkeinSpanProcessor writing the
 * same database file as the collector) while the viewer is open. The sessions
 * list gains the session without a reload, and the session's waterfall gains
 * each step as it starts (shown running) and ends, reasoning text included.
 * The agent waits for the test at every step, so nothing depends on timing.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import { startAgentProcess } from './agent-process.js';
import type { AgentProcess } from './agent-process.js';
import { launchBrowser } from './browser.js';
import type { TestBrowser } from './browser.js';

const LIVE_AGENT = new URL('../../fixtures/viewer/live-agent.ts', import.meta.url);
const TURNS = 2;
const SESSION_ID = 'live-session-1';

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 30_000, interval: 100 });

describe('viewer: a live session', () => {
  let dir: string;
  let collector: RunningCollector | null = null;
  let browser: TestBrowser | null = null;
  let agent: AgentProcess | null = null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-viewer-live-'));
  });
  afterEach(async () => {
    agent?.kill();
    await browser?.close();
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the session appear, then its steps start and end, without a reload', async () => {
    const dbPath = join(dir, 'shared.db');
    collector = await startCollector({ dbPath, port: 0, livePollIntervalMillis: 20 });
    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(`${collector.url}/sessions`);
    await eventually(() => page.locator('.list-status').textContent()).toContain('No sessions yet');
    await eventually(() => page.locator('#conn').getAttribute('data-state')).toBe('live');
    // Set on this document only: still there at the end means the page never reloaded.
    await page.evaluate('window.__sameDocument = true');

    agent = startAgentProcess(LIVE_AGENT, [dbPath, SESSION_ID, String(TURNS)]);
    await agent.waitForLine('READY');
    const row = page.locator(`tr[data-session-id="${SESSION_ID}"]`);
    await eventually(() => row.count()).toBe(1);
    expect(await row.locator('.badge').textContent()).toBe('live');
    await browser.screenshot(page, 'live-sessions-1280');

    await row.locator('a.session-link').click();
    await page.waitForURL(`${collector.url}/sessions/${SESSION_ID}`);
    const bars = page.locator('.wf-bar');
    await eventually(() => bars.count()).toBe(2);
    expect(await page.locator('.wf-row[data-step-type="agent"]').getAttribute('class')).toContain('is-open');
    expect(await page.locator('.title-row .badge').textContent()).toBe('live');

    let expected = 2;
    for (let turn = 0; turn < TURNS; turn++) {
      for (const type of ['llm', 'tool']) {
        agent.next();
        await agent.waitForLine(`STARTED ${type} ${turn}`);
        expected += 1;
        // The step shows up while it runs (the agent waits meanwhile, so this state holds until the test moves on)…
        await eventually(() => page.locator(`.wf-row.is-open[data-step-type="${type}"]`).count()).toBe(1);
        await eventually(() => bars.count()).toBe(expected);
        if (turn === 0 && type === 'tool') await browser.screenshot(page, 'live-running-1280');
      }
      // …and the reasoning step, once ended, shows its text.
      expected += 1;
    }
    agent.next();
    await agent.waitForLine('DONE');

    await eventually(() => bars.count()).toBe(expected);
    await eventually(() => page.locator('.wf-row.is-open').count()).toBe(0);
    await eventually(() => page.locator('.title-row .badge').textContent()).toBe('completed');
    const previews = page.locator('.wf-row[data-step-type="reasoning"] .wf-preview');
    await eventually(() => previews.allTextContents()).toEqual(
      Array.from({ length: TURNS }, (_, turn) => `Reasoning of turn ${turn}: the lookup found ${turn} rows.`),
    );
    const timeline = (await (await fetch(`${collector.url}/api/sessions/${SESSION_ID}/timeline`)).json()) as { steps: unknown[] };
    expect(timeline.steps).toHaveLength(expected);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await browser.screenshot(page, 'live-done-1280');
    expect(browser.errors).toEqual([]);
  });
});
