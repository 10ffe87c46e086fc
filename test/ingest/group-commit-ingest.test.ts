import { describe, expect, it } from 'vitest';
import type { RawSpan } from '../../src/model/types.js';
import { GroupCommitIngest } from '../../src/ingest/group-commit-ingest.js';
import { IngestOverloadedError, SpansRefusedError } from '../../src/ingest/trace-ingest.js';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { makeRawLog, makeRawSum } from './raw-signals.js';

describe('GroupCommitIngest', () => {
  it('commits requests that arrive together in one batch, and answers each once committed', async () => {
    const commits: Array<{ received: RawSpan[] }> = [];
    const ingest = new GroupCommitIngest({ commit: (received) => void commits.push({ received: received.spans }) });
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
        if (received.spans.includes(poison)) throw new RangeError('The bound string, buffer, or bigint is too big');
        committed.push(received.spans.map((s) => s.name));
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

  it('PostgreSQL out of reach (StoreUnavailableError) fails the batch at once, without retrying each request', async () => {
    const down = new StoreUnavailableError('postgres://skein:***@db/skein', new Error('connect ECONNREFUSED'));
    let attempts = 0;
    const ingest = new GroupCommitIngest({
      commit: () => {
        attempts++;
        throw down;
      },
    });
    const results = await Promise.allSettled([ingest.ingest([makeRawSpan()]), ingest.ingest([makeRawSpan()]), ingest.ingest([makeRawSpan()])]);
    expect(results.map((r) => (r as PromiseRejectedResult).reason)).toEqual([down, down, down]);
    expect(attempts).toBe(1);
  });

  it('requests arriving during the isolation wait for it and join the next commit; pending counts them all', async () => {
    const poison = makeRawSpan({ name: 'poison' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batches: string[][] = [];
    const ingest = new GroupCommitIngest({
      commit: async (received) => {
        batches.push(received.spans.map((s) => s.name));
        if (received.spans.includes(poison)) {
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
        committed.push(received.spans.length);
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
        await new Promise((resolve) => setTimeout(resolve, received.spans.length * 2));
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

  it('requests of every signal share one commit; pending and the bound count spans, log records and metric points', async () => {
    const commits: Array<{ spans: number; logs: number; metrics: number }> = [];
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const ingest = new GroupCommitIngest({
      maxPendingSpans: 10,
      commit: async (received) => {
        commits.push({ spans: received.spans.length, logs: received.logs.length, metrics: received.metrics.length });
        await blocked;
      },
    });
    const all = Promise.all([
      ingest.ingest([makeRawSpan()]),
      ingest.ingestLogs([makeRawLog(), makeRawLog()]),
      ingest.ingestMetrics([makeRawSum(3), makeRawSum(2)]),
    ]);
    // 1 span + 2 log records + 5 data points.
    expect(ingest.pending).toBe(8);
    const refused = ingest.ingestMetrics([makeRawSum(3)]);
    await expect(refused).rejects.toBeInstanceOf(IngestOverloadedError);
    await expect(refused).rejects.toThrow('the store is 8 items behind (limit 10); retry later');
    release();
    await all;
    expect(commits).toEqual([{ spans: 1, logs: 2, metrics: 2 }]);
    expect(ingest.pending).toBe(0);
  });

  it('a shared commit that fails for one request\'s log records refuses that request, naming log records; the rest commit', async () => {
    const poison = makeRawLog({ body: 'poison' });
    const committed: string[] = [];
    const ingest = new GroupCommitIngest({
      commit: (received) => {
        if (received.logs.includes(poison)) throw new RangeError('too big');
        committed.push(`${received.spans.length}/${received.logs.length}/${received.metrics.length}`);
      },
    });
    const results = await Promise.allSettled([
      ingest.ingestLogs([makeRawLog(), poison]),
      ingest.ingest([makeRawSpan()]),
      ingest.ingestMetrics([makeRawSum(2)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    const refused = (results[0] as PromiseRejectedResult).reason as Error;
    expect(refused).toBeInstanceOf(SpansRefusedError);
    expect(refused.message).toBe('the store refused these log records: too big');
    expect(committed).toEqual(['1/0/0', '0/0/1']);
    expect(ingest.pending).toBe(0);
  });
});
