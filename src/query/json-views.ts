/**
 * The JSON views of store results, shared by the API and `skein … --json`.
 * Nanosecond times and durations exceed 2^53, so they travel as decimal
 * strings (exact); the OpenAPI document says so.
 */

import type { SearchHit, StatsRow, TimelineStep, TreeNode } from '../model/query.js';
import type { ContentText, SessionSummary, StoredSpan } from '../model/types.js';
import type { SessionBudgetView } from './session-budget.js';
import type { SessionModelUsage } from './store-reads.js';
import { jsonSafe } from '../model/json-safe.js';
import { liveSessionOf } from '../model/live-event.js';
import { roundUsd } from '../model/pricing.js';

export const PREVIEW_LENGTH = 160;

function ns(value: bigint): string;
function ns(value: bigint | null): string | null;
function ns(value: bigint | null): string | null {
  return value === null ? null : value.toString();
}

/** One line, at most `length` characters, for tables and timelines. */
export function preview(content: ContentText | null, length = PREVIEW_LENGTH): string | null {
  if (content === null) return null;
  const flat = content.text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

/**
 * The session as the API and the live stream both show it (one shape, so clients merge them by id),
 * plus its trace ids, whether it is an agent's plumbing only (the live stream announces no such session) and
 * its steps (spans less that plumbing).
 */
export function sessionJson(s: SessionSummary) {
  return { ...liveSessionOf(s), traceIds: [...s.traceIds], internal: s.internal ?? false, stepCount: s.stepCount ?? s.spanCount };
}

export type SessionJson = ReturnType<typeof sessionJson>;

/**
 * `budget` only when there is one to show (budgets configured, or crossings recorded).
 * `redactedCount`: values redaction replaced in the session's spans (see `sessionRedactedCount`).
 */
export function sessionDetailJson(
  s: SessionSummary,
  models: readonly SessionModelUsage[],
  budget?: SessionBudgetView | null,
  redactedCount = 0,
) {
  const detail = {
    ...sessionJson(s),
    redactedCount,
    modelBreakdown: models.map((m) => ({ ...m, tokens: { ...m.tokens }, costUsd: roundUsd(m.costUsd) })),
  };
  return budget ? { ...detail, budget } : detail;
}

/** A timeline step with what only the span knows: status, provider and content previews. */
export function stepJson(step: TimelineStep, span: StoredSpan | undefined) {
  return {
    spanId: step.spanId,
    traceId: step.traceId,
    parentSpanId: step.parentSpanId,
    depth: step.depth,
    name: step.name,
    stepType: step.stepType,
    startTimeUnixNano: ns(step.startTimeUnixNano),
    endTimeUnixNano: ns(step.endTimeUnixNano),
    durationNanos: ns(step.durationNanos),
    status: statusName(span?.statusCode ?? 0),
    statusMessage: span?.statusMessage ?? '',
    isError: step.isError,
    open: step.open,
    interrupted: step.interrupted,
    provider: span?.provider ?? null,
    model: step.model,
    toolName: step.toolName,
    tokens: { ...step.tokens },
    costUsd: step.costUsd === null ? null : roundUsd(step.costUsd),
    costSource: span?.cost?.source ?? null,
    inputPreview: preview(span?.input ?? null),
    outputPreview: preview(span?.output ?? null),
  };
}

export type StepJson = ReturnType<typeof stepJson>;
export type TreeNodeJson = StepJson & { children: TreeNodeJson[] };

export function treeJson(nodes: readonly TreeNode[], spans: ReadonlyMap<string, StoredSpan>): TreeNodeJson[] {
  return nodes.map((node) => ({
    ...stepJson(node, spans.get(spanKey(node.traceId, node.spanId))),
    children: treeJson(node.children, spans),
  }));
}

export function spanKey(traceId: string, spanId: string): string {
  return `${traceId}/${spanId}`;
}

export function statusName(code: number): 'unset' | 'ok' | 'error' {
  return code === 2 ? 'error' : code === 1 ? 'ok' : 'unset';
}

const content = (c: ContentText | null) =>
  c === null ? null : { text: c.text, originalLength: c.originalLength, truncated: c.truncated };

/**
 * A stored span. Attribute values that JSON cannot carry exactly are
 * written as strings: 64-bit integers in decimal, bytes in base64.
 */
export function spanJson(span: StoredSpan) {
  return {
    sessionId: span.resolvedSessionId,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: span.raw.kind,
    stepType: span.stepType,
    operationName: span.operationName,
    startTimeUnixNano: ns(span.startTimeUnixNano),
    endTimeUnixNano: ns(span.endTimeUnixNano),
    durationNanos: span.endTimeUnixNano === null ? null : ns(span.endTimeUnixNano - span.startTimeUnixNano),
    status: statusName(span.statusCode),
    statusMessage: span.statusMessage,
    isError: span.isError,
    interrupted: span.interrupted,
    provider: span.provider,
    requestModel: span.requestModel,
    responseModel: span.responseModel,
    agentName: span.agentName,
    userId: span.userId,
    toolName: span.toolName,
    toolCallId: span.toolCallId,
    usage: { ...span.usage },
    cost: span.cost === null ? null : { ...span.cost, usd: roundUsd(span.cost.usd) },
    unpriced: span.unpriced,
    input: content(span.input),
    output: content(span.output),
    reasoning: content(span.reasoning),
    attributes: jsonSafe(span.raw.attributes),
    events: span.raw.events.map((e) => ({
      name: e.name,
      timeUnixNano: ns(e.timeUnixNano),
      attributes: jsonSafe(e.attributes),
    })),
    links: span.raw.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: jsonSafe(l.attributes) })),
    resource: jsonSafe(span.raw.resource.attributes),
    scope: { name: span.raw.scope.name, version: span.raw.scope.version },
  };
}

/** Markers around matched terms in search snippets (the SQLite store's; any store may choose its own). */
export const SNIPPET_MARKERS = { start: '[[', end: ']]' } as const;

export function searchHitJson(hit: SearchHit) {
  return { ...hit, startTimeUnixNano: ns(hit.startTimeUnixNano) };
}

export function statsRowJson(row: StatsRow) {
  return {
    key: row.key,
    calls: row.calls,
    errors: row.errors,
    tokens: { ...row.tokens },
    costUsd: roundUsd(row.costUsd),
    p50DurationNanos: ns(row.p50DurationNanos),
    p95DurationNanos: ns(row.p95DurationNanos),
  };
}

// One conversion for every view (logs and metrics too): it lives in model/.
export { jsonSafe };
