/**
 * `skein import --db postgres://…` with no tuning options: files exported from a SQLite database,
 * imported into PostgreSQL through the same commit `skein serve` uses there, answer the same
 * questions (an open step recorded as interrupted included), and importing again changes nothing.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionJson } from '../../src/query/json-views.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { ALPHA, OPEN, seedStore, tempDir } from '../server/query-api/seed.js';
import type { Seeded } from '../server/query-api/seed.js';
import { cli } from './run.js';

const server = usePostgres();
let seeded: Seeded;
let work: { dir: string; cleanup(): void };

beforeAll(async () => {
  seeded = await seedStore();
  work = tempDir('skein-pg-import-');
});
afterAll(async () => {
  seeded?.cleanup();
  work?.cleanup();
});

async function ok(argv: string[]): Promise<string> {
  const result = await cli(argv);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

const sessions = async (db: string): Promise<SessionJson[]> =>
  (JSON.parse(await ok(['sessions', '--db', db, '--json'])) as { items: SessionJson[] }).items
    .map((s) => ({ ...s, traceIds: [...s.traceIds].sort() }))
    .sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1));

describe('skein import --db postgres://…', () => {
  it('stores what a SQLite import stores, an open step as interrupted, and a second import changes nothing', async () => {
    const url = await server.createDatabase();
    const files = [ALPHA.sessionId, OPEN.sessionId].map((id) => join(work.dir, `${id}.otlp.json`));
    await ok(['export', ALPHA.sessionId, '--format', 'otlp', '-o', files[0], '--db', seeded.dbPath]);
    await ok(['export', OPEN.sessionId, '--format', 'otlp', '-o', files[1], '--db', seeded.dbPath]);
    const sqliteCopy = join(work.dir, 'copy.db');
    await ok(['import', ...files, '--db', sqliteCopy]);

    const imported = JSON.parse(await ok(['import', ...files, '--db', url, '--json'])) as { spans: number };
    expect(imported.spans).toBeGreaterThan(6);
    const expected = await sessions(sqliteCopy);
    expect(expected.map((s) => s.sessionId).sort()).toEqual([ALPHA.sessionId, OPEN.sessionId].sort());
    expect(expected.find((s) => s.sessionId === OPEN.sessionId)?.interruptedCount).toBeGreaterThan(0);
    expect(await sessions(url)).toEqual(expected);

    await ok(['import', ...files, '--db', url]);
    expect(await sessions(url)).toEqual(expected);
  });

  it('an unreachable database: one line naming it without its password, exit 1, nothing read twice', async () => {
    const file = join(work.dir, 'alpha-only.otlp.json');
    await ok(['export', ALPHA.sessionId, '--format', 'otlp', '-o', file, '--db', seeded.dbPath]);
    const result = await cli(['import', file, '--db', 'postgres://skein:hunter2@127.0.0.1:9/skein']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/cannot open the database postgres:\/\/skein:\*\*\*@127\.0\.0\.1:9\/skein/);
    expect(result.stderr).not.toContain('hunter2');
  });
});
