/**
 * `skein migrate --from file.db --to postgres://…` (issue 18) against a real
 * PostgreSQL server: a SQLite file written through the real ingest paths
 * (the OTel SDK with SkeinSpanProcessor, a collector fed the captures of
 * real coding agents with budgets and an upstream that never answers, and
 * the commit `skein import` uses, for more than a page of every signal) is
 * copied with no tuning options, and every read the PostgreSQL store answers
 * is compared with the SQLite store's.
 */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import { createIngestCommit } from '../../src/ingest/ingest-commit.js';
import { createIngest, resolveIngestSettings } from '../../src/ingest/ingest-settings.js';
import type { StoredLogRecord } from '../../src/model/log-types.js';
import type { StoredMetricPoint } from '../../src/model/metric-types.js';
import type { Page, SearchHit } from '../../src/model/query.js';
import type { RawSpan, SessionSummary, StoredSpan } from '../../src/model/types.js';
import { countSqliteContents, rawLogOf, spanRecordOf } from '../../src/store/copy-to-postgres.js';
import type { SourceCounts } from '../../src/store/copy-to-postgres.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { SCHEMA_VERSION, SqliteTraceStore } from '../../src/store/sqlite/index.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import { AGENT_FIXTURES_DIR, replayScenario } from '../fixtures/agents/replay.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { makeLlmRecord } from '../helpers/records.js';
import { seedStore, tempDir } from '../server/query-api/seed.js';
import type { Seeded } from '../server/query-api/seed.js';
import { everyMetricType, makeLog } from '../store/signal-records.js';
import { cli } from './run.js';

const SCENARIOS = [
  'claude-code/beta-traces',
  'claude-code/subagent',
  'claude-code/default-grpc',
  'codex/exec-http-binary',
  'gemini-cli/http-json',
  'sdk-otel-openai/chat-content',
];
const BULK_TRACES = 40;
const SPANS_PER_TRACE = 30;
const BULK_LOGS = 1_100;
const BASE = 1_760_000_000_000_000_000n;

const server = usePostgres();
let seeded: Seeded;
let counts: SourceCounts;

/** More than a page of spans and log records, through the commit `skein import` uses. */
function writeBulk(path: string): void {
  const store = new SqliteTraceStore({ path });
  try {
    const commit = createIngestCommit({ store, ingest: createIngest(resolveIngestSettings({})) });
    const traceIds: string[] = [];
    for (let t = 0; t < BULK_TRACES; t++) {
      const root = makeRawSpan({ name: 'invoke_agent bulk', startTimeUnixNano: BASE + BigInt(t) * 10_000_000_000n });
      traceIds.push(root.traceId);
      // Only the root names the session, and it arrives last (as a collector sees it): its children follow it.
      root.attributes = { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.conversation.id': `bulk-${t % 7}` };
      const children: RawSpan[] = [];
      for (let i = 1; i < SPANS_PER_TRACE; i++) {
        const start = root.startTimeUnixNano + BigInt(i) * 100_000_000n;
        const attributes: RawSpan['attributes'] = { ...makeRawSpan().attributes, 'gen_ai.usage.input_tokens': 100 + i };
        attributes['gen_ai.output.text'] = `bulk answer ${t}-${i}`;
        delete attributes['gen_ai.conversation.id'];
        children.push(makeRawSpan({ traceId: root.traceId, parentSpanId: root.spanId, startTimeUnixNano: start, endTimeUnixNano: start + 50_000_000n, attributes }));
      }
      commit({ spans: [...children, root], logs: [], metrics: [] });
    }
    const logs = Array.from({ length: BULK_LOGS }, (_, i) =>
      makeLog({ traceId: traceIds[i % BULK_TRACES], timeUnixNano: BASE + BigInt(i) * 1_000_000n, body: `bulk log ${i}` }),
    );
    // The same record twice (OTLP gives records no identity), and records with neither time nor observed time.
    logs.push(makeLog({ timeUnixNano: BASE, body: 'twice' }), makeLog({ timeUnixNano: BASE, body: 'twice' }));
    const twin = makeLog({ body: 'twin' });
    logs.push(twin, { ...twin });
    logs.push(makeLog({ timeUnixNano: 0n, observedTimeUnixNano: 0n, body: 'timeless' }));
    commit({ spans: [], logs, metrics: everyMetricType('bulk-0') });
  } finally {
    store.closeSync();
  }
}

beforeAll(async () => {
  seeded = await seedStore();
  const collector = await startCollector({
    dbPath: seeded.dbPath,
    port: 0,
    grpcPort: 0,
    budgets: { session: { maxTokens: 1_000 } },
    // Nothing listens there: every payload stays queued in the file's outbox.
    forward: [{ url: 'http://127.0.0.1:9' }],
    forwardBackoffMillis: { initial: 60_000, max: 60_000 },
  });
  try {
    for (const scenario of SCENARIOS) {
      const answers = await replayScenario(join(AGENT_FIXTURES_DIR, scenario), { httpUrl: collector.url, grpcPort: collector.grpcPort });
      expect(answers.every((a) => a.httpStatus === 200)).toBe(true);
    }
  } finally {
    await collector.close();
  }
  writeBulk(seeded.dbPath);
  const store = new SqliteTraceStore({ path: seeded.dbPath, readonly: true });
  try {
    counts = countSqliteContents(store);
  } finally {
    store.closeSync();
  }
});

afterAll(() => {
  seeded?.cleanup();
});

async function allPages<T>(read: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}

const byKey = <T>(key: (item: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
const withoutId = <T extends { id: number }>(item: T): Omit<T, 'id'> => {
  const copy: Partial<T> = { ...item };
  delete copy.id;
  return copy as Omit<T, 'id'>;
};
/**
 * Costs are float sums: each store adds them in its own order (PostgreSQL's sum() in whatever order it reads
 * rows, even in one database before and after rows are rewritten), so they agree to a few ulps, not bit for bit.
 */
function floatsRounded(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) || !Number.isFinite(value) ? value : Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map(floatsRounded);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, floatsRounded(item)]));
}
/** A search hit less its snippet: each backend cuts the text around the match its own way. */
const hitOf = ({ snippet, ...hit }: SearchHit): Omit<SearchHit, 'snippet'> & { marked: boolean } => ({ ...hit, marked: snippet.includes('[[') });
const text = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

/** Everything a reader can ask either store, in a form equal across stores (row ids aside). */
async function readAll(store: TraceStore): Promise<Record<string, unknown>> {
  const sessions = await allPages<SessionSummary>((cursor) => store.listSessions({ includeInternal: true, sort: 'oldest', limit: 1000, cursor }));
  const timelines: Record<string, unknown> = {};
  for (const session of sessions) {
    timelines[session.sessionId] = {
      timeline: await store.getTimeline(session.sessionId, { includeInternal: true }),
      tree: await store.getTree(session.sessionId),
      summary: await store.getSession(session.sessionId),
    };
  }
  const spans = await allPages<StoredSpan>((cursor) => store.getSpans({ limit: 1000, cursor }));
  const logs = await allPages<StoredLogRecord>((cursor) => store.listLogs({ limit: 1000, cursor }));
  const points = await allPages<StoredMetricPoint>((cursor) => store.listMetricPoints({ limit: 1000, cursor }));
  return floatsRounded({
    sessions,
    timelines,
    spans: spans.sort(byKey((s) => `${s.traceId}/${s.spanId}`)),
    // Row ids differ between stores; a record with no time is ordered by when it was stored: compared as sets.
    logs: logs.map(withoutId).sort(byKey(text)),
    points: points.map(withoutId).sort(byKey(text)),
    // Hits come newest stored first: the order the copy wrote them in, not always the order the file got them.
    searchParis: (await store.search({ text: 'Paris' })).map(hitOf).sort(byKey(text)),
    searchZebra: (await store.search({ text: 'zebra' })).map(hitOf).sort(byKey(text)),
    searchFrance: (await store.search({ text: 'France', limit: 100 })).map(hitOf).sort(byKey(text)),
    statsByModel: await store.stats({ groupBy: 'model' }),
    statsByAgent: await store.stats({ groupBy: 'agent' }),
  }) as Record<string, unknown>;
}

async function readSqlite(): Promise<Record<string, unknown>> {
  const store = new SqliteTraceStore({ path: seeded.dbPath, readonly: true });
  try {
    return await readAll(store);
  } finally {
    await store.close();
  }
}

async function readPostgres(url: string): Promise<Record<string, unknown>> {
  const store = await PostgresTraceStore.open({ url, readonly: true });
  try {
    return await readAll(store);
  } finally {
    await store.close();
  }
}

const n = (count: number): string => count.toLocaleString('en-US');

describe('skein migrate --from <file> --to <postgres-url>', () => {
  it('copies every span, session, log record and metric point: every read answers as the file did', async () => {
    expect(counts.spans).toBeGreaterThan(BULK_TRACES * SPANS_PER_TRACE);
    expect(counts.logRecords).toBeGreaterThan(BULK_LOGS);
    expect(counts.outboxEntries).toBeGreaterThan(0);
    expect(counts.budgetCrossings).toBeGreaterThan(0);
    const url = await server.createDatabase();
    const redacted = url.replace(/:[^:@/]+@/, ':***@');
    const result = await cli(['migrate', '--from', seeded.dbPath, '--to', url]);
    expect(result.stderr).not.toContain('unexpected');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `migrated ${n(counts.spans)} spans, ${n(counts.sessions)} sessions, ${n(counts.logRecords)} log records, ` +
        `${n(counts.metricPoints)} metric points from ${seeded.dbPath} to ${redacted}\n`,
    );
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe(`copying spans: 0 of ${n(counts.spans)} (0%)`);
    // Off a terminal, a line each tenth of the way at most.
    const spanLines = lines.filter((line) => line.startsWith('copying spans: '));
    expect(spanLines.length).toBeGreaterThan(2);
    expect(spanLines.length).toBeLessThanOrEqual(11);
    expect(lines).toContain(`copying spans: ${n(counts.spans)} of ${n(counts.spans)} (100%)`);
    expect(lines).toContain(`copying log records: ${n(counts.logRecords)} of ${n(counts.logRecords)} (100%)`);
    expect(lines).toContain(`copying metric points: ${n(counts.metricPoints)} of ${n(counts.metricPoints)} (100%)`);
    expect(lines.filter((line) => line.startsWith('skein migrate: not copied: '))).toEqual([
      `skein migrate: not copied: ${n(counts.outboxEntries)} outbox entries (queued by the collector that wrote ${seeded.dbPath}, ` +
        `for its upstreams: forward or drop them with \`skein outbox --db ${seeded.dbPath}\`)`,
      `skein migrate: not copied: ${n(counts.budgetCrossings)} budget crossings of the ledger (the PostgreSQL store cannot take ` +
        'recorded crossings; the crossing steps keep their budget events)',
    ]);
    expect(result.stderr).not.toContain(`:${'skein'}@`);

    const [sqlite, postgres] = [await readSqlite(), await readPostgres(url)];
    // A metric's metadata is kept, though no reader shows it: read from the table.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ header: string }>("SELECT header FROM metric_points WHERE name = 'm.gauge.int'");
      expect(rows.map((row) => JSON.parse(row.header) as { metadata: unknown })).toEqual([expect.objectContaining({ metadata: { origin: 'sdk' } })]);
    } finally {
      await client.end();
    }
    expect((sqlite.sessions as SessionSummary[]).length).toBe(counts.sessions);
    expect((sqlite.spans as StoredSpan[]).some((span) => span.interrupted)).toBe(true);
    expect((sqlite.searchParis as unknown[]).length).toBeGreaterThan(0);
    expect((sqlite.searchFrance as unknown[]).length).toBeGreaterThan(0);
    expect((sqlite.searchFrance as unknown[]).length).toBeLessThan(100);
    for (const key of Object.keys(sqlite)) expect({ [key]: postgres[key] }).toEqual({ [key]: sqlite[key] });
  });

  it('adds nothing when run again, and finishes a copy that stopped half way', async () => {
    const url = await server.createDatabase();
    // A run that stopped after some spans and half the log records (written in the order the copy writes them).
    const source = new SqliteTraceStore({ path: seeded.dbPath, readonly: true });
    const partial = await PostgresTraceStore.open({ url });
    try {
      const spans = await source.getSpans({ limit: 1000 });
      await partial.write(spans.items.slice(0, 300).map(spanRecordOf).reverse());
      const logs = await source.listLogs({ limit: 600 });
      await partial.writeLogs(logs.items.map(rawLogOf));
    } finally {
      await partial.close();
      await source.close();
    }
    const resumed = await cli(['migrate', '--from', seeded.dbPath, '--to', url, '--json']);
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      spans: counts.spans,
      sessions: counts.sessions,
      // The record with no time is left out: the target held log records before the run.
      logRecords: { written: counts.logRecords - 600 - 1, alreadyThere: 600, timelessSkipped: 1 },
      metricPoints: { written: counts.metricPoints, alreadyThere: 0 },
      notCopied: { outboxEntries: counts.outboxEntries, budgetCrossings: counts.budgetCrossings },
    });
    expect(resumed.stderr).toContain('not copied: 1 log record with neither time nor observed time');

    const again = await cli(['migrate', '--from', seeded.dbPath, '--to', url]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      `(${n(counts.logRecords - 1)} log records and ${n(counts.metricPoints)} metric points already there, not written again)`,
    );
    const [sqlite, postgres] = [await readSqlite(), await readPostgres(url)];
    // Everything but the one timeless record, exactly once.
    const timeless = (record: StoredLogRecord): boolean => record.body === 'timeless';
    expect((postgres.logs as StoredLogRecord[]).length).toBe(counts.logRecords - 1);
    expect({ ...postgres, logs: null }).toEqual({ ...sqlite, logs: null });
    expect(postgres.logs).toEqual((sqlite.logs as StoredLogRecord[]).filter((record) => !timeless(record)));
  });

  it('run twice into an empty database: the second run writes nothing and the database is the same', async () => {
    const url = await server.createDatabase();
    const first = await cli(['migrate', '--from', seeded.dbPath, '--to', url, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ logRecords: { written: counts.logRecords, alreadyThere: 0, timelessSkipped: 0 } });
    const before = await readPostgres(url);
    const second = await cli(['migrate', '--from', seeded.dbPath, '--to', url, '--json'], { tty: true });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      spans: counts.spans,
      logRecords: { written: 0, alreadyThere: counts.logRecords - 1, timelessSkipped: 1 },
      metricPoints: { written: 0, alreadyThere: counts.metricPoints },
    });
    // At a terminal the progress line is rewritten in place, and ended with one newline.
    const progress = second.stderr.split('skein migrate: not copied')[0];
    expect(progress.startsWith('\r\x1b[2Kcopying spans: 0 of')).toBe(true);
    expect(progress.split('\n')).toEqual([expect.stringContaining(`copying metric points: ${n(counts.metricPoints)} of`), '']);
    expect(await readPostgres(url)).toEqual(before);
  });

  it('warns when a process still writes the file, and a run after it stopped copies what it wrote since', async () => {
    const { dir, cleanup } = tempDir('skein-migrate-live-');
    const path = join(dir, 'live.db');
    const url = await server.createDatabase();
    const live = new SqliteTraceStore({ path });
    try {
      live.writeSync([makeLlmRecord({ sessionId: 'live-session' })]);
      const during = await cli(['migrate', '--from', path, '--to', url]);
      expect(during.code).toBe(0);
      expect(during.stderr).toContain(
        `skein migrate: warning: process ${process.pid} has ${path} open for writing: what is written during the copy may be missed; ` +
          'run this again once stopped (nothing is copied twice)\n',
      );
      live.writeSync([makeLlmRecord({ sessionId: 'live-session' })]);
    } finally {
      live.closeSync();
    }
    try {
      const after = await cli(['migrate', '--from', path, '--to', url]);
      expect(after.code).toBe(0);
      expect(after.stderr).not.toContain('warning');
      const store = await PostgresTraceStore.open({ url, readonly: true });
      try {
        expect((await store.getSession('live-session')).llmCallCount).toBe(2);
      } finally {
        await store.close();
      }
    } finally {
      cleanup();
    }
  });

  it('names an unreachable server in one line, without its password', async () => {
    const result = await cli(['migrate', '--from', seeded.dbPath, '--to', 'postgres://skein:hunter2@127.0.0.1:1/skein_prod']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^skein migrate: cannot open the database postgres:\/\/skein:\*\*\*@127\.0\.0\.1:1\/skein_prod: .+\n$/);
    expect(result.stderr).not.toContain('hunter2');
  });

  it('refuses a missing file, an older or newer file, and a half-given or wrong copy, each in one line', async () => {
    const { dir, cleanup } = tempDir('skein-migrate-pg-');
    try {
      const url = await server.createDatabase();
      const missing = join(dir, 'missing.db');
      const gone = await cli(['migrate', '--from', missing, '--to', url]);
      expect(gone).toEqual({ code: 1, stdout: '', stderr: `skein migrate: cannot open the database ${missing}: there is no database file there\n` });

      const newer = join(dir, 'newer.db');
      new SqliteTraceStore({ path: newer }).closeSync();
      const db = new Database(newer);
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      db.close();
      const refused = await cli(['migrate', '--from', newer, '--to', url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(
        `skein migrate: ${newer} has Skein schema version ${SCHEMA_VERSION + 1}, newer than version ${SCHEMA_VERSION} that this Skein supports; upgrade Skein to open it\n`,
      );

      const older = join(dir, 'older.db');
      new SqliteTraceStore({ path: older }).closeSync();
      const oldDb = new Database(older);
      oldDb.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
      oldDb.close();
      const old = await cli(['migrate', '--from', older, '--to', url]);
      expect(old.code).toBe(1);
      expect(old.stderr).toBe(
        `skein migrate: ${older} has schema version ${SCHEMA_VERSION - 1}, older than ${SCHEMA_VERSION}: upgrade it first with \`skein migrate --db ${older}\`\n`,
      );

      const noTo = await cli(['migrate', '--from', seeded.dbPath]);
      expect(noTo.code).toBe(1);
      expect(noTo.stderr).toMatch(/^skein migrate: --from needs --to <postgres-url>: where to copy it\nUsage: skein migrate/);
      const noFrom = await cli(['migrate', '--to', url]);
      expect(noFrom.code).toBe(1);
      expect(noFrom.stderr).toMatch(/^skein migrate: --to needs --from <file.db>: the database file to copy\nUsage: skein migrate/);
      const notPg = await cli(['migrate', '--from', seeded.dbPath, '--to', 'mysql://x']);
      expect(notPg.code).toBe(1);
      expect(notPg.stderr).toMatch(/^skein migrate: --to expects a postgres:\/\/ or postgresql:\/\/ URL, got 'mysql:\/\/x'\n/);

      // Nothing was written into the database by any of them.
      const store = await PostgresTraceStore.open({ url });
      try {
        expect((await store.getSpans({ limit: 1 })).items).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
