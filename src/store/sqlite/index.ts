// The SQLite backend's entry for the layers above (processor, cli).
export { DEFAULT_BUSY_TIMEOUT_MILLIS, SqliteTraceStore } from './sqlite-trace-store.js';
export type { SqliteTraceStoreOptions } from './sqlite-trace-store.js';
export type { SessionModelUsage } from './session-queries.js';
export { SNIPPET_ELLIPSIS, SNIPPET_MATCH_END, SNIPPET_MATCH_START } from './span-search.js';
export { UNKNOWN_GROUP_KEY } from './span-stats.js';
export { DEFAULT_MAX_AGE_MILLIS } from './session-deleter.js';
export { SCHEMA_VERSION } from './migrations/index.js';
export { DEFAULT_CHANGE_FEED_MAX_AGE_MILLIS, DEFAULT_CHANGE_FEED_MAX_EVENTS } from './change-log.js';
export type { ChangeFeedRetention } from './change-log.js';
