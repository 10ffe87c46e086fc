// The SQLite backend's entry for the layers above (processor, cli).
export { DEFAULT_BUSY_TIMEOUT_MILLIS, SqliteTraceStore } from './sqlite-trace-store.js';
export type { SqliteTraceStoreOptions } from './sqlite-trace-store.js';
export type { SessionModelUsage } from './session-queries.js';
export { SCHEMA_VERSION } from './migrations/index.js';
export {
  DEFAULT_CHANGE_FEED_MAX_AGE_MILLIS,
  DEFAULT_CHANGE_FEED_MAX_EVENTS,
  DEFAULT_MAX_AGE_MILLIS,
  SNIPPET_ELLIPSIS,
  SNIPPET_MATCH_END,
  SNIPPET_MATCH_START,
  UNKNOWN_GROUP_KEY,
} from '../common/store-defaults.js';
export type { ChangeFeedRetention } from '../common/store-defaults.js';
