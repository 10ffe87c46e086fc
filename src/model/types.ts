/**
 * Plain data types shared by every layer. No behaviour lives here.
 *
 * Two shapes of a span:
 * - `RawSpan`: an OTel span as it arrived (from the SDK in-process or from an
 *   OTLP request), before any dialect is interpreted.
 * - `SpanRecord`: the same span after `normalizeSpan` read its dialect: step
 *   type, session key, model, usage, cost and content pulled out, and
 *   everything else kept losslessly.
 */

/**
 * An attribute value as Skein holds it in memory.
 * - OTLP `intValue` is a `number` when it is a safe integer, else a `bigint`.
 * - OTLP `doubleValue` is a `number`.
 * - OTLP `bytesValue` is a `Uint8Array`.
 * - OTLP `kvlistValue` is a plain object; `arrayValue` an array.
 * - An OTLP AnyValue with no value set is `null`.
 */
export type AttributeValue =
  | string
  | number
  | boolean
  | bigint
  | Uint8Array
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

/** OTLP `Span.SpanKind` numbers (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
export type SpanKindNumber = 0 | 1 | 2 | 3 | 4 | 5;

/** OTLP `Status.StatusCode` numbers (0 unset, 1 ok, 2 error). */
export type StatusCodeNumber = 0 | 1 | 2;

export interface SpanEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  /** OTLP `SpanFlags` of the link (W3C trace flags in the low byte). */
  flags: number;
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface SpanResource {
  attributes: Attributes;
  droppedAttributesCount: number;
  schemaUrl: string;
}

/** A span as it arrived, dialect not yet read. Ids are lowercase hex. */
export interface RawSpan {
  traceId: string;
  spanId: string;
  /** Empty or absent means a root span. */
  parentSpanId: string | null;
  traceState: string;
  /** OTLP `SpanFlags` (W3C trace flags in the low byte, bits 8–9 for remote-parent). */
  flags: number;
  name: string;
  kind: SpanKindNumber;
  startTimeUnixNano: bigint;
  /** null while the step is still open (in-process `onStart`). */
  endTimeUnixNano: bigint | null;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  statusCode: StatusCodeNumber;
  statusMessage: string;
  resource: SpanResource;
  scope: InstrumentationScope;
}

export const STEP_TYPES = ['agent', 'turn', 'llm', 'tool', 'reasoning', 'retrieval', 'workflow', 'other'] as const;
export type StepType = (typeof STEP_TYPES)[number];

export type CostSource = 'supplied' | 'computed';

/** Token counts of one span. Absent means "not reported", never zero. */
export interface TokenUsage {
  input?: number;
  output?: number;
  reasoning?: number;
  cacheRead?: number;
  cacheWrite?: number;
  total?: number;
}

export interface SpanCost {
  usd: number;
  source: CostSource;
}

/** A text value after redaction and truncation, with the length it had before truncation. */
export interface ContentText {
  text: string;
  /** Length in UTF-16 code units of the value as it arrived. */
  originalLength: number;
  truncated: boolean;
}

/** What normalization had to do to values that were not as the dialect says. Counted, never thrown. */
export interface NormalizeCounts {
  /** Values of the wrong type that were converted unambiguously (tokens as "12"). */
  coerced: number;
  /** Values that could not be used (negatives, NaN, non-numeric strings) and were ignored. */
  dropped: number;
  /** Text values cut to the configured limit. */
  truncated: number;
  /** Values replaced by redaction. */
  redacted: number;
}

/** One span after its dialect was read. Everything that arrived is kept (`raw`), except what redaction removed. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  /** Session key carried by this span itself; null means "inherit the trace's session". */
  sessionId: string | null;
  name: string;
  stepType: StepType;
  /** The `gen_ai.operation.name` (or the dialect's equivalent) as reported, if any. */
  operationName: string | null;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint | null;
  statusCode: StatusCodeNumber;
  statusMessage: string;
  /** Status ERROR, or an `error.type` attribute, or an exception event. */
  isError: boolean;
  provider: string | null;
  requestModel: string | null;
  responseModel: string | null;
  agentName: string | null;
  agentId: string | null;
  userId: string | null;
  toolName: string | null;
  toolCallId: string | null;
  usage: TokenUsage;
  cost: SpanCost | null;
  /** A model call whose cost is neither supplied nor in the price table. */
  unpriced: boolean;
  input: ContentText | null;
  output: ContentText | null;
  reasoning: ContentText | null;
  counts: NormalizeCounts;
  /**
   * Original UTF-16 lengths of the values this record's columns hold cut
   * (`raw` keeps them whole), by path: `name`, `statusMessage`, and
   * `attributes.<key>` for an id read from an attribute (session, model,
   * agent, user, tool). Content keeps its own in `originalLength`. Absent
   * when nothing was cut.
   */
  truncatedLengths?: Record<string, number>;
  /** The span as it arrived, whole (redacted where needed): what export reads. */
  raw: RawSpan;
  /**
   * An agent's plumbing (its table's `internalSpans`, model/agents): kept,
   * but neither a step of the timeline nor a session of the default list.
   * Absent for every other span.
   */
  internal?: true;
}

export type SessionStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface TokenTotals {
  input: number;
  output: number;
  reasoning: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface SessionSummary {
  sessionId: string;
  status: SessionStatus;
  firstStartUnixNano: bigint;
  /** null while any step is open. */
  lastEndUnixNano: bigint | null;
  spanCount: number;
  llmCallCount: number;
  toolCallCount: number;
  errorCount: number;
  openCount: number;
  interruptedCount: number;
  /** Summed only from model-call spans (stepType = llm). */
  tokens: TokenTotals;
  costUsd: number;
  suppliedCostUsd: number;
  computedCostUsd: number;
  unpricedCallCount: number;
  models: string[];
  agentName: string | null;
  userId: string | null;
  /**
   * Usage reported on agent/workflow spans that disagrees with the sum of their
   * model-call descendants. Kept as reported, never added to the totals.
   */
  usageMismatch: boolean;
  /** Traces that belong to this session. */
  traceIds: string[];
  /**
   * What to call the session: a coding agent's first prompt (Claude Code, Codex,
   * Gemini CLI: its first turn's input on one line, at most 80 characters),
   * else its agent name, else the `ai.telemetry.functionId`
   * (Vercel AI SDK), else the name of its first root span, else its service name.
   * Undefined when the store does not derive one.
   */
  title?: string | null;
  /** The newest start or end of any of its spans (what `sort: 'recent'` orders by). */
  lastActivityUnixNano?: bigint;
  /**
   * Every span of it is an agent's internal plumbing (`SpanRecord.internal`,
   * e.g. a Codex CLI trace without its `conversation.id`): the default list
   * leaves it out (`SessionQuery.includeInternal`). Undefined when the store
   * does not say.
   */
  internal?: boolean;
  /**
   * The steps its timeline shows: `spanCount` less an agent's internal
   * plumbing spans (one Codex run stores ~500 spans and shows ~20 steps).
   * Undefined when the store does not say.
   */
  stepCount?: number;
}

/** A span read back from a store: the record plus what only the store knows. */
export interface StoredSpan extends SpanRecord {
  /** The session the span belongs to after inheritance (never null once stored). */
  resolvedSessionId: string;
  /** Started but never ended by a writer that died. */
  interrupted: boolean;
}
