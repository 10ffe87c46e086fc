/**
 * Mapping between a `SpanRecord` and a `spans` row. Nothing a record holds is
 * dropped: normalized fields have columns, attributes go to `attributes`
 * (less the characters the input/output/reasoning columns already hold,
 * span-texts.ts), and the rest of the raw span (kind, flags, trace state,
 * events, links, dropped counts, any raw field that differs from its
 * normalized twin, and the text refs) to `raw`, both through the lossless
 * attributes codec. Long values shared by many spans are stored once
 * (span-values.ts) and referenced from `raw` too.
 */

import type Database from 'better-sqlite3';
import { decodeStorable, encodeStorable } from '../../model/attributes-codec.js';
import { spanContribution } from '../../model/rollup.js';
import type { SpanContribution } from '../../model/rollup.js';
import type {
  AttributeValue,
  Attributes,
  ContentText,
  InstrumentationScope,
  NormalizeCounts,
  RawSpan,
  SpanEvent,
  SpanKindNumber,
  SpanLink,
  SpanResource,
  StatusCodeNumber,
  StepType,
  StoredSpan,
  CostSource,
  SpanRecord,
} from '../../model/types.js';
import { tokenUsageOf } from '../../model/usage.js';
import { InternedReads, keyListJson } from './signal-interner.js';
import { READ_BY_SQL, cutTexts, restoreTexts } from './span-texts.js';
import type { TextRef } from './span-texts.js';
import { SHARED_VALUES_SQL, SharedValueReads, restoreValues, shareValues, valuesFromJson } from './span-values.js';
import type { ValueRef } from './span-values.js';

/** Named parameters of the span upsert, one per written column. */
export type SpanParams = Record<string, string | number | bigint | null>;

/** Columns the upsert writes, in statement order. */
export const SPAN_COLUMNS = [
  'trace_id', 'span_id', 'parent_span_id', 'session_id', 'resolved_session_id', 'name', 'step_type',
  'operation_name', 'start_ns', 'end_ns', 'status_code', 'status_message', 'is_error', 'provider',
  'request_model', 'response_model', 'model', 'agent_name', 'agent_id', 'user_id', 'tool_name', 'tool_call_id',
  'usage_input', 'usage_output', 'usage_reasoning', 'usage_cache_read', 'usage_cache_write', 'usage_total',
  'cost_usd', 'cost_source', 'unpriced', 'input_text', 'input_length', 'input_truncated', 'output_text',
  'output_length', 'output_truncated', 'reasoning_text', 'reasoning_length', 'reasoning_truncated', 'counts',
  'c_llm', 'c_tool', 'c_input', 'c_output', 'c_reasoning', 'c_cache_read', 'c_cache_write', 'c_total',
  'c_supplied_usd', 'c_computed_usd', 'c_unpriced', 'c_aggregate_usage', 'interrupted', 'writer_id',
  'resource_id', 'scope_id', 'attributes', 'raw', 'internal', 'attribute_keys',
] as const;

/** The raw span fields kept in the `raw` column; short keys because every span pays for them. */
interface RawColumn {
  k: SpanKindNumber;
  f: number;
  ts?: string;
  da?: number;
  ev?: SpanEvent[];
  de?: number;
  ln?: SpanLink[];
  dl?: number;
  // Raw values that differ from the normalized record (normally absent).
  n?: string;
  p?: string | null;
  s?: bigint;
  e?: bigint | null;
  sc?: StatusCodeNumber;
  sm?: string;
  /** `SpanRecord.truncatedLengths`, when normalization cut anything. */
  tl?: Record<string, number>;
  /** Pieces of the input/output/reasoning text cut out of `attributes` (span-texts.ts, migration 010). */
  x?: TextRef[];
  /** Long values stored once, in `span_value_texts` (span-values.ts, migration 012). */
  lv?: ValueRef[];
}

const b = (value: boolean): number => (value ? 1 : 0);

function encodeRaw(record: SpanRecord, refs: TextRef[] | undefined, valueRefs: ValueRef[] | undefined): string {
  const raw = record.raw;
  const column: RawColumn = { k: raw.kind, f: raw.flags };
  if (raw.traceState !== '') column.ts = raw.traceState;
  if (raw.droppedAttributesCount !== 0) column.da = raw.droppedAttributesCount;
  if (raw.events.length > 0) column.ev = raw.events;
  if (raw.droppedEventsCount !== 0) column.de = raw.droppedEventsCount;
  if (raw.links.length > 0) column.ln = raw.links;
  if (raw.droppedLinksCount !== 0) column.dl = raw.droppedLinksCount;
  if (raw.name !== record.name) column.n = raw.name;
  if (raw.parentSpanId !== record.parentSpanId) column.p = raw.parentSpanId;
  if (raw.startTimeUnixNano !== record.startTimeUnixNano) column.s = raw.startTimeUnixNano;
  if (raw.endTimeUnixNano !== record.endTimeUnixNano) column.e = raw.endTimeUnixNano;
  if (raw.statusCode !== record.statusCode) column.sc = raw.statusCode;
  if (raw.statusMessage !== record.statusMessage) column.sm = raw.statusMessage;
  if (record.truncatedLengths !== undefined) column.tl = record.truncatedLengths;
  if (refs !== undefined) column.x = refs;
  if (valueRefs !== undefined) column.lv = valueRefs;
  return encodeStorable(column);
}

function encodeCounts(counts: NormalizeCounts): string | null {
  if (counts.coerced === 0 && counts.dropped === 0 && counts.truncated === 0 && counts.redacted === 0) return null;
  return JSON.stringify(counts);
}

export function encodeResource(resource: SpanResource): string {
  return encodeStorable(resource);
}

export function encodeScope(scope: InstrumentationScope): string {
  return encodeStorable(scope);
}

export interface SpanRowContext {
  resolvedSessionId: string;
  contribution: SpanContribution;
  /** Set on open rows only: the writer that must end them or be found dead. */
  writerId: string | null;
  resourceId: number | bigint;
  scopeId: number | bigint;
  /**
   * The `signal_strings` id of a span's attribute keys (their JSON array,
   * interned); without it the attributes are stored as one JSON object.
   */
  attributeKeysId?: (keysJson: string) => number | bigint;
  /** The `span_values` id of a long value, its ref counted (span-values.ts); without it values stay inline. */
  sharedValueId?: (value: string) => number;
}

/**
 * Attributes as stored with their keys interned (migration 010): the keys,
 * in order, as a JSON array in `signal_strings` (spans of one kind repeat a
 * few key sets, ~250 bytes of a typical agent span's names), the values as a
 * codec JSON array in `attributes`. Spans with an attribute SQL reads by name
 * (`READ_BY_SQL`), or fewer than two, keep the JSON object.
 */
function internedAttributes(
  attributes: Attributes,
  attributeKeysId: (keysJson: string) => number | bigint,
): { values: string; keysId: number | bigint } | null {
  const keys = Object.keys(attributes);
  if (keys.length < 2) return null;
  for (const key of keys) if (READ_BY_SQL.has(key)) return null;
  return { values: encodeStorable(keys.map((key) => attributes[key])), keysId: attributeKeysId(keyListJson(keys)) };
}

const opt = (value: number | undefined): number | null => value ?? null;

export function spanParams(record: SpanRecord, context: SpanRowContext): SpanParams {
  const c = context.contribution;
  const { input, output, reasoning } = record;
  // The texts are kept in their columns: the attributes keep only what they do not repeat.
  const kept = cutTexts(record.raw.attributes, [record.input, record.output, record.reasoning]);
  // What is left of a long value, once per database.
  const shared = context.sharedValueId === undefined ? undefined : shareValues(kept.attributes, context.sharedValueId);
  const attributes = shared === undefined ? kept.attributes : shared.attributes;
  const interned = context.attributeKeysId === undefined ? null : internedAttributes(attributes, context.attributeKeysId);
  return {
    trace_id: record.traceId,
    span_id: record.spanId,
    parent_span_id: record.parentSpanId,
    session_id: record.sessionId,
    resolved_session_id: context.resolvedSessionId,
    name: record.name,
    step_type: record.stepType,
    operation_name: record.operationName,
    start_ns: record.startTimeUnixNano,
    end_ns: record.endTimeUnixNano,
    status_code: record.statusCode,
    status_message: record.statusMessage,
    is_error: b(record.isError),
    provider: record.provider,
    request_model: record.requestModel,
    response_model: record.responseModel,
    model: record.responseModel ?? record.requestModel,
    agent_name: record.agentName,
    agent_id: record.agentId,
    user_id: record.userId,
    tool_name: record.toolName,
    tool_call_id: record.toolCallId,
    usage_input: opt(record.usage.input),
    usage_output: opt(record.usage.output),
    usage_reasoning: opt(record.usage.reasoning),
    usage_cache_read: opt(record.usage.cacheRead),
    usage_cache_write: opt(record.usage.cacheWrite),
    usage_total: opt(record.usage.total),
    cost_usd: record.cost?.usd ?? null,
    cost_source: record.cost?.source ?? null,
    unpriced: b(record.unpriced),
    input_text: input === null ? null : input.text,
    input_length: input === null ? null : input.originalLength,
    input_truncated: input === null ? null : b(input.truncated),
    output_text: output === null ? null : output.text,
    output_length: output === null ? null : output.originalLength,
    output_truncated: output === null ? null : b(output.truncated),
    reasoning_text: reasoning === null ? null : reasoning.text,
    reasoning_length: reasoning === null ? null : reasoning.originalLength,
    reasoning_truncated: reasoning === null ? null : b(reasoning.truncated),
    counts: encodeCounts(record.counts),
    c_llm: b(c.llmCall),
    c_tool: b(c.toolCall),
    c_input: c.tokens.input,
    c_output: c.tokens.output,
    c_reasoning: c.tokens.reasoning,
    c_cache_read: c.tokens.cacheRead,
    c_cache_write: c.tokens.cacheWrite,
    c_total: c.totalTokens,
    c_supplied_usd: c.suppliedCostUsd,
    c_computed_usd: c.computedCostUsd,
    c_unpriced: b(c.unpriced),
    c_aggregate_usage: b(c.reportsAggregateUsage),
    interrupted: 0,
    writer_id: context.writerId,
    resource_id: context.resourceId,
    scope_id: context.scopeId,
    attributes: interned === null ? encodeStorable(attributes) : interned.values,
    raw: encodeRaw(record, kept.refs, shared?.refs),
    internal: b(record.internal === true),
    attribute_keys: interned === null ? null : interned.keysId,
  };
}

/**
 * The params in `SPAN_COLUMNS` order, for statements with positional `?`
 * placeholders: better-sqlite3 binds ~60 named parameters by a property
 * lookup each, which cost more than the insert itself (2–3× slower rows).
 * `spanParams` writes its object literal in that order (a test holds it
 * to it), so its values are the list: a lookup by name per column cost
 * ~1% of the writer thread (a keyed load seeing 61 names goes megamorphic).
 */
export function spanValues(params: SpanParams): Array<string | number | bigint | null> {
  return Object.values(params);
}

/** The row the writer inserts for a record in `context`'s session (also what bench/store-writes.ts inserts raw). */
export function spanInsertRow(record: SpanRecord, context: Omit<SpanRowContext, 'contribution'>): SpanParams {
  return spanParams(record, { ...context, contribution: spanContribution(record) });
}

/** A `spans` row as read with safe integers, joined with its resource and scope bodies. */
export interface SpanRow {
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
  status_code: bigint;
  status_message: string;
  is_error: bigint;
  provider: string | null;
  request_model: string | null;
  response_model: string | null;
  agent_name: string | null;
  agent_id: string | null;
  user_id: string | null;
  tool_name: string | null;
  tool_call_id: string | null;
  usage_input: bigint | null;
  usage_output: bigint | null;
  usage_reasoning: bigint | null;
  usage_cache_read: bigint | null;
  usage_cache_write: bigint | null;
  usage_total: bigint | null;
  cost_usd: number | null;
  cost_source: string | null;
  unpriced: bigint;
  input_text: string | null;
  input_length: bigint | null;
  input_truncated: bigint | null;
  output_text: string | null;
  output_length: bigint | null;
  output_truncated: bigint | null;
  reasoning_text: string | null;
  reasoning_length: bigint | null;
  reasoning_truncated: bigint | null;
  counts: string | null;
  interrupted: bigint;
  attributes: string;
  raw: string;
  /** 1: an agent's plumbing (`SpanRecord.internal`, migration 008). */
  internal: bigint;
  attribute_keys: bigint | null;
  resource_body: string;
  scope_body: string;
  /** The interned keys of `attributes` (a JSON array), when they are stored as values only. */
  attribute_keys_text: string | null;
  /** The row's shared values, a JSON object of id to text (`SHARED_VALUES_SQL`), or null. */
  shared_values: string | null;
}

/** SELECT list that yields a `SpanRow` from `spans s` (the change feed's one-row reads). */
export const SPAN_ROW_SELECT = `s.*, r.body AS resource_body, sc.body AS scope_body, ak.text AS attribute_keys_text,
  ${SHARED_VALUES_SQL} AS shared_values
  FROM spans s JOIN resources r ON r.id = s.resource_id JOIN resources sc ON sc.id = s.scope_id
  LEFT JOIN signal_strings ak ON ak.id = s.attribute_keys`;

/**
 * A `spans` row as a page read selects it (`SPAN_READ_COLUMNS`): an array
 * (better-sqlite3's raw mode), with the resource, scope and attribute keys
 * as ids that `SpanReader` resolves once per page. Integers come as
 * numbers, but for the times, which pass 2^53: the statement gives them as
 * decimal text and `readExactTimes` makes them bigints. A page of 100 rows
 * as objects of ~60 properties with safe integers and joined bodies cost
 * ~2 ms; as these arrays, ~0.7.
 */
export type SpanReadRow = [
  id: number,
  traceId: string,
  spanId: string,
  parentSpanId: string | null,
  sessionId: string | null,
  resolvedSessionId: string,
  name: string,
  stepType: string,
  operationName: string | null,
  startNs: bigint,
  endNs: bigint | null,
  statusCode: number,
  statusMessage: string,
  isError: number,
  provider: string | null,
  requestModel: string | null,
  responseModel: string | null,
  agentName: string | null,
  agentId: string | null,
  userId: string | null,
  toolName: string | null,
  toolCallId: string | null,
  usageInput: number | null,
  usageOutput: number | null,
  usageReasoning: number | null,
  usageCacheRead: number | null,
  usageCacheWrite: number | null,
  usageTotal: number | null,
  costUsd: number | null,
  costSource: string | null,
  unpriced: number,
  inputText: string | null,
  inputLength: number | null,
  inputTruncated: number | null,
  outputText: string | null,
  outputLength: number | null,
  outputTruncated: number | null,
  reasoningText: string | null,
  reasoningLength: number | null,
  reasoningTruncated: number | null,
  counts: string | null,
  interrupted: number,
  attributes: string,
  raw: string,
  internal: number,
  resourceId: number,
  scopeId: number,
  attributeKeys: number | null,
];

/** The columns of a `SpanReadRow` from `spans s`, in its order (times as text: see `readExactTimes`). */
export const SPAN_READ_COLUMNS = `s.id, s.trace_id, s.span_id, s.parent_span_id, s.session_id, s.resolved_session_id,
  s.name, s.step_type, s.operation_name, CAST(s.start_ns AS TEXT), CAST(s.end_ns AS TEXT), s.status_code,
  s.status_message, s.is_error, s.provider, s.request_model, s.response_model, s.agent_name, s.agent_id, s.user_id,
  s.tool_name, s.tool_call_id, s.usage_input, s.usage_output, s.usage_reasoning, s.usage_cache_read,
  s.usage_cache_write, s.usage_total, s.cost_usd, s.cost_source, s.unpriced, s.input_text, s.input_length,
  s.input_truncated, s.output_text, s.output_length, s.output_truncated, s.reasoning_text, s.reasoning_length,
  s.reasoning_truncated, s.counts, s.interrupted, s.attributes, s.raw, s.internal, s.resource_id, s.scope_id,
  s.attribute_keys`;

/** Where `SpanReadRow` keeps the values a page is ordered by. */
export const READ_ROW_ID = 0;
export const READ_ROW_START = 9;
const READ_ROW_END = 10;
const READ_ROW_RESOURCE = 45;
const READ_ROW_SCOPE = 46;
const READ_ROW_KEYS = 47;

/**
 * Rows as the `SPAN_READ_COLUMNS` statement gives them (better-sqlite3
 * without safe integers: ~20 fewer bigints a row), their times made exact.
 */
export function readExactTimes(rows: unknown[][]): SpanReadRow[] {
  for (const row of rows) {
    row[READ_ROW_START] = BigInt(row[READ_ROW_START] as string);
    if (row[READ_ROW_END] !== null) row[READ_ROW_END] = BigInt(row[READ_ROW_END] as string);
  }
  return rows as SpanReadRow[];
}

const n = (value: bigint | number): number => Number(value);

function contentOf(text: string | null, length: number | null, truncated: number | null): ContentText | null {
  if (text === null) return null;
  return { text, originalLength: length ?? text.length, truncated: truncated === 1 };
}

/** Parsed key lists by their JSON: a file has a few key sets, read again for every row (bounded: a hostile sender's are not kept). */
const keyLists = new Map<string, readonly string[]>();

function keyList(keysJson: string): readonly string[] {
  let keys = keyLists.get(keysJson);
  if (keys === undefined) {
    keys = JSON.parse(keysJson) as string[];
    if (keyLists.size >= 1000) keyLists.clear();
    keyLists.set(keysJson, keys);
  }
  return keys;
}

/**
 * The span's attributes as they arrived, from the `attributes` and `raw`
 * columns and its texts (the pieces `cutTexts` took out put back, after the
 * shared values that held them); `keys` are those of a values-only
 * `attributes` column (null: a JSON object).
 */
function decodedAttributes(
  attributes: string,
  keys: readonly string[] | null,
  rawColumn: { x?: TextRef[]; lv?: ValueRef[] },
  texts: readonly (string | null)[],
  valueOf: (id: number) => string,
): Attributes {
  let decoded: Attributes;
  if (keys === null) {
    decoded = decodeStorable<Attributes>(attributes);
  } else {
    const values = decodeStorable<AttributeValue[]>(attributes);
    decoded = {};
    for (let i = 0; i < keys.length; i++) decoded[keys[i]] = values[i];
  }
  if (rawColumn.lv !== undefined) restoreValues(decoded, rawColumn.lv, valueOf);
  return rawColumn.x === undefined ? decoded : restoreTexts(decoded, rawColumn.x, texts);
}

/** `decodedAttributes` with the keys as their interned JSON text. */
export function storedAttributes(
  attributes: string,
  keysJson: string | null,
  rawColumn: { x?: TextRef[]; lv?: ValueRef[] },
  texts: readonly (string | null)[],
  valueOf: (id: number) => string,
): Attributes {
  return decodedAttributes(attributes, keysJson === null ? null : keyList(keysJson), rawColumn, texts, valueOf);
}

/** The `raw` column's references to cut texts and shared values, parsed only when it has any (most rows do not). */
function textRefsOf(raw: string): { x?: TextRef[]; lv?: ValueRef[] } {
  return raw.includes('"x":') || raw.includes('"lv":') ? decodeStorable<RawColumn>(raw) : {};
}

/**
 * `storedAttributes` as codec JSON, for SQL that reads attributes with JSON
 * functions (the attribute filter of `getSpans`); `sharedValues` is what
 * `SHARED_VALUES_SQL` gave for the row. A row without cut texts or shared
 * values returns its `attributes` column as it is.
 */
export function storedAttributesJson(
  attributes: string,
  keysJson: string | null,
  raw: string,
  input: string | null,
  output: string | null,
  reasoning: string | null,
  sharedValues: string | null,
): string {
  const rawColumn = textRefsOf(raw);
  if (keysJson === null && rawColumn.x === undefined && rawColumn.lv === undefined) return attributes;
  const texts = [input, output, reasoning];
  return encodeStorable(storedAttributes(attributes, keysJson, rawColumn, texts, valuesFromJson(sharedValues)));
}

/**
 * One attribute of a row as a codec JSON object of that key alone (`{}`
 * when the row has none), for the attribute filter of `getSpans`: a row of
 * another key set is answered from its interned keys without reading its
 * values. A row stored as one JSON object gives its `attributes` column.
 */
export function storedAttributeJson(
  attributes: string,
  keysJson: string | null,
  raw: string,
  input: string | null,
  output: string | null,
  reasoning: string | null,
  key: string,
  sharedValues: string | null,
): string {
  if (keysJson === null) return storedAttributesJson(attributes, keysJson, raw, input, output, reasoning, sharedValues);
  const at = keyList(keysJson).indexOf(key);
  if (at < 0) return '{}';
  const rawColumn = textRefsOf(raw);
  if (rawColumn.x?.some((ref) => ref[0] === at) || rawColumn.lv?.some((ref) => ref[0] === at)) {
    const texts = [input, output, reasoning];
    const whole = storedAttributes(attributes, keysJson, rawColumn, texts, valuesFromJson(sharedValues));
    return encodeStorable({ [key]: whole[key] });
  }
  // The values are codec JSON already: the one asked for is copied as it is stored.
  return JSON.stringify({ [key]: (JSON.parse(attributes) as unknown[])[at] });
}

/**
 * The span of a row, given its resource, scope, attribute keys (null: the
 * attributes are one JSON object) and shared values. The resource and scope
 * are the span's own: not shared with another span.
 */
function storedSpanOf(
  row: SpanReadRow,
  resource: SpanResource,
  scope: InstrumentationScope,
  keys: readonly string[] | null,
  valueOf: (id: number) => string,
): StoredSpan {
  const [
    , traceId, spanId, parentSpanId, sessionId, resolvedSessionId, name, stepType, operationName, startNs, endNs,
    statusCodeColumn, statusMessage, isError, provider, requestModel, responseModel, agentName, agentId, userId,
    toolName, toolCallId, usageInput, usageOutput, usageReasoning, usageCacheRead, usageCacheWrite, usageTotal,
    costUsd, costSource, unpriced, inputText, inputLength, inputTruncated, outputText, outputLength,
    outputTruncated, reasoningText, reasoningLength, reasoningTruncated, counts, interrupted, attributes, rawText,
    internal,
  ] = row;
  const rawColumn = decodeStorable<RawColumn>(rawText);
  const statusCode = statusCodeColumn as StatusCodeNumber;
  const raw: RawSpan = {
    traceId,
    spanId,
    parentSpanId: 'p' in rawColumn ? (rawColumn.p ?? null) : parentSpanId,
    traceState: rawColumn.ts ?? '',
    flags: rawColumn.f,
    name: rawColumn.n ?? name,
    kind: rawColumn.k,
    startTimeUnixNano: rawColumn.s ?? startNs,
    endTimeUnixNano: 'e' in rawColumn ? (rawColumn.e ?? null) : endNs,
    attributes: decodedAttributes(attributes, keys, rawColumn, [inputText, outputText, reasoningText], valueOf),
    droppedAttributesCount: rawColumn.da ?? 0,
    events: rawColumn.ev ?? [],
    droppedEventsCount: rawColumn.de ?? 0,
    links: rawColumn.ln ?? [],
    droppedLinksCount: rawColumn.dl ?? 0,
    statusCode: rawColumn.sc ?? statusCode,
    statusMessage: rawColumn.sm ?? statusMessage,
    resource,
    scope,
  };
  const usage = tokenUsageOf(usageInput, usageOutput, usageReasoning, usageCacheRead, usageCacheWrite, usageTotal);
  const stored: StoredSpan = {
    traceId,
    spanId,
    parentSpanId,
    sessionId,
    name,
    stepType: stepType as StepType,
    operationName,
    startTimeUnixNano: startNs,
    endTimeUnixNano: endNs,
    statusCode,
    statusMessage,
    isError: isError === 1,
    provider,
    requestModel,
    responseModel,
    agentName,
    agentId,
    userId,
    toolName,
    toolCallId,
    usage,
    cost: costUsd === null ? null : { usd: costUsd, source: costSource as CostSource },
    unpriced: unpriced === 1,
    input: contentOf(inputText, inputLength, inputTruncated),
    output: contentOf(outputText, outputLength, outputTruncated),
    reasoning: contentOf(reasoningText, reasoningLength, reasoningTruncated),
    counts: counts === null ? { coerced: 0, dropped: 0, truncated: 0, redacted: 0 } : (JSON.parse(counts) as NormalizeCounts),
    raw,
    resolvedSessionId,
    interrupted: interrupted === 1,
  };
  if (rawColumn.tl !== undefined) stored.truncatedLengths = rawColumn.tl;
  if (internal === 1) stored.internal = true;
  return stored;
}

/**
 * Turns a page's rows into spans, reading each resource, scope, key set and
 * shared value the page names once (shared values: in the transaction the
 * rows were read in).
 */
export class SpanReader {
  private readonly interned: InternedReads;
  private readonly shared: SharedValueReads;

  constructor(db: Database.Database) {
    this.interned = new InternedReads(db);
    this.shared = new SharedValueReads(db);
  }

  spans(rows: readonly SpanReadRow[]): StoredSpan[] {
    const page = this.interned.page();
    const valueOf = this.shared.page();
    return rows.map((row) =>
      storedSpanOf(
        row,
        page.body<SpanResource>(row[READ_ROW_RESOURCE]),
        page.body<InstrumentationScope>(row[READ_ROW_SCOPE]),
        row[READ_ROW_KEYS] === null ? null : page.keyList(row[READ_ROW_KEYS]),
        valueOf,
      ),
    );
  }
}

/** The span of a `SPAN_ROW_SELECT` row (one row: its bodies joined). */
export function rowToStoredSpan(row: SpanRow): StoredSpan {
  const num = (value: bigint | null): number | null => (value === null ? null : Number(value));
  const readRow: SpanReadRow = [
    n(row.id), row.trace_id, row.span_id, row.parent_span_id, row.session_id, row.resolved_session_id, row.name,
    row.step_type, row.operation_name, row.start_ns, row.end_ns, n(row.status_code), row.status_message,
    n(row.is_error), row.provider, row.request_model, row.response_model, row.agent_name, row.agent_id, row.user_id,
    row.tool_name, row.tool_call_id, num(row.usage_input), num(row.usage_output), num(row.usage_reasoning),
    num(row.usage_cache_read), num(row.usage_cache_write), num(row.usage_total), row.cost_usd, row.cost_source,
    n(row.unpriced), row.input_text, num(row.input_length), num(row.input_truncated), row.output_text,
    num(row.output_length), num(row.output_truncated), row.reasoning_text, num(row.reasoning_length),
    num(row.reasoning_truncated), row.counts, n(row.interrupted), row.attributes, row.raw, n(row.internal), 0, 0,
    num(row.attribute_keys),
  ];
  return storedSpanOf(
    readRow,
    decodeStorable<SpanResource>(row.resource_body),
    decodeStorable<InstrumentationScope>(row.scope_body),
    row.attribute_keys_text === null ? null : keyList(row.attribute_keys_text),
    valuesFromJson(row.shared_values),
  );
}
