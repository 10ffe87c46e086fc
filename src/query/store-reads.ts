/**
 * Reads the API and the CLI need that the `TraceStore` interface answers only
 * in pieces; built on the interface so any backend gets them.
 */

import type { Page, SessionQuery } from '../model/query.js';
import type { SessionSummary, StoredSpan, TokenTotals } from '../model/types.js';
import { TraceNotFoundError } from '../store/errors.js';
import type { TraceStore } from '../store/trace-store.js';

/** The page size used to read everything of one session or trace; the store's maximum. */
const READ_ALL_PAGE = 1000;

/** One model's share of a session. Same shape as the SQLite store's `getSessionModels`. */
export interface SessionModelUsage {
  model: string;
  calls: number;
  tokens: TokenTotals;
  costUsd: number;
}

/** A store that can answer the per-model breakdown from its own rollups. */
interface SessionModelsReader {
  getSessionModels(sessionId: string): Promise<SessionModelUsage[]>;
}

function hasSessionModels(store: TraceStore): store is TraceStore & SessionModelsReader {
  return typeof (store as Partial<SessionModelsReader>).getSessionModels === 'function';
}

/** Every span matching `query` (all pages), oldest start first. */
async function readAll(store: TraceStore, query: { sessionId?: string; traceId?: string }): Promise<StoredSpan[]> {
  const spans: StoredSpan[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.getSpans({ ...query, limit: READ_ALL_PAGE, cursor });
    spans.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  // Pages come newest first; a stable reverse keeps equal starts in write order.
  return spans.reverse();
}

/** Every span of a session, oldest start first. Throws `SessionNotFoundError`. */
export async function sessionSpans(store: TraceStore, sessionId: string): Promise<StoredSpan[]> {
  await store.getSession(sessionId);
  return readAll(store, { sessionId });
}

/** Every span of a trace, oldest start first. Throws `TraceNotFoundError` when there is none. */
export async function traceSpans(store: TraceStore, traceId: string): Promise<StoredSpan[]> {
  const spans = await readAll(store, { traceId });
  if (spans.length === 0) throw new TraceNotFoundError(traceId);
  return spans;
}

/** Per-model calls, tokens and cost of a session, most calls first. Throws `SessionNotFoundError`. */
export async function sessionModels(store: TraceStore, sessionId: string): Promise<SessionModelUsage[]> {
  if (hasSessionModels(store)) return store.getSessionModels(sessionId);
  const byModel = new Map<string, SessionModelUsage>();
  for (const span of await sessionSpans(store, sessionId)) {
    if (span.stepType !== 'llm') continue;
    const model = span.responseModel ?? span.requestModel;
    if (model === null) continue;
    let usage = byModel.get(model);
    if (!usage) {
      usage = { model, calls: 0, tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }, costUsd: 0 };
      byModel.set(model, usage);
    }
    usage.calls += 1;
    usage.tokens.input += span.usage.input ?? 0;
    usage.tokens.output += span.usage.output ?? 0;
    usage.tokens.reasoning += span.usage.reasoning ?? 0;
    usage.tokens.cacheRead += span.usage.cacheRead ?? 0;
    usage.tokens.cacheWrite += span.usage.cacheWrite ?? 0;
    usage.costUsd += span.cost?.usd ?? 0;
  }
  return [...byModel.values()].sort((a, b) => b.calls - a.calls || a.model.localeCompare(b.model));
}

/** A store that sums `counts.redacted` itself (the SQLite store, in SQL). */
interface RedactedCountReader {
  getSessionRedactedCount(sessionId: string): Promise<number>;
}

/** Values redaction replaced in a session's spans, summed. Throws `SessionNotFoundError`. */
export async function sessionRedactedCount(store: TraceStore, sessionId: string): Promise<number> {
  const reader = store as TraceStore & Partial<RedactedCountReader>;
  if (typeof reader.getSessionRedactedCount === 'function') return reader.getSessionRedactedCount(sessionId);
  return (await sessionSpans(store, sessionId)).reduce((n, span) => n + span.counts.redacted, 0);
}

/**
 * Plain words → an FTS5 query that matches them all, each quoted so that
 * punctuation in what a person types is never read as query syntax.
 */
export function plainTextQuery(text: string): string {
  return text
    .split(/\s+/)
    .filter((word) => word !== '')
    .map((word) => `"${word.replaceAll('"', '""')}"`)
    .join(' ');
}

/**
 * `listSessions` narrowed to sessions with a span matching the FTS query
 * `match`. Each store page is asked for exactly as many sessions as are still
 * missing, so every session of it is consumed and the store's own cursor is
 * where the next page resumes: pagination stays the store's (stable while
 * spans arrive). A page may come back short, or empty with a cursor, when
 * few sessions match. A match in an agent's plumbing spans counts only
 * with `query.includeInternal` (the list's own opt-in to plumbing).
 */
export async function listSessionsMatching(
  store: TraceStore,
  query: SessionQuery,
  match: string,
): Promise<Page<SessionSummary>> {
  const limit = query.limit ?? 50;
  const { includeInternal } = query;
  // When every hit fits in one search, the set of matching sessions is exact and costs one query.
  const hits = await store.search({ text: match, limit: READ_ALL_PAGE, includeInternal });
  const known = hits.length < READ_ALL_PAGE ? new Set(hits.map((h) => h.sessionId)) : null;
  if (known !== null && known.size === 0) return { items: [], nextCursor: null };
  const matches = async (sessionId: string): Promise<boolean> =>
    known !== null
      ? known.has(sessionId)
      : (await store.search({ text: match, sessionId, limit: 1, includeInternal })).length > 0;

  const items: SessionSummary[] = [];
  let cursor = query.cursor;
  let nextCursor: string | null = null;
  while (items.length < limit) {
    const page = await store.listSessions({ ...query, limit: limit - items.length, cursor });
    for (const session of page.items) if (await matches(session.sessionId)) items.push(session);
    nextCursor = page.nextCursor;
    if (nextCursor === null) break;
    cursor = nextCursor;
  }
  return { items, nextCursor };
}
