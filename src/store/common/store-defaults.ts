/** Defaults and markers every backend shares, so a store's answers do not depend on which one holds the data. */

/** How old a session may get before retention deletes it, when the policy names no age. */
export const DEFAULT_MAX_AGE_MILLIS = 30 * 24 * 60 * 60 * 1000;

/** How many events the feed keeps, at most (older ones are trimmed as new ones are appended). */
export const DEFAULT_CHANGE_FEED_MAX_EVENTS = 100_000;
/** How long the feed keeps an event, at most. */
export const DEFAULT_CHANGE_FEED_MAX_AGE_MILLIS = 24 * 60 * 60 * 1000;

/** The change feed's limits; each defaults to the one above. */
export interface ChangeFeedRetention {
  maxEvents?: number;
  maxAgeMillis?: number;
}

/**
 * Markers around the matched terms in `SearchHit.snippet`. Doubled brackets
 * because model output is full of single ones (JSON, markdown links).
 */
export const SNIPPET_MATCH_START = '[[';
export const SNIPPET_MATCH_END = ']]';
/** Stands for text cut from either side of a snippet. */
export const SNIPPET_ELLIPSIS = '…';

/** Group key of spans that do not name what they are grouped by. */
export const UNKNOWN_GROUP_KEY = '(unknown)';
