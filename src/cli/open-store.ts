/**
 * Opens the database a command works on, directly (no server needed): SQLite
 * in WAL mode lets a command read while `skein serve` writes the same file.
 */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DatabaseOpenError, InvalidQueryError, SchemaVersionError, SessionNotFoundError, TraceNotFoundError } from '../store/errors.js';
import { SqliteTraceStore } from '../store/sqlite/index.js';
import { openWritableStore } from '../store/sqlite/database-file.js';
import { CliFailure, CliUsageError } from './cli-error.js';
import type { CliIo } from './command.js';
import { defaultDbPath } from './options.js';

export interface OpenStoreOptions {
  /** `--db` as given; else SKEIN_DB; else ~/.skein/skein.db. */
  db: string | undefined;
  /** Read commands open read-only and need the file to exist; writers create it. */
  mode: 'read' | 'write';
}

export function resolveDbPath(db: string | undefined, io: CliIo): string {
  return resolve(db ?? io.env.SKEIN_DB ?? defaultDbPath(io.env));
}

export function openStore(io: CliIo, options: OpenStoreOptions): SqliteTraceStore {
  const path = resolveDbPath(options.db, io);
  if (options.mode === 'read') {
    if (!existsSync(path)) {
      throw new CliFailure(`no database at ${path}: pass --db <file> (or set SKEIN_DB), or record something first`);
    }
    return new SqliteTraceStore({ path, readonly: true });
  }
  return openWritableStore({ path });
}

/**
 * Store errors that are the user's to fix, with no stack. An unknown id or a
 * foreign file is a failure (one line); only a bad filter is a usage mistake
 * (the line and the usage).
 */
export function asUserError(error: unknown): unknown {
  if (
    error instanceof DatabaseOpenError ||
    error instanceof SessionNotFoundError ||
    error instanceof TraceNotFoundError ||
    error instanceof SchemaVersionError
  ) {
    return new CliFailure(error.message);
  }
  if (error instanceof InvalidQueryError) return new CliUsageError(error.message);
  return error;
}

/** Runs `fn` with the store open and always closes it. */
export async function withStore<T>(
  io: CliIo,
  options: OpenStoreOptions,
  fn: (store: SqliteTraceStore) => Promise<T>,
): Promise<T> {
  let store: SqliteTraceStore;
  try {
    store = openStore(io, options);
  } catch (error) {
    throw asUserError(error);
  }
  try {
    return await fn(store);
  } catch (error) {
    throw asUserError(error);
  } finally {
    await store.close();
  }
}
