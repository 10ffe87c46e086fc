import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import type { RawSpan } from '../../src/model/types.js';
import { encodeStatus, encodeTraceRequest } from '../../src/otlp/index.js';
import { SqliteOutbox } from '../../src/store/sqlite/sqlite-outbox.js';
import type { OutboxQueue } from '../../src/store/sqlite/sqlite-outbox.js';
import { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { cli } from './run.js';
import { cleanup, countIds, startUpstream, tempDir } from './serve/helpers.js';

const LIVE = 'http://otel-collector.example:4318';
const GONE = 'http://old-collector.example:4318';
const LONG_ANSWER = `HTTP 400: google.rpc.Status code 3: span 7 has an invalid trace id\n${'x'.repeat(200)}`;

interface Fixture {
  dbPath: string;
  db: string[];
  /** Dead-letter ids and the span ids in their payloads. */
  liveDead: { id: number; spanIds: string[]; payload: Uint8Array };
  goneDead: { id: number; spanIds: string[] };
}

let fx: Fixture;

afterEach(() => cleanup());

function spans(n: number): RawSpan[] {
  return Array.from({ length: n }, () => makeRawSpan());
}

/**
 * A database as `skein serve --forward` leaves it: LIVE has two requests
 * queued (3 + 2 spans) and one refused (4 spans); GONE, an upstream no longer
 * configured, one queued (1 span) and one refused (2 spans).
 */
async function buildDatabase(): Promise<Fixture> {
  const dbPath = join(tempDir(), 'skein.db');
  const store = new SqliteTraceStore({ path: dbPath });
  const outbox = new SqliteOutbox(store.database);
  const kill = (upstream: string, batch: RawSpan[], status: number, answer: string) => {
    const payload = encodeTraceRequest(batch, 'protobuf');
    outbox.enqueue([upstream], payload, batch.length, { nowMillis: Date.now() - 60_000 });
    const entry = outbox.dueEntries(upstream, 100).at(-1)!;
    outbox.deadLetter(entry.id, status, answer);
    return { id: outbox.listDeadLetters({ upstream, limit: 1 })[0].id, spanIds: batch.map((s) => s.spanId), payload };
  };
  const liveDead = kill(LIVE, spans(4), 400, LONG_ANSWER);
  const goneDead = kill(GONE, spans(2), 413, 'HTTP 413: request too large');
  outbox.enqueue([LIVE], encodeTraceRequest(spans(3), 'protobuf'), 3, { nowMillis: Date.now() - 90_000 });
  outbox.enqueue([LIVE], encodeTraceRequest(spans(2), 'protobuf'), 2);
  outbox.enqueue([GONE], encodeTraceRequest(spans(1), 'protobuf'), 1);
  await store.close();
  return { dbPath, db: ['--db', dbPath], liveDead, goneDead };
}

/** The outbox tables as a fresh connection sees them. */
function readTables(dbPath: string) {
  const db = new Database(dbPath, { readonly: true });
  try {
    return {
      queued: db.prepare('SELECT id, upstream, span_count AS spans, attempts, next_attempt_at AS nextAttemptAt FROM outbox ORDER BY id').all() as Array<{
        id: number;
        upstream: string;
        spans: number;
        attempts: number;
        nextAttemptAt: number;
      }>,
      deadIds: (db.prepare('SELECT id FROM outbox_dead ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id),
    };
  } finally {
    db.close();
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}

describe('skein outbox', () => {
  beforeEach(async () => {
    fx = await buildDatabase();
  });

  it('list (the default) shows each upstream queued or dead; --json gives the numbers', async () => {
    const table = await cli(['outbox', ...fx.db]);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^UPSTREAM\s+QUEUED\s+SPANS\s+BYTES\s+OLDEST\s+DEAD$/);
    expect(lines.find((l) => l.startsWith(LIVE))).toMatch(/\s2\s+5\s+[\d.]+ (B|KiB)\s+1m 3\ds\s+1$/);
    expect(lines.find((l) => l.startsWith(GONE))).toMatch(/\s1\s+1\s+[\d.]+ (B|KiB)\s+\S+\s+1$/);
    const explicit = (await cli(['outbox', 'list', ...fx.db])).stdout.split('\n');
    expect(explicit.map((l) => l.split(' ')[0])).toEqual(table.stdout.split('\n').map((l) => l.split(' ')[0]));

    const json = JSON.parse((await cli(['outbox', '--json', ...fx.db])).stdout) as { upstreams: OutboxQueue[] };
    expect(json.upstreams).toEqual([
      expect.objectContaining({ upstream: GONE, entries: 1, spans: 1, deadLetters: 1, deadSpans: 2 }),
      expect.objectContaining({ upstream: LIVE, entries: 2, spans: 5, deadLetters: 1, deadSpans: 4 }),
    ]);
    expect(json.upstreams[1].oldestEnqueuedAtMillis).toBeLessThanOrEqual(Date.now() - 90_000);
  });

  it('dead lists the dead letters newest first with the answer shortened to one line; --upstream and --limit narrow it', async () => {
    const { code, stdout } = await cli(['outbox', 'dead', ...fx.db]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\s*ID\s+UPSTREAM\s+SPANS\s+ATTEMPTS\s+FAILED\s+STATUS\s+ANSWER$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(new RegExp(`^\\s*${fx.goneDead.id}\\s+${GONE}\\s+2\\s+1\\s+\\d{4}-\\d\\d-\\d\\d .*413\\s+HTTP 413: request too large$`));
    expect(lines[2]).toContain('HTTP 400: google.rpc.Status code 3: span 7 has an invalid');
    expect(lines[2]).toMatch(/…$/);
    expect(lines[2]).not.toContain('x'.repeat(100));

    const live = await cli(['outbox', 'dead', '--upstream', LIVE, '--json', ...fx.db]);
    const parsed = JSON.parse(live.stdout) as { total: number; deadLetters: Array<{ id: number; response: string }> };
    expect(parsed.total).toBe(1);
    expect(parsed.deadLetters.map((d) => d.id)).toEqual([fx.liveDead.id]);
    expect(parsed.deadLetters[0].response).toBe(LONG_ANSWER);

    const limited = await cli(['outbox', 'dead', '--limit', '1', ...fx.db]);
    expect(limited.stdout.trimEnd().split('\n').at(-1)).toBe('1 more not shown (--limit)');
  });

  it('show prints one dead letter in full with the spans of its payload; --payload writes the protobuf', async () => {
    const file = join(tempDir(), 'dead.pb');
    const { code, stdout, stderr } = await cli(['outbox', 'show', String(fx.liveDead.id), '--payload', file, ...fx.db]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`dead letter ${fx.liveDead.id}\nupstream   ${LIVE}\n`);
    expect(stdout).toMatch(/status {5}400\n/);
    expect(stdout).toContain(`  ${'x'.repeat(200)}\n`); // the answer in full
    for (const spanId of fx.liveDead.spanIds) expect(stdout).toContain(spanId);
    expect(stdout).toContain(`wrote the payload to ${file}`);
    expect(new Uint8Array(readFileSync(file))).toEqual(new Uint8Array(fx.liveDead.payload));

    const json = JSON.parse((await cli(['outbox', 'show', String(fx.liveDead.id), '--json', ...fx.db])).stdout) as {
      response: string;
      spans: Array<{ spanId: string }>;
      payload?: unknown;
    };
    expect(json.response).toBe(LONG_ANSWER);
    expect(json.spans.map((s) => s.spanId)).toEqual(fx.liveDead.spanIds);
    expect(json.payload).toBeUndefined();
  });

  it('show with an unknown id is one line naming it, exit 1', async () => {
    const { code, stdout, stderr } = await cli(['outbox', 'show', '999', ...fx.db]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(firstLine(stderr)).toBe('skein outbox: no dead letter with id 999');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('replay <id> moves that dead letter into its queue, due now with attempts reset', async () => {
    const before = Date.now();
    const { code, stdout } = await cli(['outbox', 'replay', String(fx.liveDead.id), ...fx.db]);
    expect(code).toBe(0);
    expect(firstLine(stdout)).toBe(`replayed 1 dead letter (4 spans) into the queue for ${LIVE}: ${fx.liveDead.id}`);
    const tables = readTables(fx.dbPath);
    expect(tables.deadIds).toEqual([fx.goneDead.id]);
    const replayed = tables.queued.at(-1)!;
    expect(replayed).toMatchObject({ upstream: LIVE, spans: 4, attempts: 0 });
    expect(replayed.nextAttemptAt).toBeGreaterThanOrEqual(before);
    expect(replayed.nextAttemptAt).toBeLessThanOrEqual(Date.now());
    expect(tables.queued).toHaveLength(4);
  });

  it('replay with one unknown id moves nothing and names it', async () => {
    const { code, stderr } = await cli(['outbox', 'replay', String(fx.liveDead.id), '424242', ...fx.db]);
    expect(code).toBe(1);
    expect(firstLine(stderr)).toBe('skein outbox: no dead letter with id 424242; nothing was replayed');
    const tables = readTables(fx.dbPath);
    expect(tables.deadIds).toEqual([fx.liveDead.id, fx.goneDead.id]);
    expect(tables.queued).toHaveLength(3);
  });

  it('replay --all (--upstream) moves every dead letter (of that upstream) and prints them', async () => {
    const one = await cli(['outbox', 'replay', '--all', '--upstream', GONE, '--json', ...fx.db]);
    expect(one.code).toBe(0);
    expect((JSON.parse(one.stdout) as { replayed: Array<{ deadId: number; upstream: string }> }).replayed).toEqual([
      expect.objectContaining({ deadId: fx.goneDead.id, upstream: GONE, spanCount: 2 }),
    ]);
    expect(readTables(fx.dbPath).deadIds).toEqual([fx.liveDead.id]);

    const rest = await cli(['outbox', 'replay', '--all', ...fx.db]);
    expect(firstLine(rest.stdout)).toBe(`replayed 1 dead letter (4 spans) into the queue for ${LIVE}: ${fx.liveDead.id}`);
    const tables = readTables(fx.dbPath);
    expect(tables.deadIds).toEqual([]);
    expect(tables.queued.filter((q) => q.attempts === 0)).toHaveLength(5);

    expect((await cli(['outbox', 'replay', '--all', ...fx.db])).stdout).toBe('no dead letters to replay\n');
  });

  it('drop refuses without --yes, saying what would go; with --yes it deletes the queue (and with --dead the dead letters)', async () => {
    const refused = await cli(['outbox', 'drop', GONE, '--dead', ...fx.db]);
    expect(refused.code).toBe(1);
    expect(firstLine(refused.stderr)).toMatch(
      new RegExp(`^skein outbox: would drop 1 queued request \\(1 span, [\\d.]+ (B|KiB)\\) and 1 dead letter for ${GONE}; add --yes to drop$`),
    );
    expect(readTables(fx.dbPath).queued.filter((q) => q.upstream === GONE)).toHaveLength(1);

    const queueOnly = await cli(['outbox', 'drop', GONE, '--yes', ...fx.db]);
    expect(queueOnly.code).toBe(0);
    expect(queueOnly.stdout).toMatch(
      new RegExp(`^dropped 1 queued request \\(1 span, [\\d.]+ (B|KiB)\\) for ${GONE}; 1 dead letter kept \\(--dead drops them\\)\\n$`),
    );
    let tables = readTables(fx.dbPath);
    expect(tables.queued.map((q) => q.upstream)).toEqual([LIVE, LIVE]);
    expect(tables.deadIds).toEqual([fx.liveDead.id, fx.goneDead.id]);

    const again = await cli(['outbox', 'drop', GONE, '--yes', ...fx.db]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`nothing queued for ${GONE}; 1 dead letter kept (--dead drops them)\n`);

    const dead = await cli(['outbox', 'drop', GONE, '--dead', '--yes', ...fx.db]);
    expect(dead.stdout).toBe(`dropped 1 dead letter for ${GONE}\n`);
    tables = readTables(fx.dbPath);
    expect(tables.deadIds).toEqual([fx.liveDead.id]);
    expect(tables.queued).toHaveLength(2);

    const unknown = await cli(['outbox', 'drop', GONE, '--yes', ...fx.db]);
    expect(unknown.code).toBe(1);
    expect(firstLine(unknown.stderr)).toBe(`skein outbox: nothing queued or dead for '${GONE}' (skein outbox lists the upstreams)`);
  });

  it.each([
    [['outbox', 'purge'], "unknown subcommand 'purge' (expected list, dead, show, replay, drop)"],
    [['outbox', 'list', '--yes'], '--yes is for outbox drop, not outbox list'],
    [['outbox', 'replay'], 'missing <id…> (or --all)'],
    [['outbox', 'replay', '3', '--all'], 'give dead-letter ids or --all, not both'],
    [['outbox', 'replay', '3', '--upstream', LIVE], '--upstream goes with --all'],
    [['outbox', 'show', 'abc'], "a dead-letter id is a positive integer (skein outbox dead lists them), got 'abc'"],
    [['outbox', 'drop'], 'missing <upstream>'],
  ])('%j is one line and exit 1', async (argv, message) => {
    const { code, stdout, stderr } = await cli([...argv, ...fx.db]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(firstLine(stderr)).toBe(`skein outbox: ${message}`);
  });

  it('an empty outbox says so', async () => {
    const dbPath = join(tempDir(), 'empty.db');
    await new SqliteTraceStore({ path: dbPath }).close();
    expect((await cli(['outbox', '--db', dbPath])).stdout).toBe('nothing queued and no dead letters\n');
    expect((await cli(['outbox', 'dead', '--db', dbPath])).stdout).toBe('no dead letters\n');
  });
});

describe('skein outbox replay, end to end', () => {
  const collectors: RunningCollector[] = [];
  afterEach(async () => {
    await Promise.all(collectors.splice(0).map((c) => c.close()));
  });

  async function send(url: string, count: number): Promise<string[]> {
    const batch = spans(count);
    const res = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeTraceRequest(batch, 'protobuf'),
    });
    expect(res.status).toBe(200);
    return batch.map((s) => s.spanId);
  }

  it('a request refused with 400 is delivered exactly once by the next collector after replay --all', async () => {
    let refuse = true;
    const upstream = await startUpstream(() =>
      refuse
        ? { status: 400, headers: { 'content-type': 'application/x-protobuf' }, body: encodeStatus('protobuf', 3, 'tenant not provisioned') }
        : { status: 200 },
    );
    const dbPath = join(tempDir(), 'skein.db');
    const first = await startCollector({ dbPath, port: 0, forward: [{ url: upstream.url }] });
    collectors.push(first);
    const refused = await send(first.url, 3);
    await expect.poll(() => first.outbox.deadLetters().length).toBe(1);
    await first.close();

    const listed = await cli(['outbox', 'dead', '--db', dbPath]);
    expect(listed.stdout).toContain('tenant not provisioned');

    refuse = false; // the upstream is fixed
    const replay = await cli(['outbox', 'replay', '--all', '--db', dbPath]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(firstLine(replay.stdout)).toMatch(new RegExp(`^replayed 1 dead letter \\(3 spans\\) into the queue for ${upstream.url}: \\d+$`));

    const second = await startCollector({ dbPath, port: 0, forward: [{ url: upstream.url }] });
    collectors.push(second);
    await upstream.waitFor(() => upstream.acceptedSpanIds().length >= refused.length);
    const later = await send(second.url, 2);
    await upstream.waitFor(() => upstream.acceptedSpanIds().length >= refused.length + later.length);
    await second.close();

    const counts = countIds(upstream.acceptedSpanIds());
    expect([...counts.keys()].sort()).toEqual([...refused, ...later].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(upstream.requests.map((r) => r.status)).toEqual([400, 200, 200]);
    expect(readTables(dbPath)).toEqual({ queued: [], deadIds: [] });
  });

  it('a running collector delivers replayed entries when it next reads its queue, and its depth stays true', async () => {
    let refuse = true;
    const upstream = await startUpstream(() => (refuse ? { status: 400 } : { status: 200 }));
    const dbPath = join(tempDir(), 'skein.db');
    const collector = await startCollector({ dbPath, port: 0, forward: [{ url: upstream.url }] });
    collectors.push(collector);
    const refused = await send(collector.url, 2);
    await expect.poll(() => collector.outbox.deadLetters().length).toBe(1);

    refuse = false;
    expect((await cli(['outbox', 'replay', '--all', '--db', dbPath])).code).toBe(0);
    const later = await send(collector.url, 1);
    await upstream.waitFor(() => upstream.acceptedSpanIds().length >= refused.length + later.length);
    // The replayed entry was queued by another process: delivering it must not leave the depth below zero.
    await expect.poll(() => collector.outbox.queuedBytes(upstream.url)).toBe(0);
    expect(collector.outbox.depth()).toEqual([]);
    await collector.close();

    const counts = countIds(upstream.acceptedSpanIds());
    expect([...counts.keys()].sort()).toEqual([...refused, ...later].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(readTables(dbPath)).toEqual({ queued: [], deadIds: [] });
  });

  it('a running collector finds a queue dropped by skein outbox empty, and its depth follows', async () => {
    const probe = await startUpstream();
    await probe.close();
    const dbPath = join(tempDir(), 'skein.db');
    const collector = await startCollector({ dbPath, port: 0, forward: [{ url: probe.url }] });
    collectors.push(collector);
    await send(collector.url, 2);
    expect(collector.outbox.queuedBytes(probe.url)).toBeGreaterThan(0);
    expect((await cli(['outbox', 'drop', probe.url, '--yes', '--db', dbPath])).code).toBe(0);
    // The forwarder looks again after its backoff and finds nothing due.
    await expect.poll(() => collector.outbox.queuedBytes(probe.url), { timeout: 10_000 }).toBe(0);
  });
});
