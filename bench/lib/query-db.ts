/**
 * The 1M-span database for bench/queries.ts, generated once and cached under
 * bench/.data/ (gitignored). Built on the store's own schema (its migrations)
 * with the rows its writer would write (`spanInsertRow`) and session rollups
 * from its own `SessionRollup.recompute`, so the queries timed are the real
 * ones; only the path in is shortened: plain inserts in large transactions,
 * with the full-text index built once at the end instead of row by row
 * (the store's writer adds each span's full-text row itself; only the delete
 * trigger of migration 001 is dropped and restored around the build).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { createNormalizer } from '../../src/model/normalize.js';
import type { SpanRecord } from '../../src/model/types.js';
import { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { SessionRollup } from '../../src/store/sqlite/session-rollup.js';
import { SPAN_COLUMNS, encodeResource, encodeScope, spanInsertRow, spanValues } from '../../src/store/sqlite/span-row.js';
import { reseed, session } from './agent-workload.js';

export interface QueryDbShape {
  sessions: number;
  spansPerSession: number;
  /** Sessions start evenly over this many days (default retention keeps 30). */
  days: number;
}

export const BASE_NS = 1_763_700_000_000_000_000n;
const DAY_NS = 86_400_000_000_000n;
/** Bump when the generated data or the schema changes: a cached file of another version is rebuilt. */
const GENERATOR_VERSION = 3;
/** Distinct generated sessions the database is made of (see build). */
const TEMPLATES = 250;

export function queryDbVersion(shape: QueryDbShape, schemaVersion: string): string {
  return `${GENERATOR_VERSION}:${shape.sessions}x${shape.spansPerSession}/${shape.days}d:${schemaVersion}`;
}

function schemaFingerprint(db: Database.Database): string {
  const sql = (db.prepare("SELECT group_concat(sql, ';') AS s FROM (SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name)").get() as { s: string }).s;
  // The page size of a new file too: the same schema on other pages is another database to time.
  const pageSize = String(db.pragma('page_size', { simple: true }));
  return createHash('sha256').update(`${sql};page_size=${pageSize}`).digest('hex').slice(0, 12);
}

function cachedVersion(path: string): string | null {
  if (!existsSync(path)) return null;
  try {
    const store = new SqliteTraceStore({ path, readonly: true });
    try {
      const row = store.database.prepare("SELECT value FROM bench_meta WHERE key = 'version'").get() as { value: string } | undefined;
      return row ? `${row.value}` : null;
    } finally {
      store.closeSync();
    }
  } catch {
    return null;
  }
}

/** Returns whether it had to be built (false: the cached file was current). */
export function ensureQueryDb(path: string, shape: QueryDbShape, log: (line: string) => void): boolean {
  mkdirSync(dirname(path), { recursive: true });
  // The schema is the store's: any change to it makes the cache stale.
  const probePath = `${path}.schema-probe`;
  const probe = new SqliteTraceStore({ path: probePath });
  const schema = schemaFingerprint(probe.database);
  probe.closeSync();
  for (const suffix of ['', '-wal', '-shm']) rmSync(probePath + suffix, { force: true });
  const version = queryDbVersion(shape, schema);
  if (cachedVersion(path) === version) return false;

  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const started = performance.now();
  const store = new SqliteTraceStore({ path });
  const db = store.database;
  try {
    build(db, shape, log);
    db.exec('CREATE TABLE bench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    db.prepare("INSERT INTO bench_meta (key, value) VALUES ('version', ?)").run(version);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.exec('ANALYZE');
  } finally {
    store.closeSync();
  }
  log(`built ${path} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return true;
}

function build(db: Database.Database, shape: QueryDbShape, log: (line: string) => void): void {
  const normalize = createNormalizer();
  const triggers = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'spans'").all() as { sql: string }[];
  const triggerNames = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'spans'").all() as { name: string }[];
  for (const { name } of triggerNames) db.exec(`DROP TRIGGER ${name}`);

  const insertSpan = db.prepare(`INSERT INTO spans (${SPAN_COLUMNS.join(', ')}) VALUES (${SPAN_COLUMNS.map(() => '?').join(', ')})`);
  const insertTrace = db.prepare('INSERT OR IGNORE INTO traces (trace_id, session_id, explicit) VALUES (?, ?, 1)');
  const selectResource = db.prepare('SELECT id FROM resources WHERE hash = ?');
  const insertResource = db.prepare('INSERT INTO resources (hash, body) VALUES (?, ?)');
  const resourceIds = new Map<string, number | bigint>();
  const idOf = (body: string): number | bigint => {
    let id = resourceIds.get(body);
    if (id === undefined) {
      const hash = createHash('sha256').update(body).digest('base64url');
      const found = selectResource.get(hash) as { id: number } | undefined;
      id = found ? found.id : insertResource.run(hash, body).lastInsertRowid;
      resourceIds.set(body, id);
    }
    return id;
  };
  const selectString = db.prepare('SELECT id FROM signal_strings WHERE text = ?').pluck();
  const insertString = db.prepare('INSERT INTO signal_strings (text) VALUES (?)');
  // Attribute key sets interned as the writer interns them (migration 010).
  const attributeKeysId = (keysJson: string): number | bigint =>
    (selectString.get(keysJson) as number | undefined) ?? insertString.run(keysJson).lastInsertRowid;
  const rollup = new SessionRollup(db);
  const gapNs = (BigInt(shape.days) * DAY_NS) / BigInt(shape.sessions);
  // Normalizing and mapping a million generated spans would dominate the
  // build: TEMPLATES sessions are made the real way, and every session is one
  // of them under fresh ids, session key and times.
  reseed(0x9e11);
  const templates = Array.from({ length: Math.min(TEMPLATES, shape.sessions) }, () => {
    const records: SpanRecord[] = session(BASE_NS, shape.spansPerSession - 1).map(normalize);
    const sessionId = records[0].sessionId as string;
    const rows = records.map((record) =>
      spanInsertRow(record, {
        resolvedSessionId: sessionId,
        writerId: null,
        resourceId: idOf(encodeResource(record.raw.resource)),
        scopeId: idOf(encodeScope(record.raw.scope)),
        attributeKeysId,
      }),
    );
    return { sessionId, rows };
  });
  const perTransaction = 200;
  const writeSessions = db.transaction((first: number) => {
    for (let i = first; i < Math.min(shape.sessions, first + perTransaction); i++) {
      const template = templates[i % templates.length];
      const sessionId = `bench-session-${String(i).padStart(6, '0')}`;
      const traceId = (0x5b8efff798038103d269b633n * 0x100000000n + BigInt(i)).toString(16).padStart(32, '0');
      const shiftNs = BigInt(i) * gapNs;
      const spanIds = new Map<string, string>();
      const newSpanId = (old: string): string => {
        let id = spanIds.get(old);
        if (id === undefined) {
          id = ((BigInt(i) << 24n) + BigInt(spanIds.size) + 0x1000000000000000n).toString(16);
          spanIds.set(old, id);
        }
        return id;
      };
      for (const row of template.rows) {
        insertSpan.run(spanValues({
          ...row,
          trace_id: traceId,
          span_id: newSpanId(row.span_id as string),
          parent_span_id: row.parent_span_id === null ? null : newSpanId(row.parent_span_id as string),
          session_id: sessionId,
          resolved_session_id: sessionId,
          start_ns: (row.start_ns as bigint) + shiftNs,
          end_ns: row.end_ns === null ? null : (row.end_ns as bigint) + shiftNs,
          attributes: (row.attributes as string).replaceAll(template.sessionId, sessionId),
        }));
      }
      insertTrace.run(traceId, sessionId);
      rollup.recompute(sessionId);
    }
  });
  for (let first = 0; first < shape.sessions; first += perTransaction) {
    writeSessions.immediate(first);
    if (first % 2000 === 0) log(`  ${first * shape.spansPerSession} spans`);
  }
  log('  building the full-text index');
  db.exec("INSERT INTO spans_fts (spans_fts) VALUES ('rebuild')");
  for (const { sql } of triggers) db.exec(sql);
}
