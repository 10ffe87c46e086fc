import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SchemaVersionError, SessionNotFoundError, StoreError } from '../../src/store/errors.js';
import { SCHEMA_VERSION, SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { downgradeTo } from './schema-downgrade.js';
import { BASE_TIME_UNIX_NANO, SECOND, makeLlmRecord, makeRecord, newTraceId, opened } from '../helpers/records.js';
import { makeFullRecord, runTraceStoreContract } from './contract.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'skein-store-'));
}

runTraceStoreContract('SqliteTraceStore (file)', async () => {
  const dir = tempDir();
  const store = new SqliteTraceStore({ path: join(dir, 'traces.db') });
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

runTraceStoreContract('SqliteTraceStore (:memory:)', async () => {
  const store = new SqliteTraceStore({ path: ':memory:' });
  return { store, cleanup: () => store.close() };
});

describe('SqliteTraceStore', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = tempDir();
    path = join(dir, 'traces.db');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('opening', () => {
    it('uses WAL, a busy timeout and STRICT tables, and keeps data across reopen', async () => {
      const store = new SqliteTraceStore({ path, busyTimeoutMillis: 1234 });
      const record = makeFullRecord();
      store.writeSync([record]);
      expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(store.database.pragma('busy_timeout', { simple: true })).toBe(1234);
      expect(store.database.pragma('synchronous', { simple: true })).toBe(1);
      const strict = store.database
        .prepare("SELECT count(*) AS n FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND strict = 0 AND name NOT LIKE 'sqlite_%'")
        .get() as { n: number };
      expect(strict.n).toBe(0);
      await store.close();

      const again = new SqliteTraceStore({ path });
      const [stored] = (await again.getSpans({ traceId: record.traceId })).items;
      expect(stored).toStrictEqual({ ...record, resolvedSessionId: 'full-session', interrupted: false });
      await again.close();
    });

    it('records the schema version in the database', async () => {
      const store = new SqliteTraceStore({ path });
      await store.close();
      const db = new Database(path);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      db.close();
    });

    it('refuses a database from a newer Skein, naming the file and both versions', async () => {
      const store = new SqliteTraceStore({ path });
      await store.close();
      const db = new Database(path);
      db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
      db.close();

      const error = (() => {
        try {
          new SqliteTraceStore({ path });
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(SchemaVersionError);
      const schemaError = error as SchemaVersionError;
      expect(schemaError.message).toContain(path);
      expect(schemaError.message).toContain(String(SCHEMA_VERSION + 5));
      expect(schemaError.message).toContain(String(SCHEMA_VERSION));
      expect(schemaError.file).toBe(path);
      expect(schemaError.foundVersion).toBe(SCHEMA_VERSION + 5);
      expect(schemaError.supportedVersion).toBe(SCHEMA_VERSION);
      // Refusing did not touch it.
      const check = new Database(path);
      expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 5);
      check.close();
    });

    it('upgrades a version 4 database: the sessions list carries each session\'s models, most calls first', async () => {
      const store = new SqliteTraceStore({ path });
      const traceId = newTraceId();
      store.writeSync([
        makeLlmRecord({ traceId, sessionId: 'mixed', responseModel: 'small' }),
        makeLlmRecord({ traceId, sessionId: 'mixed', responseModel: 'big' }),
        makeLlmRecord({ traceId, sessionId: 'mixed', responseModel: 'big' }),
        makeLlmRecord({ sessionId: 'single', responseModel: 'only' }),
        makeRecord({ sessionId: 'no-calls' }),
      ]);
      await store.close();
      // What a version 4 file looks like: no models column (nor anything later).
      const db = new Database(path);
      downgradeTo(db, 4);
      db.close();

      const upgraded = new SqliteTraceStore({ path });
      const models = async () =>
        Object.fromEntries((await upgraded.listSessions()).items.map((s) => [s.sessionId, s.models]));
      expect(await models()).toStrictEqual({ mixed: ['big', 'small'], single: ['only'], 'no-calls': [] });
      // Kept by later writes: 'small' overtakes 'big'.
      upgraded.writeSync([1, 2].map(() => makeLlmRecord({ traceId, sessionId: 'mixed', responseModel: 'small' })));
      expect((await models()).mixed).toStrictEqual(['small', 'big']);
      expect((await upgraded.getSession('mixed')).models).toStrictEqual(['small', 'big']);
      expect(upgraded.database.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      await upgraded.close();
    });

    it('refuses a file that is not a SQLite database', () => {
      writeFileSync(path, 'this is a text file, not a database at all. '.repeat(100));
      expect(() => new SqliteTraceStore({ path })).toThrow(SchemaVersionError);
      expect(() => new SqliteTraceStore({ path })).toThrow(path);
    });

    it("refuses another application's SQLite database and leaves it alone", () => {
      const db = new Database(path);
      db.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)');
      db.close();
      expect(() => new SqliteTraceStore({ path })).toThrow(/not a Skein database/);
      const check = new Database(path);
      expect(check.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all()).toStrictEqual(['invoices']);
      check.close();
    });

    it('opens read-only for reads and refuses writes', async () => {
      const writer = new SqliteTraceStore({ path });
      writer.writeSync([makeRecord({ sessionId: 'ro' })]);
      const reader = new SqliteTraceStore({ path, readonly: true });
      expect((await reader.getSession('ro')).spanCount).toBe(1);
      expect(() => reader.writeSync([makeRecord()])).toThrow(StoreError);
      await expect(reader.applyRetention()).rejects.toBeInstanceOf(StoreError);
      await reader.close();
      await writer.close();
    });

    it('refuses use after close', async () => {
      const store = new SqliteTraceStore({ path });
      await store.close();
      expect(() => store.writeSync([makeRecord()])).toThrow(/closed/);
      await expect(store.getSession('x')).rejects.toBeInstanceOf(StoreError);
    });
  });

  describe('storage', () => {
    it('stores a resource and scope shared by many spans once', async () => {
      const store = new SqliteTraceStore({ path });
      const traceId = newTraceId();
      const base = makeRecord();
      // Equal content in distinct objects, as from separate OTLP requests.
      store.writeSync(Array.from({ length: 50 }, () => makeRecord({ traceId, raw: { resource: structuredClone(base.raw.resource) } })));
      store.writeSync(Array.from({ length: 50 }, () => makeRecord({ traceId })));
      const count = store.database.prepare('SELECT count(*) FROM resources').pluck().get();
      expect(count).toBe(2);
      expect((await store.getSpans({ traceId, limit: 1000 })).items.every((s) => s.raw.resource.attributes['service.name'] === 'test-service')).toBe(true);
      await store.close();
    });

    it('rolls back spans and rollups together when a transaction fails', async () => {
      const store = new SqliteTraceStore({ path });
      expect(() =>
        store.transaction(() => {
          store.writeSync([makeLlmRecord({ sessionId: 'rolled-back' })]);
          throw new Error('outbox full');
        }),
      ).toThrow('outbox full');
      await expect(store.getSession('rolled-back')).rejects.toBeInstanceOf(SessionNotFoundError);
      expect((await store.listSessions()).items).toStrictEqual([]);
      expect((await store.getSpans({})).items).toStrictEqual([]);
      await store.close();
    });

    it('keeps rollups equal to the sum of the spans whatever the batching, duplicates, late keys and order', async () => {
      const store = new SqliteTraceStore({ path });
      // A deterministic pseudo-random workload.
      let seed = 42;
      const rand = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const traces = Array.from({ length: 8 }, () => newTraceId());
      const records = Array.from({ length: 400 }, () => {
        const traceId = traces[rand(traces.length)];
        const llm = rand(3) !== 0;
        const make = llm ? makeLlmRecord : makeRecord;
        return make({
          traceId,
          sessionId: rand(12) === 0 ? `sess-${rand(3)}` : null,
          startTimeUnixNano: BASE_TIME_UNIX_NANO + BigInt(rand(400)) * SECOND,
          endTimeUnixNano: BASE_TIME_UNIX_NANO + BigInt(400 + rand(400)) * SECOND,
          usage: llm ? { input: rand(1000), output: rand(100) } : {},
          cost: llm ? { usd: rand(8) / 4, source: 'supplied' } : null,
          responseModel: llm ? `m${rand(3)}` : null,
          isError: rand(20) === 0,
          agentName: rand(30) === 0 ? `agent-${rand(2)}` : null,
        });
      });
      // Every span opened, then ended, with some starts and ends repeated; 20 spans never end.
      const neverEnded = new Set(records.slice(0, 20));
      const writes = [
        ...records.map(opened),
        ...records.filter((r) => !neverEnded.has(r)),
        ...records.slice(30, 80).map(opened),
        ...records.slice(100, 150),
      ];
      while (writes.length > 0) store.writeSync(writes.splice(rand(writes.length), 1 + rand(25)));

      const sessions = (await store.listSessions({ limit: 1000 })).items;
      const spans = (await store.getSpans({ limit: 1000 })).items;
      expect(spans).toHaveLength(400);
      expect(new Set(spans.map((s) => s.resolvedSessionId))).toStrictEqual(new Set(sessions.map((s) => s.sessionId)));
      for (const session of sessions) {
        const mine = spans.filter((s) => s.resolvedSessionId === session.sessionId);
        const calls = mine.filter((s) => s.stepType === 'llm');
        const open = mine.filter((s) => s.endTimeUnixNano === null);
        const min = (xs: bigint[]) => xs.reduce((a, b) => (b < a ? b : a));
        const max = (xs: bigint[]) => xs.reduce((a, b) => (b > a ? b : a));
        expect(session.spanCount).toBe(mine.length);
        expect(session.llmCallCount).toBe(calls.length);
        expect(session.errorCount).toBe(mine.filter((s) => s.isError).length);
        expect(session.openCount).toBe(open.length);
        expect(session.tokens.input).toBe(calls.reduce((a, s) => a + (s.usage.input ?? 0), 0));
        expect(session.tokens.output).toBe(calls.reduce((a, s) => a + (s.usage.output ?? 0), 0));
        expect(session.costUsd).toBe(calls.reduce((a, s) => a + (s.cost?.usd ?? 0), 0));
        expect(session.firstStartUnixNano).toBe(min(mine.map((s) => s.startTimeUnixNano)));
        const ends = mine.flatMap((s) => (s.endTimeUnixNano === null ? [] : [s.endTimeUnixNano]));
        expect(session.lastEndUnixNano).toBe(open.length > 0 ? null : max(ends));
        expect(session.traceIds).toStrictEqual([...new Set(mine.map((s) => s.traceId))].sort());
        expect([...session.models].sort()).toStrictEqual([...new Set(calls.map((s) => s.responseModel))].sort());
        const named = mine.filter((s) => s.agentName !== null).sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
        if (named.length > 0 && named[0].startTimeUnixNano !== named[1]?.startTimeUnixNano) {
          expect(session.agentName).toBe(named[0].agentName);
        }
        if (named.length === 0) expect(session.agentName).toBeNull();
        expect(session.status).toBe(open.length > 0 ? 'running' : session.status);
        const models = await store.getSessionModels(session.sessionId);
        for (const m of models) {
          const mineCalls = calls.filter((s) => s.responseModel === m.model);
          expect(m.calls).toBe(mineCalls.length);
          expect(m.tokens.input).toBe(mineCalls.reduce((a, s) => a + (s.usage.input ?? 0), 0));
        }
      }
      await store.close();
    });

    it('keeps a per-model breakdown of each session', async () => {
      const store = new SqliteTraceStore({ path });
      const traceId = newTraceId();
      store.writeSync([
        makeLlmRecord({ traceId, sessionId: 'models', usage: { input: 10, output: 1 }, cost: { usd: 0.5, source: 'supplied' } }),
        makeLlmRecord({ traceId, usage: { input: 20, output: 2 }, cost: { usd: 0.25, source: 'computed' } }),
        makeLlmRecord({ traceId, responseModel: 'small', usage: { input: 5, cacheRead: 4 }, cost: null, unpriced: true }),
      ]);
      expect(await store.getSessionModels('models')).toStrictEqual([
        { model: 'gpt-4o-2024-08-06', calls: 2, tokens: { input: 30, output: 3, reasoning: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: 0.75 },
        { model: 'small', calls: 1, tokens: { input: 5, output: 0, reasoning: 0, cacheRead: 4, cacheWrite: 0 }, costUsd: 0 },
      ]);
      await expect(store.getSessionModels('missing')).rejects.toThrow(/not found/);
      await store.close();
    });
  });

  describe('writers and interrupted steps', () => {
    it('marks the open steps of a silent writer interrupted, and lets their end still complete them', async () => {
      const a = new SqliteTraceStore({ path });
      const b = new SqliteTraceStore({ path });
      const record = makeRecord({ sessionId: 'silent' });
      a.writeSync([opened(record)]);
      expect(b.markInterrupted({ silentForMillis: 60_000 })).toBe(0);
      await new Promise((r) => setTimeout(r, 5));
      expect(b.markInterrupted({ silentForMillis: 1 })).toBe(1);
      const session = await b.getSession('silent');
      expect(session.status).toBe('interrupted');
      expect(session.interruptedCount).toBe(1);
      expect(session.openCount).toBe(0);
      const [step] = await b.getTimeline('silent');
      expect(step).toMatchObject({ interrupted: true, open: false, endTimeUnixNano: null });

      a.writeSync([record]);
      expect((await b.getSession('silent')).status).toBe('completed');
      await a.close();
      await b.close();
    });

    it('marks its own open steps interrupted on close', async () => {
      const store = new SqliteTraceStore({ path });
      store.writeSync([opened(makeRecord({ sessionId: 'closing' })), makeRecord({ sessionId: 'closing' })]);
      await store.close();
      const again = new SqliteTraceStore({ path });
      const session = await again.getSession('closing');
      expect(session.status).toBe('interrupted');
      expect(session.spanCount).toBe(2);
      expect(again.database.prepare('SELECT count(*) FROM writers').pluck().get()).toBe(1);
      await again.close();
    });
  });
});
