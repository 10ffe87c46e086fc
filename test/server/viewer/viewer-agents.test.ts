/**
 * Coding-agent sessions in the viewer (issue 17), in a real browser against a
 * real collector fed the real captures of test/fixtures/agents/: the sessions
 * list names each agent, and each session opens on its turns, each headed by
 * the user's prompt with its model and tool calls. What the page must show is
 * computed from the decoded capture, not copied from a run. Screenshots of
 * the list and of each session in test-results/viewer/.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import { AGENT_FIXTURES_DIR, replayScenario } from '../../fixtures/agents/replay.js';
import { attr, decodeRun } from '../../model/agents/agent-fixture.js';
import type { DecodedRun } from '../../model/agents/agent-fixture.js';
import { PHONE, launchBrowser } from './browser.js';
import type { TestBrowser } from './browser.js';

/** What one turn must show, from the capture. */
interface ExpectedTurn {
  prompt: string;
  llm: number;
  tools: number;
  /** Calls made inside a tool call (a subagent's). */
  nested: number;
}
interface Case {
  program: string;
  scenario: string;
  agent: string;
  sessionId: string;
  turns: ExpectedTurn[];
}

const named = (run: DecodedRun, name: string) => run.logs.filter((r) => attr(r, 'event.name') === name);
const text = (value: unknown) => String(value);

/** Claude Code: a turn per `prompt.id`, its text on the user_prompt event; its api_request and tool_result events are its calls (with or without spans: the spans are the same calls). */
function claudeCode(scenario: string): Case {
  const run = decodeRun('claude-code', scenario);
  const prompts = named(run, 'user_prompt');
  const subagentSpans = run.spans.filter((s) => attr(s, 'agent_id') !== undefined && ['claude_code.llm_request', 'claude_code.tool'].includes(s.name));
  return {
    program: 'claude-code',
    scenario,
    agent: 'claude-code',
    sessionId: text(attr(prompts[0], 'session.id')),
    turns: prompts.map((p) => {
      const id = attr(p, 'prompt.id');
      const of = (name: string) => named(run, name).filter((r) => attr(r, 'prompt.id') === id).length;
      return { prompt: text(attr(p, 'prompt')), llm: of('api_request'), tools: of('tool_result'), nested: subagentSpans.length };
    }),
  };
}

/** Codex: one turn per codex.user_prompt; a model call per usage-carrying sse event, a tool call per tool_result. */
function codex(scenario: string): Case {
  const run = decodeRun('codex', scenario);
  const prompts = named(run, 'codex.user_prompt');
  expect(prompts).toHaveLength(1);
  return {
    program: 'codex',
    scenario,
    agent: 'codex',
    sessionId: text(attr(prompts[0], 'conversation.id')),
    turns: [
      {
        prompt: text(attr(prompts[0], 'prompt')),
        llm: named(run, 'codex.sse_event').filter((r) => attr(r, 'input_token_count') !== undefined).length,
        tools: named(run, 'codex.tool_result').length,
        nested: 0,
      },
    ],
  };
}

/** Gemini CLI: one turn per gemini_cli.user_prompt; its llm_call and tool_call spans (each call its own trace). */
function geminiCli(scenario: string): Case {
  const run = decodeRun('gemini-cli', scenario);
  const prompts = named(run, 'gemini_cli.user_prompt');
  expect(prompts).toHaveLength(1);
  return {
    program: 'gemini-cli',
    scenario,
    agent: 'gemini-cli',
    sessionId: text(run.spans[0].resource.attributes['session.id']),
    turns: [
      {
        prompt: text(attr(prompts[0], 'prompt')),
        llm: run.spans.filter((s) => s.name === 'llm_call').length,
        tools: run.spans.filter((s) => s.name === 'tool_call').length,
        nested: 0,
      },
    ],
  };
}

const CASES: Case[] = [claudeCode('default'), claudeCode('beta-traces'), claudeCode('subagent'), codex('exec-http-binary'), geminiCli('http-json')];

let dir: string;
let collector: RunningCollector;
let browser: TestBrowser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skein-viewer-agents-'));
  collector = await startCollector({ dbPath: join(dir, 'agents.db'), port: 0, livePollIntervalMillis: 20 });
  for (const c of CASES) {
    const answers = await replayScenario(join(AGENT_FIXTURES_DIR, c.program, c.scenario), { httpUrl: collector.url, grpcPort: null });
    expect(answers.map((a) => a.httpStatus)).toEqual(answers.map(() => 200));
  }
  browser = await launchBrowser();
}, 120_000);
afterEach(async () => {
  await browser?.closePages();
});
afterAll(async () => {
  await browser?.close();
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openSession(sessionId: string, viewport?: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage(viewport);
  await page.goto(`${collector.url}/sessions/${sessionId}`);
  await page.locator('.turn').first().waitFor();
  return page;
}

/** The turns as the page shows them. */
const shownTurns = (page: Page) =>
  page.locator('.turn').evaluateAll((blocks) =>
    blocks.map((b) => ({
      prompt: b.querySelector('.turn-prompt-text')?.textContent ?? null,
      llm: b.querySelectorAll('.turn-call[data-step-type="llm"]').length,
      tools: b.querySelectorAll('.turn-call[data-step-type="tool"]').length,
      nested: b.querySelectorAll('.turn-call:not([data-nesting="0"])').length,
    })),
  );

describe('coding-agent sessions in the viewer', () => {
  it('the sessions list names the agent of each session', async () => {
    const page = await browser.newPage();
    await page.goto(`${collector.url}/sessions`);
    await page.locator('tr[data-session-id]').nth(CASES.length - 1).waitFor();
    const agents = await page.locator('tr[data-session-id]').evaluateAll((rows) =>
      Object.fromEntries(rows.map((r) => [r.getAttribute('data-session-id'), r.querySelector('.c-agent')?.textContent])),
    );
    expect(agents).toEqual(Object.fromEntries(CASES.map((c) => [c.sessionId, c.agent])));
    expect(await page.locator('thead th').allTextContents()).toContain('Agent / models');
    await browser.screenshot(page, 'agents-sessions-list');
    expect(browser.errors).toEqual([]);
  });

  for (const c of CASES) {
    it(`${c.program} ${c.scenario}: opens on its turns, each the user's prompt with its model and tool calls`, async () => {
      const page = await openSession(c.sessionId);
      expect(await page.locator('#tab-turns-button').getAttribute('aria-selected')).toBe('true');
      expect(new URL(page.url()).search).toBe('');
      expect(await shownTurns(page)).toEqual(c.turns);
      // The totals count the timeline's steps (not an agent's plumbing) and the prompts as turns.
      const steps = (await (await fetch(`${collector.url}/api/sessions/${c.sessionId}/timeline`)).json()) as { steps: { spanId: string; stepType: string }[] };
      expect(await page.locator('.totals-line').textContent()).toContain(`${steps.steps.length} steps in ${c.turns.length} turn${c.turns.length === 1 ? '' : 's'}`);

      // Every call links to its step, which is one of the session's steps of that type.
      const typeOf = new Map(steps.steps.map((s) => [s.spanId, s.stepType]));
      const calls = await page.locator('.turn-call').evaluateAll((items) =>
        items.map((i) => ({ type: i.getAttribute('data-step-type'), href: i.querySelector('a.call-name')?.getAttribute('href') ?? '' })),
      );
      for (const call of calls) {
        const spanId = /\/steps\/([^/?]+)/.exec(call.href)?.[1] ?? '';
        expect(typeOf.get(decodeURIComponent(spanId)), call.href).toBe(call.type);
      }
      // A model call shows its tokens; a tool call its arguments and outcome.
      await expect.poll(() => page.locator('.call-llm .call-tokens').first().textContent()).toMatch(/^in [\d,]+ · out [\d,]+/);
      if (c.turns.some((t) => t.tools > 0)) {
        await expect.poll(() => page.locator('.call-tool pre.call-args').first().textContent()).not.toBe('');
        expect(await page.locator('.call-tool .call-outcome').first().textContent()).toBe('ok');
      }
      // Claude Code reports each call's cost (cost_usd): shown as supplied; Codex's and Gemini's are computed or unpriced.
      const costs = await page.locator('.call-llm .call-cost').allTextContents();
      expect(costs.filter((t) => t.endsWith('(supplied)')).length).toBe(c.program === 'claude-code' ? costs.length : 0);
      await browser.screenshot(page, `agents-${c.program}-${c.scenario}`);
      expect(browser.errors).toEqual([]);
    });
  }

  it('a call opens its step in the steps view, and the steps and chat tabs stay reachable', async () => {
    const c = CASES[0];
    const page = await openSession(c.sessionId);
    const link = page.locator('.call-tool a.call-name').first();
    const href = (await link.getAttribute('href')) ?? '';
    await link.click();
    await page.waitForURL((url) => url.pathname.includes('/steps/'));
    expect(new URL(page.url()).searchParams.get('view')).toBe('steps');
    await page.locator('.step-panel h2').waitFor();
    expect(await page.locator('#tab-steps-button').getAttribute('aria-selected')).toBe('true');
    expect(href).toContain(encodeURIComponent(await page.locator('.step-panel article.step').getAttribute('data-span-id') ?? 'none'));

    await page.goto(`${collector.url}/sessions/${c.sessionId}`);
    await page.locator('.turn').first().waitFor();
    await page.locator('#tab-steps-button').click();
    await page.locator('.wf-bar').first().waitFor();
    expect(new URL(page.url()).searchParams.get('view')).toBe('steps');
    expect(await page.locator('#tab-turns').isHidden()).toBe(true);
    await page.locator('#tab-chat-button').click();
    await page.waitForURL(/view=chat/);
    expect(await page.locator('#tab-chat').isVisible()).toBe(true);
    await page.locator('#tab-turns-button').click();
    await page.locator('.turn').first().waitFor();
    expect(new URL(page.url()).search).toBe('');
    expect(browser.errors).toEqual([]);
  });

  it('a page opened before the agent sends anything waits, then opens on the turns when its events come', async () => {
    // Claude Code by default: log events only, from which the session's steps are made.
    const late = claudeCode('default-http-json');
    const page = await browser.newPage();
    await page.goto(`${collector.url}/sessions/${late.sessionId}`);
    await expect.poll(() => page.locator('.waiting h1').textContent(), { timeout: 20_000 }).toBe(`Waiting for session ${late.sessionId}…`);
    await expect.poll(() => page.locator('#conn').getAttribute('data-state'), { timeout: 20_000 }).toBe('live');
    await replayScenario(join(AGENT_FIXTURES_DIR, late.program, late.scenario), { httpUrl: collector.url, grpcPort: null });
    await page.locator('.turn').first().waitFor({ timeout: 20_000 });
    expect(await shownTurns(page)).toEqual(late.turns);
    expect(await page.locator('#tab-turns-button').getAttribute('aria-selected')).toBe('true');
    expect(new URL(page.url()).search).toBe('');
    expect(browser.errors).toEqual([]);
  });

  it('fits a phone: the turns take the width without overflowing', async () => {
    const c = CASES.find((x) => x.program === 'claude-code' && x.scenario === 'subagent') as Case;
    const page = await openSession(c.sessionId, PHONE);
    const overflow = await page.evaluate<number>(`(() => { const main = document.querySelector('main'); return main.scrollWidth - main.clientWidth; })()`);
    expect(overflow).toBeLessThanOrEqual(0);
    await browser.screenshot(page, 'agents-claude-code-subagent-phone');
  });
});
