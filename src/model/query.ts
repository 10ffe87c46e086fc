/** Query shapes shared by stores and their callers (API, CLI). Plain data. */

import type { SessionStatus, StepType, TokenTotals } from './types.js';

export interface Page<T> {
  items: T[];
  /** Opaque; pass back as `cursor` for the next page. null when there is none. */
  nextCursor: string | null;
}

export type SessionSort = 'recent' | 'oldest' | 'newest' | 'cost' | 'tokens' | 'duration';

export interface SessionQuery {
  /** Sessions with any activity at or after this time. */
  fromUnixNano?: bigint;
  /** Sessions that started before this time. */
  toUnixNano?: bigint;
  status?: SessionStatus;
  agentName?: string;
  model?: string;
  userId?: string;
  minTokens?: number;
  minCostUsd?: number;
  sort?: SessionSort;
  limit?: number;
  cursor?: string;
  /**
   * Also list sessions made only of an agent's internal plumbing spans
   * (`SpanRecord.internal`, e.g. Codex CLI's own traces). Default false.
   */
  includeInternal?: boolean;
}

/** Options of a session's timeline and tree. */
export interface TimelineOptions {
  /** Also give an agent's internal plumbing spans as steps (`SpanRecord.internal`). Default false. */
  includeInternal?: boolean;
}

export interface TimelineStep {
  spanId: string;
  traceId: string;
  parentSpanId: string | null;
  /** 0 for a step whose parent is not in the session. */
  depth: number;
  name: string;
  stepType: StepType;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint | null;
  durationNanos: bigint | null;
  isError: boolean;
  open: boolean;
  interrupted: boolean;
  model: string | null;
  toolName: string | null;
  tokens: Partial<TokenTotals>;
  costUsd: number | null;
}

export interface TreeNode extends TimelineStep {
  children: TreeNode[];
}

export interface SpanQuery {
  sessionId?: string;
  traceId?: string;
  stepType?: StepType;
  model?: string;
  provider?: string;
  isError?: boolean;
  minDurationNanos?: bigint;
  fromUnixNano?: bigint;
  toUnixNano?: bigint;
  /** Equality on raw span attributes (string/number/boolean values). */
  attributes?: Record<string, string | number | boolean>;
  limit?: number;
  cursor?: string;
}

export interface SearchQuery {
  text: string;
  sessionId?: string;
  limit?: number;
  /** Also search an agent's internal plumbing spans (`SpanRecord.internal`). Default false. */
  includeInternal?: boolean;
}

export interface SearchHit {
  sessionId: string;
  traceId: string;
  spanId: string;
  name: string;
  stepType: StepType;
  startTimeUnixNano: bigint;
  /** Text around the match, the match wrapped in the given markers. */
  snippet: string;
}

export type StatsGroupBy = 'model' | 'provider' | 'agent' | 'user' | 'day';

export interface StatsQuery {
  groupBy: StatsGroupBy;
  fromUnixNano?: bigint;
  toUnixNano?: bigint;
}

export interface StatsRow {
  key: string;
  calls: number;
  errors: number;
  tokens: TokenTotals;
  costUsd: number;
  p50DurationNanos: bigint | null;
  p95DurationNanos: bigint | null;
}

export interface RetentionPolicy {
  /** Delete sessions whose last activity is older than this. Default 30 days. */
  maxAgeMillis?: number;
  /**
   * Keep at most this many sessions of the default list, newest by last
   * activity. Sessions of an agent's plumbing only (`SessionSummary.internal`)
   * are not counted: they go when last active no later than the newest
   * session dropped.
   */
  maxSessions?: number;
}

export interface RetentionResult {
  sessionsDeleted: number;
  spansDeleted: number;
  /** Log records of the deleted sessions, and records and points older than `maxAgeMillis` whatever their session. */
  logRecordsDeleted: number;
  metricPointsDeleted: number;
}

/** What `applyRetention` would delete now (`skein prune --dry-run`), on either store. */
export interface RetentionPreview {
  sessions: number;
  spans: number;
  /** The stored text of those spans (raw span, attributes, content) in bytes: a guide to the space freed, not a page count. */
  approxBytes: number;
  /** Log records and metric points: the sessions', and any older than the age. */
  logRecords: number;
  metricPoints: number;
}
