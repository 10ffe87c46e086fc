// The public entry point. Every export is named explicitly (no `export *`).
export type {
  AttributeValue,
  Attributes,
  ContentText,
  CostSource,
  InstrumentationScope,
  NormalizeCounts,
  RawSpan,
  SessionStatus,
  SessionSummary,
  SpanCost,
  SpanEvent,
  SpanLink,
  SpanRecord,
  SpanResource,
  StepType,
  StoredSpan,
  TokenTotals,
  TokenUsage,
} from './model/types.js';
export type {
  Page,
  RetentionPolicy,
  RetentionResult,
  SearchHit,
  SearchQuery,
  SessionQuery,
  SessionSort,
  SpanQuery,
  StatsGroupBy,
  StatsQuery,
  StatsRow,
  TimelineStep,
  TreeNode,
} from './model/query.js';
export type { TraceStore } from './store/trace-store.js';
export {
  InvalidQueryError,
  SchemaVersionError,
  SessionNotFoundError,
  StoreError,
  TraceNotFoundError,
} from './store/errors.js';
export { SkeinSpanProcessor } from './processor/skein-span-processor.js';
export type { SkeinSpanProcessorOptions } from './processor/skein-span-processor-options.js';
export type { WritableStore } from './processor/batch-writer.js';
export { readableSpanToRaw, hrTimeToUnixNano } from './processor/readable-span-to-raw.js';
export {
  AgentTracer,
  ATTR_SKEIN_MODEL_FROM,
  ATTR_SKEIN_MODEL_REASON,
  ATTR_SKEIN_MODEL_TO,
  EVENT_MODEL_SELECTED,
  EVENT_MODEL_SWITCHED,
} from './processor/agent-tracer.js';
export type {
  AgentTracerOptions,
  GenAiMessage,
  GenAiMessagePart,
  ModelCallHandle,
  ModelCallOptions,
  ModelOperation,
  ModelUsage,
  ReasoningHandle,
  ReasoningOptions,
  SessionHandle,
  SessionOptions,
  ToolCallHandle,
  ToolCallOptions,
} from './processor/agent-tracer-options.js';
export { createNormalizer, normalizeSpan, DEFAULT_MAX_TEXT_LENGTH } from './model/normalize.js';
export type { NormalizeOptions } from './model/normalize.js';
export {
  computeCost,
  createPriceTable,
  defaultPriceTable,
  loadPriceTableFile,
} from './model/pricing.js';
export type { ModelPrice, PriceTable } from './model/pricing.js';
export { isGenAiRecord } from './model/genai-filter.js';
export { otlpTracesUrl } from './otlp/traces-url.js';
export { SqliteTraceStore } from './store/sqlite/sqlite-trace-store.js';
export type { SqliteTraceStoreOptions } from './store/sqlite/sqlite-trace-store.js';
export type { SessionModelUsage } from './store/sqlite/session-queries.js';
export { createRedactor } from './model/redaction/redactor.js';
export type { RedactedSpan, RedactionOptions, Redactor } from './model/redaction/redactor.js';
export { parseRedactionConfig } from './model/redaction/redaction-config.js';
export { RedactionConfigError } from './model/redaction/redaction-pattern.js';
export type { RedactionPattern } from './model/redaction/redaction-pattern.js';
export { DEFAULT_DENY_KEYS } from './model/redaction/deny-keys.js';
export { DETECTOR_KINDS } from './model/redaction/detectors.js';
export type { DetectorKind } from './model/redaction/detectors.js';
export { BudgetExceededError } from './processor/budget-exceeded-error.js';
export type { BudgetGate } from './processor/agent-tracer-options.js';
export {
  BudgetConfigError,
  DEFAULT_WARN_AT_FRACTION,
  describeBudgetCrossing,
  effectiveBudgetLimits,
  evaluateBudgets,
  parseBudgetConfig,
} from './model/budgets.js';
export type {
  BudgetConfig,
  BudgetCrossing,
  BudgetEventRecord,
  BudgetLevel,
  BudgetLimits,
  BudgetMetric,
  BudgetScope,
  BudgetUsage,
  EffectiveBudgetLimit,
} from './model/budgets.js';
export { DEFAULT_CONFIG_FILE, SkeinConfigError, loadSkeinConfigFile, parseSkeinConfig } from './model/skein-config.js';
export type { SkeinConfig } from './model/skein-config.js';
export type { WriteOptions } from './store/sqlite/sqlite-trace-store.js';
