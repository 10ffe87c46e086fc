import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseOpenError, SchemaVersionError } from '../errors.js';
import { SqliteTraceStore } from './sqlite-trace-store.js';
import type { SqliteTraceStoreOptions } from './sqlite-trace-store.js';

/** What a file-system or SQLite error code means to someone who picked the path. */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  ENOENT: 'a directory on the path does not exist and cannot be created',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  SQLITE_CANTOPEN: 'SQLite cannot open or create the file there (permissions, or not a regular file)',
  SQLITE_READONLY: 'the file or its directory is read-only',
  SQLITE_IOERR: 'an I/O error (is the file system one SQLite can lock, and not /proc or a FUSE mount?)',
  SQLITE_FULL: 'the disk is full',
  SQLITE_PERM: 'permission denied',
};

/**
 * Opens a store on a database file for writing, creating its directory as
 * `skein serve` promises. Every failure to create or open it is a
 * `DatabaseOpenError` that names the path and the reason (a schema from a
 * newer Skein, or a file that is not a database, keeps its own error).
 */
export function openWritableStore(options: SqliteTraceStoreOptions): SqliteTraceStore {
  const { path } = options;
  if (path === ':memory:') return new SqliteTraceStore(options);
  prepareDatabasePath(path);
  try {
    return new SqliteTraceStore(options);
  } catch (error) {
    if (error instanceof SchemaVersionError) throw error;
    throw databaseOpenError(path, error);
  }
}

/**
 * Makes `path` ready to be opened as a database file: creates its directory
 * with its parents, and refuses a path that is a directory. A failure is a
 * `DatabaseOpenError` naming the file and the reason. Not
 * `mkdirSync(dir, { recursive: true })`: on Node 20 it never returns for a
 * path under /proc (ENOENT from a directory that exists sends it round again).
 */
export function prepareDatabasePath(path: string): void {
  const dir = dirname(resolve(path));
  const missing: string[] = [];
  for (let d = dir; !exists(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EEXIST' && isDirectory(d)) continue;
      throw databaseOpenError(path, error, `cannot create its directory ${dir}`);
    }
  }
  if (!isDirectory(dir)) throw new DatabaseOpenError(path, `${nearestFile(dir)} is a file, not a directory`);
  if (isDirectory(path)) throw new DatabaseOpenError(path, 'it is a directory; give a file path');
}

/** `error` as a DatabaseOpenError naming `path`, with the reason its code stands for. */
export function databaseOpenError(path: string, error: unknown, what?: string): DatabaseOpenError {
  const code = (error as { code?: unknown }).code;
  const known = typeof code === 'string' ? (REASONS[code] ?? REASONS[code.replace(/_[A-Z_]+$/, '')]) : undefined;
  const detail = known ?? (error instanceof Error ? error.message : String(error));
  return new DatabaseOpenError(path, what === undefined ? detail : `${what}: ${detail}`);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The deepest part of `dir` that exists (a file, where a directory was expected). */
function nearestFile(dir: string): string {
  let d = dir;
  while (!exists(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
