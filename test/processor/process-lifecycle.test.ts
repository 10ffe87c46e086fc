import { afterEach, describe, expect, it } from 'vitest';
import { openStore, removeTempDirs, runFixture, tempDbPath } from './helpers.js';

afterEach(() => removeTempDirs());

describe('SkeinSpanProcessor across process lifetimes', () => {
  it('after SIGKILL mid-step, completed steps are all there and the open ones are interrupted', async () => {
    const dbPath = tempDbPath();
    const sessionId = 'crashed-session';
    const result = await runFixture('crash-child.ts', [dbPath, sessionId], (stdout, kill) => {
      if (stdout.includes('READY')) kill('SIGKILL');
    });
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).toContain('READY');

    const store = openStore(dbPath);
    try {
      const spans = (await store.getSpans({ sessionId, limit: 100 })).items;
      const completed = spans.filter((s) => s.endTimeUnixNano !== null);
      expect(completed).toHaveLength(6);
      for (const span of completed) expect(span.interrupted).toBe(false);
      const models = completed.filter((s) => s.stepType === 'llm');
      expect(models.map((s) => s.usage.input).sort()).toEqual([100, 101, 102]);
      expect(models.map((s) => s.output?.text).sort()).toEqual(
        expect.arrayContaining([expect.stringContaining('answer 0'), expect.stringContaining('answer 2')]),
      );
      expect(completed.filter((s) => s.stepType === 'tool').map((s) => s.toolCallId).sort()).toEqual([
        'call-0',
        'call-1',
        'call-2',
      ]);

      const open = spans.filter((s) => s.endTimeUnixNano === null);
      // The long tool call and the session around it.
      expect(open.map((s) => s.stepType).sort()).toEqual(['agent', 'tool']);
      for (const span of open) expect(span.interrupted).toBe(true);
      expect(open.find((s) => s.stepType === 'tool')?.toolCallId).toBe('call-long');

      const summary = await store.getSession(sessionId);
      expect(summary.status).toBe('interrupted');
      expect(summary.interruptedCount).toBe(2);
      expect(summary.tokens.input).toBe(303);
    } finally {
      await store.close();
    }
  });

  it('flushes on process.exit() without shutdown', async () => {
    const dbPath = tempDbPath();
    const result = await runFixture('exit-child.ts', [dbPath, 'exit-session', 'exit']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const store = openStore(dbPath);
    try {
      const summary = await store.getSession('exit-session');
      expect(summary.status).toBe('completed');
      expect(summary.spanCount).toBe(3);
      expect(summary.tokens.input).toBe(7);
    } finally {
      await store.close();
    }
  });

  it('never holds the process open: without shutdown the process ends by itself, spans written', async () => {
    const dbPath = tempDbPath();
    // Bounded only by the test timeout: a ref'd timer would keep the child alive for an hour.
    const result = await runFixture('exit-child.ts', [dbPath, 'natural-session', 'natural']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('DONE');

    const store = openStore(dbPath);
    try {
      expect((await store.getSession('natural-session')).spanCount).toBe(3);
    } finally {
      await store.close();
    }
  });
});
