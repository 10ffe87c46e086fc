/** The PostgreSQL store: the only code that imports `pg`. */
export { PostgresTraceStore } from './postgres-trace-store.js';
export type { PostgresTraceStoreOptions } from './postgres-trace-store.js';
export { PG_SCHEMA_VERSION, migratePostgres } from './migrations/index.js';
export { isPostgresUrl, redactUrl } from './connection.js';
