import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutboxSnapshot } from '../../src/forward/outbox-counts.js';
import type { CountedOutbox } from '../../src/forward/outbox-counts.js';
import type { OutboxDepth } from '../../src/store/outbox.js';

const A = 'http://a:4318';

/** An async outbox whose reads the test answers one by one. */
function outboxAnswering() {
  const pending: Array<{ resolve: (d: OutboxDepth[]) => void; reject: (e: Error) => void }> = [];
  const outbox: CountedOutbox = {
    depth: () => new Promise((resolve, reject) => pending.push({ resolve, reject })),
    deadLetterCounts: async () => new Map([[A, 1]]),
  };
  const depthOf = (entries: number): OutboxDepth[] => [{ upstream: A, entries, spans: entries, bytes: entries * 10, oldestEnqueuedAtMillis: 1 }];
  return { outbox, pending, depthOf };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('OutboxSnapshot', () => {
  it('runs one read at a time: asks during a read make one more read after it, not one each', async () => {
    const { outbox, pending, depthOf } = outboxAnswering();
    const snapshot = new OutboxSnapshot(outbox, { minGapMillis: 0 });
    const first = snapshot.refresh();
    const asks = [snapshot.refresh(), snapshot.refresh(), snapshot.refresh()];
    expect(pending).toHaveLength(1);
    pending[0].resolve(depthOf(2));
    await first;
    expect(snapshot.queuedBytes(A)).toBe(20);
    await vi.waitFor(() => expect(pending).toHaveLength(2));
    pending[1].resolve(depthOf(3));
    await Promise.all(asks);
    expect(pending).toHaveLength(2);
    expect(snapshot.depth()).toEqual(depthOf(3));
    expect(snapshot.deadLetterCounts()).toEqual(new Map([[A, 1]]));
  });

  it('keeps the last counts when a read fails (the database is down), and says so once', async () => {
    const { outbox, pending, depthOf } = outboxAnswering();
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const snapshot = new OutboxSnapshot(outbox, { minGapMillis: 0 });
    const first = snapshot.refresh();
    pending[0].resolve(depthOf(2));
    await first;
    for (let i = 1; i <= 2; i++) {
      const failed = snapshot.refresh();
      pending[i].reject(new Error('connect ECONNREFUSED'));
      await failed;
    }
    expect(snapshot.queuedBytes(A)).toBe(20);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(String(logged.mock.calls[0][0])).toContain('ECONNREFUSED');
  });

  it('refuses a bad interval with an error naming the option', () => {
    const { outbox } = outboxAnswering();
    expect(() => new OutboxSnapshot(outbox, { intervalMillis: 0 })).toThrow('OutboxSnapshot: intervalMillis');
  });
});
