/**
 * Upgrading a database file in place, on its own (`skein migrate`, and
 * `skein serve` before it opens an older file): the same migrations a store
 * applies when it opens a file, one per transaction, each announced before it
 * runs so a large file's upgrade can show where it is.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { DatabaseOpenError } from '../errors.js';
import { databaseOpenError } from './database-file.js';
import { migrate, SCHEMA_VERSION, schemaVersionOf } from './migrations/index.js';
import type { MigrationStep } from './migrations/index.js';
import { DEFAULT_BUSY_TIMEOUT_MILLIS } from './sqlite-trace-store.js';

export type { MigrationStep } from './migrations/index.js';

export interface FileMigration {
  path: string;
  /** Schema version before and after. */
  from: number;
  to: number;
  /** The migrations applied, in order (none when the file was current). */
  applied: MigrationStep[];
  millis: number;
}

/** The schema version of an existing database file, without changing it. */
export function fileSchemaVersion(path: string): number {
  const db = openExisting(path, true);
  try {
    return schemaVersionOf(db);
  } finally {
    db.close();
  }
}

/**
 * Brings the database file at `path` to `SCHEMA_VERSION`. The file must
 * exist (a typo must not create an empty database); a file from a newer Skein
 * or not a Skein database is refused with the migrations' own error.
 * `onStep` hears of each migration before it runs, with the version the
 * file had when this call began.
 */
export function migrateDatabaseFile(path: string, onStep?: (step: MigrationStep, from: number) => void): FileMigration {
  const started = performance.now();
  const db = openExisting(path, false);
  try {
    db.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MILLIS}`);
    const from = schemaVersionOf(db);
    const applied: MigrationStep[] = [];
    migrate(db, path, (step) => {
      applied.push(step);
      onStep?.(step, from);
    });
    return { path, from, to: SCHEMA_VERSION, applied, millis: performance.now() - started };
  } finally {
    db.close();
  }
}

function openExisting(path: string, readonly: boolean): Database.Database {
  if (!existsSync(path)) throw new DatabaseOpenError(path, 'there is no database file there');
  if (statSync(path).isDirectory()) throw new DatabaseOpenError(path, 'it is a directory; give a file path');
  try {
    return new Database(path, { readonly, fileMustExist: true });
  } catch (error) {
    throw databaseOpenError(path, error);
  }
}
