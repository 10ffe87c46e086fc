import { describe, expect, it } from 'vitest';
import type { RawSpan } from '../../src/model/types.js';
import { GroupCommitIngest } from '../../src/server/group-commit-ingest.js';
import { IngestOverloadedError } from '../../src/server/trace-ingest.js';
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
});
