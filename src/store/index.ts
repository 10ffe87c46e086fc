// The store layer's entry: the interface, its errors and the SQLite backend.
export type { TraceStore } from './trace-store.js';
export type { ChangeFeedReader, ChangeFeedState, ReadChangesOptions } from './change-feed.js';
export {
  InvalidQueryError,
  SchemaVersionError,
  SessionNotFoundError,
  StoreError,
  TraceNotFoundError,
} from './errors.js';
export {
  DEFAULT_BUSY_TIMEOUT_MILLIS,
  DEFAULT_MAX_AGE_MILLIS,
  SCHEMA_VERSION,
  SNIPPET_ELLIPSIS,
  SNIPPET_MATCH_END,
  SNIPPET_MATCH_START,
  SqliteTraceStore,
  UNKNOWN_GROUP_KEY,
} from './sqlite/index.js';
export type { SessionModelUsage, SqliteTraceStoreOptions } from './sqlite/index.js';
