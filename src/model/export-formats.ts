/**
 * Skein JSONL: one line per step of a session, in start order. Each line is
 * readable on its own (times as decimal strings, tokens, cost, content) and
 * carries the span as it arrived under `raw` (lossless: 64-bit integers and
 * bytes tagged as in the store's attribute codec), so `skein import` can
 * read it back into the same spans.
 */

import { decodeStorable, encodeStorable } from './attributes-codec.js';
import type { TimelineStep } from './query.js';
import type { ContentText, RawSpan, StoredSpan } from './types.js';

export const STEP_LINE_TYPE = 'skein.step';
export const STEP_LINE_VERSION = 1;

const ns = (value: bigint | null): string | null => (value === null ? null : value.toString());
const content = (c: ContentText | null) =>
  c === null ? null : { text: c.text, originalLength: c.originalLength, truncated: c.truncated };

/** One JSONL line (no newline) for a stored span and, when known, its timeline step (depth, open). */
export function stepLine(span: StoredSpan, step?: TimelineStep): string {
  return JSON.stringify({
    type: STEP_LINE_TYPE,
    v: STEP_LINE_VERSION,
    sessionId: span.resolvedSessionId,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    depth: step?.depth ?? null,
    name: span.name,
    stepType: span.stepType,
    startTimeUnixNano: ns(span.startTimeUnixNano),
    endTimeUnixNano: ns(span.endTimeUnixNano),
    durationNanos: span.endTimeUnixNano === null ? null : ns(span.endTimeUnixNano - span.startTimeUnixNano),
    statusCode: span.statusCode,
    statusMessage: span.statusMessage,
    isError: span.isError,
    open: step?.open ?? (span.endTimeUnixNano === null && !span.interrupted),
    interrupted: span.interrupted,
    provider: span.provider,
    requestModel: span.requestModel,
    responseModel: span.responseModel,
    agentName: span.agentName,
    userId: span.userId,
    toolName: span.toolName,
    toolCallId: span.toolCallId,
    usage: span.usage,
    cost: span.cost,
    unpriced: span.unpriced,
    /** Values redaction replaced in this span (`counts.redacted`). */
    redacted: span.counts.redacted,
    input: content(span.input),
    output: content(span.output),
    reasoning: content(span.reasoning),
    raw: JSON.parse(encodeStorable(span.raw)) as unknown,
  });
}

/** The whole session as JSONL, spans in start order, one trailing newline. */
export function stepsToJsonl(spans: readonly StoredSpan[], steps: readonly TimelineStep[] = []): string {
  const byKey = new Map(steps.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const ordered = [...spans].sort((a, b) =>
    a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0,
  );
  return ordered.map((span) => `${stepLine(span, byKey.get(`${span.traceId}/${span.spanId}`))}\n`).join('');
}

/** A line of a Skein JSONL file that is not one. */
export class StepLineError extends Error {
  override name = 'StepLineError';
}

/** Whether a parsed JSON value is a Skein step line (as opposed to, say, an OTLP request). */
export function isStepLine(value: unknown): value is { type: string; raw: unknown } {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === STEP_LINE_TYPE;
}

/** The span a parsed step line carries. Throws `StepLineError` naming what is missing. */
export function rawSpanOfStepLine(value: { raw: unknown; v?: unknown }): RawSpan {
  if (value.v !== STEP_LINE_VERSION) throw new StepLineError(`unsupported skein.step version ${String(value.v)}`);
  if (typeof value.raw !== 'object' || value.raw === null) throw new StepLineError('skein.step line without raw span');
  const raw = decodeStorable<RawSpan>(JSON.stringify(value.raw));
  const problems: string[] = [];
  if (typeof raw.traceId !== 'string' || !/^[0-9a-f]{32}$/.test(raw.traceId)) problems.push('raw.traceId');
  if (typeof raw.spanId !== 'string' || !/^[0-9a-f]{16}$/.test(raw.spanId)) problems.push('raw.spanId');
  if (typeof raw.startTimeUnixNano !== 'bigint') problems.push('raw.startTimeUnixNano');
  if (raw.endTimeUnixNano !== null && typeof raw.endTimeUnixNano !== 'bigint') problems.push('raw.endTimeUnixNano');
  if (typeof raw.name !== 'string') problems.push('raw.name');
  if (typeof raw.attributes !== 'object' || raw.attributes === null) problems.push('raw.attributes');
  if (typeof raw.resource !== 'object' || raw.resource === null) problems.push('raw.resource');
  if (typeof raw.scope !== 'object' || raw.scope === null) problems.push('raw.scope');
  if (problems.length > 0) throw new StepLineError(`skein.step line with missing or malformed ${problems.join(', ')}`);
  return {
    ...raw,
    parentSpanId: raw.parentSpanId || null,
    traceState: raw.traceState ?? '',
    flags: raw.flags ?? 0,
    kind: raw.kind ?? 0,
    droppedAttributesCount: raw.droppedAttributesCount ?? 0,
    events: raw.events ?? [],
    droppedEventsCount: raw.droppedEventsCount ?? 0,
    links: raw.links ?? [],
    droppedLinksCount: raw.droppedLinksCount ?? 0,
    statusCode: raw.statusCode ?? 0,
    statusMessage: raw.statusMessage ?? '',
  };
}
