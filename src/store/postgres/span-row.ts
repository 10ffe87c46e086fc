/**
 * Mapping between a `SpanRecord` and a PostgreSQL `spans` row. Normalized
 * fields have columns; the attributes are one JSON text (the lossless
 * attributes codec: bigint, bytes, non-finite doubles, key order); the rest
 * of the raw span (ids, kind, flags, trace state, times, events, links,
 * dropped counts, status) is another; its resource and scope are bodies in
 * `resources`, stored once by their hash. Nothing a record holds is dropped,
 * not even a U+0000 that text columns cannot hold (`pgText`).
 */

import { createHash } from 'node:crypto';
import { decodeStorable, encodeStorable } from '../../model/attributes-codec.js';
import type {
  Attributes,
  ContentText,
  CostSource,
  InstrumentationScope,
  NormalizeCounts,
  RawSpan,
  SpanRecord,
  SpanResource,
  StatusCodeNumber,
  StepType,
  StoredSpan,
  TokenUsage,
} from '../../model/types.js';
import { tokenUsageOf } from '../../model/usage.js';

/**
 * The columns to SELECT from `spans` to rebuild a `StoredSpan` with
 * `storedSpanOfRow`, unqualified (the table may be aliased; join no other
 * table that has these names). The resource and scope bodies come from
 * `resources` by correlated subqueries.
 */
export const SPAN_ROW_COLUMNS = `id, trace_id, span_id, parent_span_id, session_id, resolved_session_id, name,
  step_type, operation_name, start_ns, end_ns, status_code, status_message, is_error, provider, request_model,
  response_model, agent_name, agent_id, user_id, tool_name, tool_call_id, usage_input, usage_output,
  usage_reasoning, usage_cache_read, usage_cache_write, usage_total, cost_usd, cost_source, unpriced, input_text,
  input_length, input_truncated, output_text, output_length, output_truncated, reasoning_text, reasoning_length,
  reasoning_truncated, counts, truncated_lengths, internal, interrupted, attributes, raw,
  (SELECT body FROM resources WHERE resources.id = resource_id) AS resource_body,
  (SELECT body FROM resources WHERE resources.id = scope_id) AS scope_body`;

/** A row as `SPAN_ROW_COLUMNS` selects it (int8 as bigint: `openPool`). */
export interface SpanRow extends UsageColumns {
  id: bigint;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  session_id: string | null;
  resolved_session_id: string;
  name: string;
  step_type: string;
  operation_name: string | null;
  start_ns: bigint;
  end_ns: bigint | null;
  status_code: number;
  status_message: string;
  is_error: boolean;
  provider: string | null;
  request_model: string | null;
  response_model: string | null;
  agent_name: string | null;
  agent_id: string | null;
  user_id: string | null;
  tool_name: string | null;
  tool_call_id: string | null;
  cost_usd: number | null;
  cost_source: string | null;
  unpriced: boolean;
  input_text: string | null;
  input_length: number | null;
  input_truncated: boolean | null;
  output_text: string | null;
  output_length: number | null;
  output_truncated: boolean | null;
  reasoning_text: string | null;
  reasoning_length: number | null;
  reasoning_truncated: boolean | null;
  counts: string | null;
  truncated_lengths: string | null;
  internal: boolean;
  interrupted: boolean;
  attributes: string;
  raw: string;
  resource_body: string;
  scope_body: string;
}

/**
 * The record's text fields a column holds. PostgreSQL text cannot hold
 * U+0000: a value with one is stored in its column with U+FFFD in its
 * place (still searchable and filterable) and exactly in `raw`'s `exact`.
 */
const TEXT_FIELDS = [
  'parentSpanId', 'sessionId', 'name', 'operationName', 'statusMessage', 'provider', 'requestModel', 'responseModel',
  'agentName', 'agentId', 'userId', 'toolName', 'toolCallId',
] as const;
type TextField = (typeof TEXT_FIELDS)[number] | 'input' | 'output' | 'reasoning';

/** The raw span less what has a column or table of its own (attributes, resource, scope). */
type RawColumn = Omit<RawSpan, 'attributes' | 'resource' | 'scope'> & {
  /** The record's text fields that hold U+0000, exactly (their columns hold `pgText` of them). */
  exact?: Partial<Record<TextField, string>>;
};

/** `value` as a text column can hold it: U+0000 as U+FFFD. */
export function pgText<T extends string | null>(value: T): T {
  return (value !== null && value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value) as T;
}

/** The record's text fields that a column cannot hold as they are; undefined when none (nearly always). */
function exactTexts(record: SpanRecord): RawColumn['exact'] {
  let exact: RawColumn['exact'];
  const keep = (field: TextField, value: string | null | undefined): void => {
    if (value == null || !value.includes('\u0000')) return;
    exact ??= {};
    exact[field] = value;
  };
  for (const field of TEXT_FIELDS) keep(field, record[field]);
  keep('input', record.input?.text);
  keep('output', record.output?.text);
  keep('reasoning', record.reasoning?.text);
  return exact;
}

/** The `raw` column's text. */
export function encodeRawColumn(record: SpanRecord): string {
  const { attributes: _attributes, resource: _resource, scope: _scope, ...rest } = record.raw;
  const exact = exactTexts(record);
  return encodeStorable(exact === undefined ? rest : { ...rest, exact });
}

/** `counts` as JSON, null when normalization counted nothing (most spans). */
export function encodeCounts(counts: NormalizeCounts): string | null {
  if (counts.coerced === 0 && counts.dropped === 0 && counts.truncated === 0 && counts.redacted === 0) return null;
  return JSON.stringify(counts);
}

/** A resource or scope body as stored in `resources`, and the hash that keeps it once. */
export interface ResourceBody {
  hash: string;
  body: string;
}

export function resourceBodyOf(value: SpanResource | InstrumentationScope): ResourceBody {
  const body = encodeStorable(value);
  return { hash: createHash('sha256').update(body).digest('base64'), body };
}

const num = (value: bigint | null): number | null => (value === null ? null : Number(value));

/** The `usage_*` columns of a `spans` row (int8, null when the span did not report it). */
export interface UsageColumns {
  usage_input: bigint | null;
  usage_output: bigint | null;
  usage_reasoning: bigint | null;
  usage_cache_read: bigint | null;
  usage_cache_write: bigint | null;
  usage_total: bigint | null;
}

/** A span's usage from its `usage_*` columns, for the span reads and the rollup alike. */
export function usageOfColumns(row: UsageColumns): TokenUsage {
  return tokenUsageOf(
    num(row.usage_input),
    num(row.usage_output),
    num(row.usage_reasoning),
    num(row.usage_cache_read),
    num(row.usage_cache_write),
    num(row.usage_total),
  );
}

function contentOf(text: string | null, length: number | null, truncated: boolean | null): ContentText | null {
  if (text === null) return null;
  return { text, originalLength: length ?? text.length, truncated: truncated === true };
}

const NO_COUNTS: NormalizeCounts = { coerced: 0, dropped: 0, truncated: 0, redacted: 0 };

/** The span of a `SPAN_ROW_COLUMNS` row, exactly as it was written. */
export function storedSpanOfRow(row: SpanRow): StoredSpan {
  const { exact, ...rawFields } = decodeStorable<RawColumn>(row.raw);
  const raw: RawSpan = {
    ...rawFields,
    attributes: decodeStorable<Attributes>(row.attributes),
    resource: decodeStorable<SpanResource>(row.resource_body),
    scope: decodeStorable<InstrumentationScope>(row.scope_body),
  };
  const stored: StoredSpan = {
    traceId: row.trace_id,
    spanId: row.span_id,
    parentSpanId: row.parent_span_id,
    sessionId: row.session_id,
    name: row.name,
    stepType: row.step_type as StepType,
    operationName: row.operation_name,
    startTimeUnixNano: row.start_ns,
    endTimeUnixNano: row.end_ns,
    statusCode: row.status_code as StatusCodeNumber,
    statusMessage: row.status_message,
    isError: row.is_error,
    provider: row.provider,
    requestModel: row.request_model,
    responseModel: row.response_model,
    agentName: row.agent_name,
    agentId: row.agent_id,
    userId: row.user_id,
    toolName: row.tool_name,
    toolCallId: row.tool_call_id,
    usage: usageOfColumns(row),
    cost: row.cost_usd === null ? null : { usd: row.cost_usd, source: row.cost_source as CostSource },
    unpriced: row.unpriced,
    input: contentOf(row.input_text, row.input_length, row.input_truncated),
    output: contentOf(row.output_text, row.output_length, row.output_truncated),
    reasoning: contentOf(row.reasoning_text, row.reasoning_length, row.reasoning_truncated),
    counts: row.counts === null ? { ...NO_COUNTS } : (JSON.parse(row.counts) as NormalizeCounts),
    raw,
    resolvedSessionId: row.resolved_session_id,
    interrupted: row.interrupted,
  };
  if (exact !== undefined) restoreExact(stored, exact);
  if (row.truncated_lengths !== null) stored.truncatedLengths = JSON.parse(row.truncated_lengths) as Record<string, number>;
  if (row.internal) stored.internal = true;
  return stored;
}

/** Puts back the text fields with U+0000 that their columns hold as U+FFFD. */
function restoreExact(stored: StoredSpan, exact: NonNullable<RawColumn['exact']>): void {
  for (const field of TEXT_FIELDS) {
    const value = exact[field];
    if (value !== undefined) stored[field] = value;
  }
  for (const field of ['input', 'output', 'reasoning'] as const) {
    const value = exact[field];
    const content = stored[field];
    if (value !== undefined && content !== null) stored[field] = { ...content, text: value };
  }
}
