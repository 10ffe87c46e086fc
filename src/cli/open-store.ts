/**
 * Opens the database a command works on, directly (no server needed): a
 * SQLite file (in WAL mode a command reads while `skein serve` writes the
 * same file), or a PostgreSQL database when `--db`/SKEIN_DB is a
 * `postgres://` or `postgresql://` URL (issue 18).
 */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  DatabaseOpenError,
  InvalidQueryError,
  SchemaVersionError,
  SessionNotFoundError,
  StoreError,
  StoreUnavailableError,
  TraceNotFoundError,
} from '../store/errors.js';
import { PostgresTraceStore, isPostgresUrl, redactUrl } from '../store/postgres/index.js';
import { SqliteTraceStore } from '../store/sqlite/index.js';
import { openWritableStore } from '../store/sqlite/database-file.js';
import { CliFailure, CliUsageError } from './cli-error.js';
import type { CliIo } from './command.js';
import { defaultDbPath } from './options.js';

export interface OpenStoreOptions {
  /** `--db` as given; else SKEIN_DB; else ~/.skein/skein.db. */
  db: string | undefined;
  /** Read commands open read-only and need the database to exist; writers create it (or its schema). */
  mode: 'read' | 'write';
}

/**
 * What a command opens. Read commands use it as the `TraceStore` contract;
 * `prune` and `outbox` reach past it, to each backend's retention preview
 * and outbox.
 */
export type CommandStore = SqliteTraceStore | PostgresTraceStore;

/** The SQLite file's absolute path, or a PostgreSQL URL as given. */
function resolveTarget(db: string | undefined, io: CliIo): string {
  const given = db ?? io.env.SKEIN_DB;
  if (given !== undefined && isPostgresUrl(given)) return given;
  return resolve(given ?? defaultDbPath(io.env));
}

/**
 * The SQLite file's absolute path, for the commands that work on SQLite
 * only: a PostgreSQL URL is refused in one line (named without its
 * password, which a path made of it would print).
 */
export function resolveDbPath(db: string | undefined, io: CliIo): string {
  const target = resolveTarget(db, io);
  if (isPostgresUrl(target)) throw new CliFailure(`this command works on a SQLite file only, not on PostgreSQL (${redactUrl(target)})`);
  return target;
}

/** Opens the SQLite file; for the commands that work on SQLite only (a PostgreSQL URL is refused in one line). */
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

/** Opens the SQLite file or the PostgreSQL database; a failure is one line naming it (never its password). */
export async function openTraceStore(io: CliIo, options: OpenStoreOptions): Promise<CommandStore> {
  const target = resolveTarget(options.db, io);
  if (!isPostgresUrl(target)) return openStore(io, options);
  try {
    return await PostgresTraceStore.open({ url: target, readonly: options.mode === 'read' });
  } catch (error) {
    throw postgresOpenFailure(error, target);
  }
}

/**
 * A PostgreSQL open that failed, as one line. A database Skein never wrote
 * (schema version 0) is said plainly rather than as an upgrade to make.
 */
function postgresOpenFailure(error: unknown, url: string): unknown {
  const database = redactUrl(url);
  if (error instanceof SchemaVersionError && error.foundVersion === 0) {
    return new CliFailure(`no Skein schema in ${database}: nothing recorded there yet (skein serve --db <url> creates it)`);
  }
  if (error instanceof StoreError) return new CliFailure(oneLine(scrubbed(error.message, url)));
  return new CliFailure(`cannot open the database ${database}: ${oneLine(scrubbed(errorText(error), url))}`);
}

/** A connection error's text: node's AggregateError (every address refused) has an empty message. */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message !== '') return error.message;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}

function oneLine(text: string): string {
  return text.split('\n')[0].trim();
}

/** `text` with the URL named without its password, should a driver message ever quote it. */
function scrubbed(text: string, url: string): string {
  return text.split(url).join(redactUrl(url));
}

/**
 * Store errors that are the user's to fix, with no stack. An unknown id, a
 * foreign file or a database out of reach is a failure (one line); only a
 * bad filter is a usage mistake (the line and the usage).
 */
export function asUserError(error: unknown): unknown {
  if (
    error instanceof DatabaseOpenError ||
    error instanceof SessionNotFoundError ||
    error instanceof TraceNotFoundError ||
    error instanceof SchemaVersionError ||
    error instanceof StoreUnavailableError
  ) {
    return new CliFailure(error.message);
  }
  if (error instanceof InvalidQueryError) return new CliUsageError(error.message);
  return error;
}

/**
 * A PostgreSQL store's error while it answers: the connection lost or the
 * server refusing a statement (node-postgres' errors and node's socket
 * errors carry a `code`) is one line naming the database.
 */
function asPostgresFailure(error: unknown, store: CommandStore): unknown {
  if (!(store instanceof PostgresTraceStore) || error instanceof StoreError || !(error instanceof Error)) return error;
  if (typeof (error as { code?: unknown }).code !== 'string') return error;
  return new CliFailure(`${store.database}: ${oneLine(errorText(error))}`);
}

/** Runs `fn` with the SQLite file or PostgreSQL database open and always closes it. */
export async function withTraceStore<T>(
  io: CliIo,
  options: OpenStoreOptions,
  fn: (store: CommandStore) => Promise<T>,
): Promise<T> {
  let store: CommandStore;
  try {
    store = await openTraceStore(io, options);
  } catch (error) {
    throw asUserError(error);
  }
  let result: T;
  try {
    result = await fn(store);
  } catch (error) {
    // The command's own error is the one to report, not a close that fails after it (a lost connection).
    await store.close().catch(() => undefined);
    throw asUserError(asPostgresFailure(error, store));
  }
  try {
    await store.close();
  } catch (error) {
    throw asUserError(asPostgresFailure(error, store));
  }
  return result;
}
