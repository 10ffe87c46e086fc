/**
 * `skein migrate --db postgres://…`: the schema of a PostgreSQL database brought to this version
 * by itself (a DBA's step before collectors whose role may not create tables start), with no
 * tuning options; a current database is left alone; an unreachable one is one line.
 */
import { describe, expect, it } from 'vitest';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from '../../src/store/postgres/migrations/index.js';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { sql } from '../helpers/postgres-server.js';
import { cli } from './run.js';

const server = usePostgres();

async function schemaVersion(url: string): Promise<number> {
  return ((await sql(url, 'SELECT version FROM skein_schema')).rows[0] as { version: number }).version;
}

describe('skein migrate --db postgres://…', () => {
  it('creates the schema of a new database, then has nothing to do; a read-only open then works', async () => {
    const url = await server.createDatabase();
    const shown = url.replace(':skein@', ':***@');
    const first = await cli(['migrate', '--db', url]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      new RegExp(`^migrated ${shown.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} from schema version 0 to ${PG_SCHEMA_VERSION} \\(${PG_MIGRATIONS.length} migrations, [\\d.]+ s\\)\\n$`),
    );
    expect(first.stdout + first.stderr).not.toContain(':skein@');
    expect(await schemaVersion(url)).toBe(PG_SCHEMA_VERSION);

    const again = await cli(['migrate', '--json'], { env: { SKEIN_DB: url } });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ path: shown, from: PG_SCHEMA_VERSION, to: PG_SCHEMA_VERSION, applied: [] });

    const reader = await PostgresTraceStore.open({ url, readonly: true });
    await reader.close();
  });

  it('an unreachable database: one line naming it without its password, exit 1', async () => {
    const result = await cli(['migrate', '--db', 'postgres://skein:hunter2@127.0.0.1:9/skein']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/cannot open the database postgres:\/\/skein:\*\*\*@127\.0\.0\.1:9\/skein/);
    expect(result.stderr).not.toContain('hunter2');
  });
});
