import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';

type StoreOptions = Partial<ConstructorParameters<typeof SqliteTraceStore>[0]>;

/**
 * For a describe block: a fresh database path in a temp directory per test, and `open` for stores on it
 * (several may share the file), all closed and the directory removed after each test.
 */
export function useStoreFile(prefix: string): { path(): string; open(options?: StoreOptions): SqliteTraceStore } {
  let dir = '';
  let file = '';
  const stores: SqliteTraceStore[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    file = join(dir, 'feed.db');
  });
  afterEach(() => {
    for (const store of stores.splice(0)) store.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    path: () => file,
    open(options = {}) {
      const store = new SqliteTraceStore({ path: file, ...options });
      stores.push(store);
      return store;
    },
  };
}
