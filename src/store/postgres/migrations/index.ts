/**
 * Numbered migrations of the PostgreSQL schema. The version is kept in the
 * database (`skein_schema`), migrations run under an advisory lock so that
 * several collectors starting at once apply each one exactly once, and a
 * database written by a newer Skein is refused, naming the database.
 */

import type pg from 'pg';
import { DatabaseOpenError, SchemaVersionError, StoreError } from '../../errors.js';
import { BEGIN_SQL, openPool, redactUrl } from '../connection.js';
import { migration001 } from './001-initial.js';
import { migration002 } from './002-search-words.js';
import { migration003 } from './003-key-collation.js';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [migration001, migration002, migration003];
export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1].version;

/** pg_advisory_xact_lock key of Skein's migrations ("Skn1"). */
const MIGRATION_LOCK = 0x536b6e31;

async function currentVersion(client: pg.PoolClient): Promise<number> {
  const exists = await client.query<{ present: boolean }>(
    "SELECT to_regclass('skein_schema') IS NOT NULL AS present",
  );
  if (!exists.rows[0].present) return 0;
  const row = await client.query<{ version: number }>('SELECT version FROM skein_schema');
  return row.rows[0]?.version ?? 0;
}

function newerError(database: string, found: number): SchemaVersionError {
  return new SchemaVersionError(
    `${database} has Skein schema version ${found}, newer than version ${PG_SCHEMA_VERSION} that this Skein ` +
      'supports; upgrade Skein to open it',
    database,
    found,
    PG_SCHEMA_VERSION,
  );
}

/** What `migratePg` did: the version found, the version now, the migrations applied. */
export interface PgMigrationResult {
  from: number;
  to: number;
  applied: readonly PgMigration[];
}

/** Brings the schema to `PG_SCHEMA_VERSION`; `database` names it (password left out) in errors. */
export async function migratePg(pool: pg.Pool, database: string): Promise<PgMigrationResult> {
  const client = await pool.connect();
  try {
    await client.query(BEGIN_SQL);
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const found = await currentVersion(client);
      if (found > PG_SCHEMA_VERSION) throw newerError(database, found);
      if (found === 0) await client.query('CREATE TABLE skein_schema (version integer NOT NULL)');
      const applied = PG_MIGRATIONS.filter((migration) => migration.version > found);
      for (const migration of applied) await client.query(migration.sql);
      if (found === 0) await client.query('INSERT INTO skein_schema (version) VALUES ($1)', [PG_SCHEMA_VERSION]);
      else if (found < PG_SCHEMA_VERSION) await client.query('UPDATE skein_schema SET version = $1', [PG_SCHEMA_VERSION]);
      await client.query('COMMIT');
      return { from: found, to: Math.max(found, PG_SCHEMA_VERSION), applied };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
}

/** For read-only opens: refuses a newer schema and a database Skein has not set up. */
export async function checkPgSchema(pool: pg.Pool, database: string): Promise<void> {
  const client = await pool.connect();
  try {
    const found = await currentVersion(client);
    if (found > PG_SCHEMA_VERSION) throw newerError(database, found);
    if (found < PG_SCHEMA_VERSION) {
      throw new SchemaVersionError(
        `${database} has Skein schema version ${found}, older than version ${PG_SCHEMA_VERSION}; ` +
          'open it once read-write (skein serve or skein migrate) to upgrade it',
        database,
        found,
        PG_SCHEMA_VERSION,
      );
    }
  } finally {
    client.release();
  }
}

/**
 * `skein migrate --db postgres://…`: brings the database's schema to this version on a connection of
 * its own, without registering as a writer. An unreachable database is a `DatabaseOpenError` naming it.
 */
export async function migratePostgres(url: string): Promise<PgMigrationResult & { database: string }> {
  const database = redactUrl(url);
  const pool = openPool(url, { max: 1 });
  pool.on('error', () => undefined);
  try {
    return { database, ...(await migratePg(pool, database)) };
  } catch (error) {
    if (error instanceof StoreError) throw error;
    const reason = error instanceof Error && error.message !== '' ? error.message : String((error as { code?: unknown }).code ?? error);
    throw new DatabaseOpenError(database, reason);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
