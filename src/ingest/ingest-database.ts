import { openWritableStore, prepareDatabasePath } from '../store/sqlite/database-file.js';
import type { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';

export { DatabaseOpenError } from '../store/errors.js';

/**
 * How every in-process writer (the processor's `dbPath`; the writer thread opens the file the
 * caller prepared) gets its database: the folder created when missing, a directory refused,
 * the schema migrated. A failure is a `DatabaseOpenError` naming the file and the reason.
 */
export function prepareIngestDatabase(path: string): void {
  if (path !== ':memory:') prepareDatabasePath(path);
}

export function openIngestStore(path: string): SqliteTraceStore {
  return openWritableStore({ path });
}
