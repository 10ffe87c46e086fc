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
