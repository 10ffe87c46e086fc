/** The one writer thread: real worker, real SQLite files in a temp directory. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { openIngestCommit } from '../../src/ingest/ingest-commit.js';
import { IngestWriterThread } from '../../src/ingest/ingest-writer-thread.js';
import { createIngest, resolveIngestSettings } from '../../src/ingest/ingest-settings.js';
import { createPriceTable } from '../../src/model/pricing.js';
import { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { makeRawLog, makeRawSum } from './raw-signals.js';

const dirs: string[] = [];
const threads: IngestWriterThread[] = [];
afterEach(async () => {
  await Promise.all(threads.splice(0).map((t) => t.close().catch(() => undefined)));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skein-ingest-thread-'));
  dirs.push(dir);
  return join(dir, 'skein.db');
}

function start(path: string, settings = resolveIngestSettings({})) {
  const errors: unknown[] = [];
  // Opened here first, as every caller does: the schema exists before the thread opens the file.
  new SqliteTraceStore({ path }).closeSync();
  const thread = new IngestWriterThread({ dbPath: path, settings, onError: (error) => errors.push(error) });
  threads.push(thread);
  return { thread, errors };
}

async function storedNames(path: string): Promise<Map<string, string>> {
  const store = new SqliteTraceStore({ path });
  try {
    const spans = (await store.getSpans({ limit: 1000 })).items;
    return new Map(spans.map((s) => [s.spanId, s.name]));
  } finally {
    await store.close();
  }
}

/** The thread's worker (no public handle: tests only), to kill it. */
const workerOf = (thread: IngestWriterThread) => (thread as unknown as { worker: Worker }).worker;

describe('IngestWriterThread', () => {
  it('commits a batch of log records and metrics as received: bigints and bytes cross by structured clone', async () => {
    const path = dbPath();
    const { thread, errors } = start(path);
    const log = makeRawLog({ body: { big: 2n ** 63n - 1n, raw: new Uint8Array([0, 255]) }, attributes: { 'session.id': 's-thread', n: -(2n ** 62n) } });
    const outcome = await thread.commit({ spans: [], logs: [log], metrics: [makeRawSum(2)] });
    expect(outcome).toEqual({ crossings: [], enqueued: [] });
    const store = new SqliteTraceStore({ path });
    try {
      const [stored] = (await store.listLogs({ sessionId: 's-thread' })).items;
      expect(stored.body).toEqual({ big: 2n ** 63n - 1n, raw: new Uint8Array([0, 255]) });
      expect(stored.attributes.n).toBe(-(2n ** 62n));
      expect((await store.listMetricPoints({})).items.map((p) => p.value)).toEqual([100n, 101n]);
    } finally {
      await store.close();
    }
    expect(errors).toEqual([]);
  });

  it('commits posted work in order, answering each once durable', async () => {
    const path = dbPath();
    const { thread, errors } = start(path);
    const span = makeRawSpan();
    const answered: number[] = [];
    // The same span five times under five names: the order of the commits decides which name stays.
    const commits = [1, 2, 3, 4, 5].map((n) =>
      thread.commit([{ ...span, name: `version ${n}` }]).then((outcome) => {
        answered.push(n);
        return outcome;
      }),
    );
    const outcomes = await Promise.all(commits);
    expect(answered).toEqual([1, 2, 3, 4, 5]);
    expect(outcomes[0]).toEqual({ crossings: [], enqueued: [] });
    await thread.flush();
    expect((await storedNames(path)).get(span.spanId)).toBe('version 5');
    expect(errors).toEqual([]);
  });

  it('merges commits waiting behind each other into one transaction, answering each on its own', async () => {
    const path = dbPath();
    const { thread, errors } = start(path);
    // Posted before the thread has started: all five wait in its port when it takes the first.
    const batches = [1, 2, 3, 4, 5].map(() => [makeRawSpan({ attributes: { 'session.id': 's-merged' } })]);
    const outcomes = await Promise.all(batches.map((batch) => thread.commit(batch)));
    expect(outcomes).toEqual(batches.map(() => ({ crossings: [], enqueued: [] })));
    const store = new SqliteTraceStore({ path, readonly: true });
    try {
      expect((await store.getSession('s-merged')).spanCount).toBe(5);
      // The change feed keeps one row per session per transaction: five commits alone would leave five.
      const rows = store.database.prepare("SELECT count(*) FROM changes WHERE session_id = 's-merged'").pluck().get();
      expect(rows).toBeLessThan(5);
    } finally {
      await store.close();
    }
    expect(errors).toEqual([]);
  });

  it('fails only the batch that fails when merged commits cannot commit together', async () => {
    const path = dbPath();
    const { thread, errors } = start(path);
    const good = [makeRawSpan(), makeRawSpan()];
    const answers = await Promise.allSettled([
      thread.commit([good[0]]),
      thread.commit([makeRawSpan({ traceId: 'not a trace id' })]),
      thread.commit([good[1]]),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((answers[1] as PromiseRejectedResult).reason)).toMatch(/traceId must be 32 hex digits/);
    expect([...(await storedNames(path)).keys()].sort()).toEqual(good.map((s) => s.spanId).sort());
    expect(errors).toEqual([]);
  });

  it('computes cost with the prices it was given as data', async () => {
    const path = dbPath();
    const prices = createPriceTable({ 'house-model': { inputPerMTok: 1_000_000, outputPerMTok: 0 } });
    const { thread } = start(path, resolveIngestSettings({ prices }));
    const span = makeRawSpan({
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'house-model', 'gen_ai.usage.input_tokens': 3 },
    });
    await thread.commit([span]);
    await thread.close();
    const store = new SqliteTraceStore({ path });
    try {
      const [stored] = (await store.getSpans({ limit: 10 })).items;
      expect(stored.cost).toMatchObject({ usd: 3, source: 'computed' });
    } finally {
      await store.close();
    }
  });

  it('refuses a price table of the app\'s own making, which cannot cross threads', () => {
    const own = { lookup: () => undefined };
    expect(() => new IngestWriterThread({ dbPath: dbPath(), settings: resolveIngestSettings({ prices: own }), onError: () => {} })).toThrow(
      /cannot cross threads/,
    );
  });

  it('that dies fails the work it had not answered, reports once, and turns alive false', async () => {
    const { thread, errors } = start(dbPath());
    await thread.commit([makeRawSpan()]);
    // Big enough to still be in hand when the thread is ended (normalizing and writing 20,000 spans
    // takes about a second): one span could be committed and answered first, and pass or fail by luck.
    const pending = thread.commit(Array.from({ length: 20_000 }, () => makeRawSpan()));
    const flushed = thread.flush();
    await workerOf(thread).terminate();
    await expect(pending).rejects.toThrow(/writer thread exited/);
    await expect(flushed).resolves.toBeUndefined();
    expect(thread.alive).toBe(false);
    expect(errors).toHaveLength(1);
    await expect(thread.commit([makeRawSpan()])).rejects.toThrow(/not running/);
    await expect(thread.close()).resolves.toBeUndefined();
  });

  it('that cannot start reports it once, refuses commits (the caller then commits itself), and closes', async () => {
    const errors: unknown[] = [];
    const thread = new IngestWriterThread({
      dbPath: join(dbPath(), 'missing-dir', 'nested', 'skein.db'),
      settings: resolveIngestSettings({}),
      onError: (error) => errors.push(error),
    });
    threads.push(thread);
    await expect.poll(() => thread.alive, { timeout: 10_000 }).toBe(false);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/cannot open the database/);
    await expect(thread.commit([makeRawSpan()])).rejects.toThrow(/not running/);
    await expect(thread.close()).resolves.toBeUndefined();
  });

  it('closes after answering everything posted, and commits nothing more', async () => {
    const path = dbPath();
    const { thread, errors } = start(path);
    const spans = [makeRawSpan(), makeRawSpan(), makeRawSpan()];
    const commits = spans.map((span) => thread.commit([span]));
    const closed = thread.close();
    await Promise.all(commits);
    await closed;
    expect(thread.alive).toBe(false);
    expect(errors).toEqual([]);
    await expect(thread.commit([makeRawSpan()])).rejects.toThrow(/not running/);
    expect([...(await storedNames(path)).keys()].sort()).toEqual(spans.map((s) => s.spanId).sort());
  });
});

describe('a seeded secret, on either side of the writer thread', () => {
  const KEY = `sk-proj-${'A1b2C3d4E5f6G7h8'.repeat(3)}`;
  const secretSpan = () => makeRawSpan({ attributes: { 'app.note': `calling with ${KEY}`, 'gen_ai.operation.name': 'chat' } });
  const fileBytes = (path: string) =>
    Buffer.concat([path, `${path}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p))).toString('latin1');

  it('never reaches the file through the thread, nor through openIngestCommit (the caller\'s own thread)', async () => {
    const path = dbPath();
    const { thread } = start(path);
    await thread.commit([secretSpan()]);
    const here = openIngestCommit(path, createIngest(resolveIngestSettings({})));
    here.commit([secretSpan()]);
    expect(fileBytes(path)).not.toContain(KEY);
    here.close();
    await thread.close();
    expect(fileBytes(path)).not.toContain(KEY);
    expect(fileBytes(path)).toContain('[REDACTED:openai-key]');
  });

  it('with redaction off reaches it: the check above can fail', async () => {
    const path = dbPath();
    const { thread } = start(path, resolveIngestSettings({ redaction: { enabled: false } }));
    await thread.commit([secretSpan()]);
    await thread.close();
    expect(fileBytes(path)).toContain(KEY);
  });
});
