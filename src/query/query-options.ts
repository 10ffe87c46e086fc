/**
 * The values the session queries accept, one list for the query API's
 * parameters (and its OpenAPI document) and the CLI's flags alike.
 */

import type { SessionSort, StatsGroupBy } from '../model/query.js';
import type { SessionStatus } from '../model/types.js';

/** The largest page a query returns: the store's maximum. */
export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 50;
/** Page size of log records and metric points when none is asked for: the store's default for them. */
export const SIGNAL_DEFAULT_LIMIT = 100;

export const SESSION_STATUSES: readonly SessionStatus[] = ['running', 'completed', 'failed', 'interrupted'];
export const SESSION_SORTS: readonly SessionSort[] = ['recent', 'oldest', 'newest', 'cost', 'tokens', 'duration'];
export const STATS_GROUPS: readonly StatsGroupBy[] = ['model', 'provider', 'agent', 'user', 'day'];
