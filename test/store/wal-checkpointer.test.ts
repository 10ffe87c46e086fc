import { statSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { WalCheckpointer } from '../../src/store/sqlite/wal-checkpointer.js';
import type { WalCheckpointerOptions } from '../../src/store/sqlite/wal-checkpointer.js';
import { makeLlmRecord } from '../helpers/records.js';
import { useStoreFile } from '../helpers/store-files.js';

describe('WalCheckpointer', () => {
  const file = useStoreFile('skein-wal-checkpointer-');
  const open: WalCheckpointer[] = [];
  afterEach(async () => {
    for (const checkpointer of open.splice(0)) await checkpointer.close();
  });

  function start(options?: WalCheckpointerOptions) {
    const store = file.open();
    const checkpointer = new WalCheckpointer(store.database, file.path(), options);
    open.push(checkpointer);
    return { store, checkpointer };
  }

  const records = (n: number) => Array.from({ length: n }, () => makeLlmRecord({ sessionId: 'wal-session' }));

  it('turns the writer’s own checkpoints off and copies the WAL on its thread after every itemsPerCheckpoint items', async () => {
    const { store, checkpointer } = start({ itemsPerCheckpoint: 10 });
    expect(store.database.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    store.writeSync(records(5));
    checkpointer.committed(5);
    // Not yet: 5 of 10 items.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(checkpointer.walFrames).toBe(0);
    store.writeSync(records(5));
    checkpointer.committed(5);
    // The thread may still be starting (a second or more on a loaded machine).
    await vi.waitFor(() => expect(checkpointer.walFrames).toBeGreaterThan(0), { timeout: 20_000 });
    // Everything written is still read back, from the WAL and the database alike.
    expect((await store.getSession('wal-session')).llmCallCount).toBe(10);
  });

  it('bounds the WAL when its thread cannot catch up: past maxItemsUncopied the writer checkpoints itself', async () => {
    // Commits back to back, never yielding: the thread's answers are never read, as when it falls behind.
    const walBytesAfter = (maxItemsUncopied: number, path: string) => {
      const store = new SqliteTraceStore({ path });
      const checkpointer = new WalCheckpointer(store.database, path, { maxItemsUncopied });
      open.push(checkpointer);
      for (let i = 0; i < 60; i++) {
        store.writeSync(records(20));
        checkpointer.committed(20);
      }
      // The WAL file never shrinks while open: its size is the most it held at once.
      const bytes = statSync(`${path}-wal`).size;
      return { store, bytes };
    };
    const unbounded = walBytesAfter(1_000_000, `${file.path()}-unbounded.db`);
    const bounded = walBytesAfter(100, `${file.path()}-bounded.db`);
    try {
      // Started over every 100 items (5 commits) instead of holding all 1,200 spans.
      expect(bounded.bytes).toBeLessThan(unbounded.bytes / 4);
      expect((await bounded.store.getSession('wal-session')).llmCallCount).toBe(1200);
    } finally {
      for (const checkpointer of open.splice(0)) await checkpointer.close();
      unbounded.store.closeSync();
      bounded.store.closeSync();
    }
  });

  it('gives SQLite its automatic checkpoints back once its thread is gone', async () => {
    const { store, checkpointer } = start();
    await checkpointer.close();
    expect(store.database.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    // Committing after the close neither throws nor posts to a dead thread.
    store.writeSync(records(3));
    expect(() => checkpointer.committed(3)).not.toThrow();
  });

  it('refuses options that are not positive integers, naming them', () => {
    const store = file.open();
    expect(() => new WalCheckpointer(store.database, file.path(), { itemsPerCheckpoint: 0 })).toThrow(/itemsPerCheckpoint/);
    expect(() => new WalCheckpointer(store.database, file.path(), { maxItemsUncopied: Number.NaN })).toThrow(/maxItemsUncopied/);
    // Refused before anything changed on the writer's connection.
    expect(store.database.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
