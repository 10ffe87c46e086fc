/**
 * The PostgreSQL store against a real PostgreSQL server that this file starts
 * (test/helpers/postgres-server.ts): the TraceStore contract, one new
 * database per test.
 */

import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { runTraceStoreContract } from './contract.js';

const server = usePostgres();

runTraceStoreContract('PostgresTraceStore', async () => {
  const store = await PostgresTraceStore.open({ url: await server.createDatabase() });
  return { store, cleanup: () => store.close() };
});
