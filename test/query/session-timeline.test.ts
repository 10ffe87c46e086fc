import { beforeEach, describe, expect, it } from 'vitest';
import { sessionSpanMap, sessionTimelineJson, sessionTreeJson } from '../../src/query/session-timeline.js';
import type { TreeNodeJson } from '../../src/query/json-views.js';
import { SessionNotFoundError } from '../../src/store/errors.js';
import type { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { ALPHA, useSeededStore } from '../server/query-api/seed.js';

describe('session timeline and tree', () => {
  const seeded = useSeededStore();
  let store: SqliteTraceStore;
  beforeEach(() => {
    store = seeded.store();
  });

  it('gives every step what only its span knows: status, provider, previews', async () => {
    const spans = await sessionSpanMap(store, ALPHA.sessionId);
    const timeline = await sessionTimelineJson(store, ALPHA.sessionId);
    expect(timeline.sessionId).toBe(ALPHA.sessionId);
    expect(timeline.steps).toHaveLength(spans.size);
    const failed = timeline.steps.find((s) => s.toolName === ALPHA.failingTool);
    expect(failed).toMatchObject({ status: 'error', isError: true, stepType: 'tool' });
    const claude = timeline.steps.find((s) => s.model === 'claude-sonnet-4-5');
    expect(claude).toMatchObject({ provider: 'anthropic', costSource: 'supplied', outputPreview: `assistant: ${ALPHA.answer}` });
  });

  it('nests the same steps under their parents', async () => {
    const tree = await sessionTreeJson(store, ALPHA.sessionId);
    const flatten = (nodes: TreeNodeJson[]): TreeNodeJson[] => nodes.flatMap((n) => [n, ...flatten(n.children)]);
    const timeline = await sessionTimelineJson(store, ALPHA.sessionId);
    expect(tree.roots).toHaveLength(1);
    expect(tree.roots[0].children.length).toBeGreaterThan(0);
    expect(flatten(tree.roots).map((n) => n.spanId).sort()).toEqual(timeline.steps.map((s) => s.spanId).sort());
  });

  it('refuses an unknown session', async () => {
    await expect(sessionTimelineJson(store, 'no-such-session')).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(sessionTreeJson(store, 'no-such-session')).rejects.toBeInstanceOf(SessionNotFoundError);
  });
});
