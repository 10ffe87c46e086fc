/**
 * The PostgreSQL store against a real PostgreSQL server that this file starts
 * (test/helpers/postgres-server.ts): the TraceStore contract, one new
 * database per test.
 */

import { afterAll, beforeAll } from 'vitest';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { startPostgres } from '../helpers/postgres-server.js';
import type { PostgresServer } from '../helpers/postgres-server.js';
import { runTraceStoreContract } from './contract.js';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

runTraceStoreContract('PostgresTraceStore', async () => {
  const store = await PostgresTraceStore.open({ url: await server.createDatabase() });
  return { store, cleanup: () => store.close() };
});
