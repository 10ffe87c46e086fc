/**
 * What both stores' session reads share: the sorts a page of sessions may
 * take, the statuses and query keys it accepts, and how a session is titled
 * by its first prompt.
 */

import type { SessionSort } from '../../model/query.js';
import type { SessionStatus } from '../../model/types.js';

export interface SessionSortSpec {
  /** The `sessions` column the sort orders by (ties broken by session id). */
  column: string;
  descending: boolean;
  /** How the key travels in a cursor: bigints as decimal strings, doubles as numbers. */
  bigint: boolean;
}

export const SESSION_SORTS: Record<SessionSort, SessionSortSpec> = {
  recent: { column: 'last_activity_ns', descending: true, bigint: true },
  oldest: { column: 'first_start_ns', descending: false, bigint: true },
  newest: { column: 'first_start_ns', descending: true, bigint: true },
  cost: { column: 'cost_usd', descending: true, bigint: false },
  tokens: { column: 'total_tokens', descending: true, bigint: true },
  duration: { column: 'duration_ns', descending: true, bigint: true },
};

export const SESSION_STATUSES: readonly SessionStatus[] = ['running', 'completed', 'failed', 'interrupted'];

/** The keys a `SessionQuery` may have (`checkKeys`). */
export const SESSION_QUERY_KEYS: readonly string[] = [
  'fromUnixNano', 'toUnixNano', 'status', 'agentName', 'model', 'userId', 'minTokens', 'minCostUsd', 'sort',
  'limit', 'cursor', 'includeInternal',
];

/** How many of a session's first spans its title is looked for in. */
export const TITLE_SPANS = 64;
/** Characters of a coding agent's first prompt that title its session. */
export const PROMPT_TITLE_LENGTH = 80;

/** A coding agent's first prompt on one line, cut short: its session's title (null when blank). */
export function promptTitleOf(text: string | null | undefined): string | null {
  const line = text?.replace(/\s+/g, ' ').trim();
  if (line === undefined || line === '') return null;
  return line.length > PROMPT_TITLE_LENGTH ? `${line.slice(0, PROMPT_TITLE_LENGTH - 1)}…` : line;
}
