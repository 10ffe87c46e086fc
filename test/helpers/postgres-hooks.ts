/**
 * The setup most PostgreSQL test files share, as vitest hooks registered in the calling scope (a file
 * or a `describe`): a server started before its tests and stopped after them, and stores closed after
 * each test. Kept apart from postgres-server.ts, which the benches import without vitest.
 */

import type pg from 'pg';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import type { PostgresTraceStoreOptions } from '../../src/store/postgres/index.js';
import { startPostgres } from './postgres-server.js';
import type { PostgresServer, PostgresServerOptions } from './postgres-server.js';

/** initdb and the first start can take a while on a loaded machine. */
const START_TIMEOUT_MILLIS = 120_000;

/**
 * A server started in `beforeAll` and stopped in `afterAll` of the calling scope. The object returned
 * stands for it (tests use it as they would the server itself); reading it before `beforeAll` has
 * started the server throws.
 */
export function usePostgres(options: PostgresServerOptions = {}): PostgresServer {
  let started: PostgresServer | undefined;
  beforeAll(async () => {
    started = await startPostgres(options);
  }, START_TIMEOUT_MILLIS);
  afterAll(async () => {
    await started?.stop();
  });
  const server = (): PostgresServer => {
    if (started === undefined) throw new Error('the PostgreSQL server is not started yet: use it inside a test or a hook');
    return started;
  };
  return {
    get adminUrl() {
      return server().adminUrl;
    },
    get port() {
      return server().port;
    },
    get dataDir() {
      return server().dataDir;
    },
    get pid() {
      return server().pid;
    },
    createDatabase: (prefix) => server().createDatabase(prefix),
    stop: () => server().stop(),
    kill: () => server().kill(),
    restart: () => server().restart(),
  };
}

export interface OpenedStores {
  /** A store on `url` (with `options`), closed after the test. */
  open(url: string, options?: Partial<PostgresTraceStoreOptions>): Promise<PostgresTraceStore>;
  /** `store`, opened some other way, closed after the test too. */
  keep(store: PostgresTraceStore): PostgresTraceStore;
}

/** Stores opened by a test, all closed in `afterEach` of the calling scope. */
export function openedStores(): OpenedStores {
  const stores: PostgresTraceStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });
  const keep = (store: PostgresTraceStore): PostgresTraceStore => {
    stores.push(store);
    return store;
  };
  return {
    keep,
    async open(url, options = {}) {
      return keep(await PostgresTraceStore.open({ url, ...options }));
    },
  };
}

/**
 * Waits until another session of the database is waiting on a lock (not merely not started yet):
 * a test's proof that `what` is blocked where it means it to be. Fails after 30 s.
 */
export async function waitingOnLock(pool: pg.Pool, what: string): Promise<void> {
  const waitingSql = `SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`;
  const deadline = Date.now() + 30_000;
  while ((await pool.query<{ n: number }>(waitingSql)).rows[0].n === 0) {
    expect(Date.now(), `${what} never waited on a lock`).toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
