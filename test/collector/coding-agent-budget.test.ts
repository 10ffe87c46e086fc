/**
 * "Warn me when a Claude Code session passes $X" (README, Budgets): an `agents["claude-code"]`
 * cost limit fires on a session Skein built from Claude Code's default telemetry (log events
 * only), captured from the real program and replayed as it was sent. The limit is set from the
 * capture's own supplied cost, so the crossing is what its events say, not a copied number.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import type { BudgetEventRecord } from '../../src/model/budgets.js';
import { decodeLogsRequest } from '../../src/otlp/index.js';
import { AGENT_FIXTURES_DIR, listRequests, replayScenario, requestBodies } from '../fixtures/agents/replay.js';
import { expectedFromEvents } from '../model/agents/claude-code-fixture.js';

const SCENARIO = join(AGENT_FIXTURES_DIR, 'claude-code', 'default');

let collector: RunningCollector | undefined;
let dir: string | undefined;
afterEach(async () => {
  await collector?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  collector = undefined;
  dir = undefined;
});

describe('a budget on the claude-code agent', () => {
  it('warns and then records exceeded once a Claude Code session passes its cost limit, counted once when resent', async () => {
    const records = listRequests(SCENARIO)
      .filter((r) => r.signal === 'logs')
      .flatMap((r) => requestBodies(r).flatMap((body) => decodeLogsRequest(body, r.format).records));
    const expected = expectedFromEvents(records);
    expect(expected.suppliedCostUsd).toBeGreaterThan(0);
    // Under what the session's events report, so its model calls cross it.
    const limit = expected.suppliedCostUsd / 2;
    const crossings: BudgetEventRecord[] = [];
    dir = mkdtempSync(join(tmpdir(), 'skein-agent-budget-'));
    collector = await startCollector({
      dbPath: join(dir, 'skein.db'),
      port: 0,
      budgets: { agents: { 'claude-code': { maxCostUsd: limit } } },
      onBudget: (crossing) => crossings.push(crossing),
    });

    for (let replay = 0; replay < 2; replay++) {
      const answers = await replayScenario(SCENARIO, { httpUrl: collector.url, grpcPort: null });
      expect(answers.map((a) => a.httpStatus)).toEqual(answers.map(() => 200));
    }

    const stored = await collector.store.getBudgetEvents(expected.sessionId);
    // The commit that crosses the limit passes the warning threshold too: both are recorded, once each.
    expect(stored.map((e) => [e.scope, e.key, e.metric, e.level])).toEqual([
      ['agent', 'claude-code', 'costUsd', 'warning'],
      ['agent', 'claude-code', 'costUsd', 'exceeded'],
    ]);
    expect(stored.at(-1)).toMatchObject({ level: 'exceeded', limit, sessionId: expected.sessionId });
    expect(stored.at(-1)?.used).toBeGreaterThanOrEqual(limit);
    // Reported once by the collector, though the requests were sent twice.
    expect(crossings.map((c) => c.level)).toEqual(stored.map((e) => e.level));

    const api = (await (await fetch(`${collector.url}/api/sessions/${encodeURIComponent(expected.sessionId)}`)).json()) as {
      agentName: string;
      budget: { limits: Array<{ scope: string; key: string; state: string }> };
    };
    expect(api.agentName).toBe('claude-code');
    expect(api.budget.limits).toContainEqual(expect.objectContaining({ scope: 'agent', key: 'claude-code', state: 'exceeded' }));
  });
});
