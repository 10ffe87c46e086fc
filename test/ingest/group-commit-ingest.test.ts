import { describe, expect, it } from 'vitest';
import type { RawSpan } from '../../src/model/types.js';
import { GroupCommitIngest } from '../../src/ingest/group-commit-ingest.js';
import { IngestOverloadedError, SpansRefusedError } from '../../src/ingest/trace-ingest.js';
import { makeRawSpan } from '../helpers/raw-spans.js';

describe('GroupCommitIngest', () => {
  it('commits requests that arrive together in one batch, and answers each once committed', async () => {
    const commits: Array<{ received: RawSpan[] }> = [];
    const ingest = new GroupCommitIngest({ commit: (received) => void commits.push({ received }) });
    const a = [makeRawSpan(), makeRawSpan()];
    const b = [makeRawSpan()];
    await Promise.all([ingest.ingest(a), ingest.ingest(b)]);
    expect(commits).toHaveLength(1);
    expect(commits[0].received.map((s) => s.spanId)).toEqual([...a, ...b].map((s) => s.spanId));
    expect(ingest.pending).toBe(0);
  });

  it('refuses with 503 material when too many spans wait for a commit', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const ingest = new GroupCommitIngest({ maxPendingSpans: 3, retryAfterSeconds: 2, commit: () => blocked });
    const first = ingest.ingest([makeRawSpan(), makeRawSpan()]);
    const refused = ingest.ingest([makeRawSpan(), makeRawSpan()]);
    await expect(refused).rejects.toBeInstanceOf(IngestOverloadedError);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 2 });
    release();
    await first;
    await expect(ingest.ingest([makeRawSpan(), makeRawSpan()])).resolves.toBeUndefined();
  });

  it('keeps its defaults when options are passed as undefined, and refuses bad numbers by name', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const ingest = new GroupCommitIngest({ maxPendingSpans: 1, retryAfterSeconds: undefined, commit: () => blocked });
    const first = ingest.ingest([makeRawSpan()]);
    await expect(ingest.ingest([makeRawSpan()])).rejects.toMatchObject({ retryAfterSeconds: 1 });
    release();
    await first;
    expect(() => new GroupCommitIngest({ maxPendingSpans: Number.NaN, commit: () => undefined })).toThrow(
      'GroupCommitIngest: maxPendingSpans must be a whole number of at least 1, got NaN',
    );
    expect(() => new GroupCommitIngest({ retryAfterSeconds: -1, commit: () => undefined })).toThrow('retryAfterSeconds');
  });

  it('refuses when the refuse check gives a reason (a full outbox)', async () => {
    const ingest = new GroupCommitIngest({ commit: () => undefined, refuse: () => 'outbox full' });
    await expect(ingest.ingest([makeRawSpan()])).rejects.toThrow('outbox full');
  });

  it('rejects every request of a batch whose commit failed, and recovers for the next', async () => {
    let fail = true;
    const ingest = new GroupCommitIngest({
      commit: () => {
        if (fail) throw new Error('database or disk is full');
      },
    });
    const results = await Promise.allSettled([ingest.ingest([makeRawSpan()]), ingest.ingest([makeRawSpan()])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(ingest.pending).toBe(0);
    fail = false;
    await expect(ingest.ingest([makeRawSpan()])).resolves.toBeUndefined();
  });

  it('a batch whose commit fails because of one request fails that request only; the others are committed', async () => {
    const poison = makeRawSpan({ name: 'poison' });
    const committed: string[][] = [];
    let attempts = 0;
    const ingest = new GroupCommitIngest({
      commit: (received) => {
        attempts++;
        if (received.includes(poison)) throw new RangeError('The bound string, buffer, or bigint is too big');
        committed.push(received.map((s) => s.name));
      },
    });
    const a = [makeRawSpan({ name: 'a1' }), makeRawSpan({ name: 'a2' })];
    const c = [makeRawSpan({ name: 'c' })];
    const results = await Promise.allSettled([
      ingest.ingest(a),
      ingest.ingest([makeRawSpan({ name: 'b' }), poison]),
      ingest.ingest(c),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refused = (results[1] as PromiseRejectedResult).reason as Error;
    expect(refused).toBeInstanceOf(SpansRefusedError);
    expect(refused.message).toContain('The bound string, buffer, or bigint is too big');
    expect(refused.cause).toBeInstanceOf(RangeError);
    // Together first, then each request alone.
    expect(attempts).toBe(4);
    expect(committed).toEqual([['a1', 'a2'], ['c']]);
    expect(ingest.pending).toBe(0);
    await expect(ingest.ingest([makeRawSpan()])).resolves.toBeUndefined();
  });

  it('a failure that is not about one request (every request fails alone too) fails them all with the store error', async () => {
    const full = new Error('database or disk is full');
    let attempts = 0;
    const ingest = new GroupCommitIngest({
      commit: () => {
        attempts++;
        throw full;
      },
    });
    const results = await Promise.allSettled([ingest.ingest([makeRawSpan()]), ingest.ingest([makeRawSpan()])]);
    expect(results.map((r) => (r as PromiseRejectedResult).reason)).toEqual([full, full]);
    expect(attempts).toBe(3);
    expect(ingest.pending).toBe(0);
  });

  it("an error SQLite reports as the store's (full, busy, I/O) fails the batch at once, without retrying each request", async () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    let attempts = 0;
    const ingest = new GroupCommitIngest({
      commit: () => {
        attempts++;
        throw busy;
      },
    });
    const results = await Promise.allSettled([ingest.ingest([makeRawSpan()]), ingest.ingest([makeRawSpan()]), ingest.ingest([makeRawSpan()])]);
    expect(results.map((r) => (r as PromiseRejectedResult).reason)).toEqual([busy, busy, busy]);
    expect(attempts).toBe(1);
    expect(ingest.pending).toBe(0);
  });

  it('requests arriving during the isolation wait for it and join the next commit; pending counts them all', async () => {
    const poison = makeRawSpan({ name: 'poison' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batches: string[][] = [];
    const ingest = new GroupCommitIngest({
      commit: async (received) => {
        batches.push(received.map((s) => s.name));
        if (received.includes(poison)) {
          await gate;
          throw new Error('refused');
        }
      },
    });
    const first = Promise.allSettled([ingest.ingest([poison]), ingest.ingest([makeRawSpan({ name: 'ok' })])]);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const late = ingest.ingest([makeRawSpan({ name: 'late' })]);
    expect(ingest.pending).toBe(3);
    release();
    expect((await first).map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    await late;
    expect(batches).toEqual([['poison', 'ok'], ['poison'], ['ok'], ['late']]);
    expect(ingest.pending).toBe(0);
  });

  it('drain resolves only after everything accepted is committed', async () => {
    const committed: number[] = [];
    const ingest = new GroupCommitIngest({
      commit: async (received) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        committed.push(received.length);
      },
    });
    const accepted = ingest.ingest([makeRawSpan(), makeRawSpan(), makeRawSpan()]);
    await ingest.drain();
    expect(committed).toEqual([3]);
    await accepted;
  });

  it('refuses by the expected wait, from the measured commit rate, before the span bound is reached', async () => {
    let gate: Promise<void> | undefined = undefined;
    let open!: () => void;
    const ingest = new GroupCommitIngest({
      maxWaitMillis: 50,
      commit: async (received) => {
        // 2 ms a span asked of the timer: a timer may fire a little early, so the measured rate is
        // ~2 ms a span and at least well above 1 ms, which is all the assertions below rely on.
        await new Promise((resolve) => setTimeout(resolve, received.length * 2));
        await gate;
      },
    });
    // Nothing measured yet, then two start-up commits not counted: never refuse on a guess.
    for (let i = 0; i < 3; i++) {
      expect(ingest.expectedWaitMillis(1_000)).toBe(0);
      await ingest.ingest(Array.from({ length: 20 }, () => makeRawSpan()));
    }
    expect(ingest.expectedWaitMillis(1_000)).toBeGreaterThan(0);
    gate = new Promise<void>((resolve) => (open = resolve));
    const waiting = ingest.ingest(Array.from({ length: 30 }, () => makeRawSpan()));
    expect(ingest.expectedWaitMillis(30)).toBeGreaterThanOrEqual(60);
    // 30 waiting + 30 more at > 1 ms a span is past 50 ms; the span bound (100,000) is far away.
    const refused = ingest.ingest(Array.from({ length: 30 }, () => makeRawSpan()));
    await expect(refused).rejects.toBeInstanceOf(IngestOverloadedError);
    await expect(refused).rejects.toThrow(/ms behind \(limit 50 ms\)/);
    // At least the configured 1 s; more when the backlog is longer than that past the bound.
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: expect.any(Number) });
    expect(((await refused.catch((e: unknown) => e)) as IngestOverloadedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    open();
    await waiting;
    expect(() => new GroupCommitIngest({ maxWaitMillis: 0, commit: () => undefined })).toThrow('maxWaitMillis');
  });
});
