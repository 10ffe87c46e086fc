/**
 * A session's steps as `GET /sessions/:id/timeline` and `/tree` show them:
 * each step of the store's timeline or tree with what only its span knows
 * (status, provider, content previews).
 */

import type { StoredSpan } from '../model/types.js';
import type { TraceStore } from '../store/trace-store.js';
import { spanKey, stepJson, treeJson } from './json-views.js';
import type { StepJson, TreeNodeJson } from './json-views.js';
import { sessionSpans } from './store-reads.js';

/** Every span of a session by `spanKey(traceId, spanId)`. Throws `SessionNotFoundError`. */
export async function sessionSpanMap(store: TraceStore, sessionId: string): Promise<Map<string, StoredSpan>> {
  return new Map((await sessionSpans(store, sessionId)).map((s) => [spanKey(s.traceId, s.spanId), s]));
}

/** Every step in start order. Throws `SessionNotFoundError`. */
export async function sessionTimelineJson(store: TraceStore, sessionId: string): Promise<{ sessionId: string; steps: StepJson[] }> {
  const steps = await store.getTimeline(sessionId);
  const spans = await sessionSpanMap(store, sessionId);
  return { sessionId, steps: steps.map((step) => stepJson(step, spans.get(spanKey(step.traceId, step.spanId)))) };
}

/** The steps nested under their parents. Throws `SessionNotFoundError`. */
export async function sessionTreeJson(store: TraceStore, sessionId: string): Promise<{ sessionId: string; roots: TreeNodeJson[] }> {
  const roots = await store.getTree(sessionId);
  const spans = await sessionSpanMap(store, sessionId);
  return { sessionId, roots: treeJson(roots, spans) };
}
