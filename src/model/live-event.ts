/**
 * The events of the change feed behind the live stream (`GET /api/live`,
 * `skein tail`). Each is one row of the store's feed; `seq` is its id, strictly
 * increasing in commit order, so "everything after seq N" has no gap and no
 * duplicate.
 *
 * Steps and sessions travel in the same JSON shapes as the query API's
 * timeline steps and sessions (nanosecond times as decimal strings), so a
 * client can merge a streamed step into a fetched timeline by span id.
 */

import type { BudgetEventRecord, BudgetLevel, BudgetMetric, BudgetScope } from './budgets.js';
import type { LogRecordJson } from './log-view.js';
import { roundUsd } from './pricing.js';
import { spanModel } from './rollup.js';
import type { SessionStatus, SessionSummary, SpanRecord, StepType, TokenTotals } from './types.js';

export const CHANGE_KINDS = ['span.started', 'span.ended', 'session.updated', 'session.interrupted', 'budget', 'log'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** A step as the stream shows it: the query API's timeline step without `depth` and the content previews. */
export interface LiveStep {
  sessionId: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  stepType: StepType;
  startTimeUnixNano: string;
  endTimeUnixNano: string | null;
  durationNanos: string | null;
  status: 'unset' | 'ok' | 'error';
  statusMessage: string;
  isError: boolean;
  open: boolean;
  interrupted: boolean;
  provider: string | null;
  model: string | null;
  toolName: string | null;
  agentName: string | null;
  tokens: Partial<TokenTotals>;
  costUsd: number | null;
}

/** A session summary as the query API shows it, without `traceIds` (fetch the session for those). */
export interface LiveSession {
  sessionId: string;
  status: SessionStatus;
  firstStartUnixNano: string;
  lastEndUnixNano: string | null;
  durationNanos: string | null;
  spanCount: number;
  llmCallCount: number;
  toolCallCount: number;
  errorCount: number;
  openCount: number;
  interruptedCount: number;
  tokens: TokenTotals;
  costUsd: number;
  computedCostUsd: number;
  suppliedCostUsd: number;
  unpricedCallCount: number;
  models: string[];
  agentName: string | null;
  userId: string | null;
  usageMismatch: boolean;
  /** What to call the session: its agent name, else the Vercel function id, root span name or service name. */
  title: string | null;
  /** The newest start or end of any of its spans: what the `recent` order sorts by. */
  lastActivityUnixNano: string;
}

interface ChangeEventBase {
  /** The event id: strictly increasing in commit order across every writer of the database. */
  seq: number;
  /** When the change was committed (the writer's clock), Unix milliseconds. */
  atUnixMillis: number;
  sessionId: string;
}

export interface StepStartedEvent extends ChangeEventBase {
  kind: 'span.started';
  step: LiveStep;
}

export interface StepEndedEvent extends ChangeEventBase {
  kind: 'span.ended';
  step: LiveStep;
}

export interface SessionUpdatedEvent extends ChangeEventBase {
  kind: 'session.updated';
  session: LiveSession;
}

/** Steps of the session left open by a writer that died or fell silent: nothing will end them. */
export interface SessionInterruptedEvent extends ChangeEventBase {
  kind: 'session.interrupted';
  steps: Array<{ traceId: string; spanId: string }>;
}

/** A budget crossing as the stream shows it (see model/budgets.ts); the event's `sessionId` is the session's. */
export interface LiveBudget {
  scope: BudgetScope;
  /** The agent name or user id of an `agent`/`user` limit; the session id for `session`. */
  key: string;
  metric: BudgetMetric;
  level: BudgetLevel;
  limit: number;
  used: number;
  /** The span whose write made the session cross, when known. */
  traceId: string | null;
  spanId: string | null;
}

/** The session reached a budget's warning threshold or its limit; sent once per session, scope, metric and level. */
export interface BudgetEvent extends ChangeEventBase {
  kind: 'budget';
  budget: LiveBudget;
}

/**
 * A log record (an agent's event: a prompt, an API request, a tool result) of
 * the session was stored; `log` is the record as the query API shows it.
 */
export interface LogEvent extends ChangeEventBase {
  kind: 'log';
  log: LogRecordJson;
}

export type ChangeEvent =
  | StepStartedEvent
  | StepEndedEvent
  | SessionUpdatedEvent
  | SessionInterruptedEvent
  | BudgetEvent
  | LogEvent;

function tokensOf(record: SpanRecord): Partial<TokenTotals> {
  const tokens: Partial<TokenTotals> = {};
  const usage = record.usage;
  if (usage.input !== undefined) tokens.input = usage.input;
  if (usage.output !== undefined) tokens.output = usage.output;
  if (usage.reasoning !== undefined) tokens.reasoning = usage.reasoning;
  if (usage.cacheRead !== undefined) tokens.cacheRead = usage.cacheRead;
  if (usage.cacheWrite !== undefined) tokens.cacheWrite = usage.cacheWrite;
  return tokens;
}

/**
 * The step a record shows. `started` gives the step as it began (open, no end
 * yet) even when the record that announced it had already ended: a step that
 * started and ended between two flushes is still seen to start.
 */
export function liveStepOf(record: SpanRecord, sessionId: string, view: 'started' | 'ended'): LiveStep {
  const ended = view === 'ended' && record.endTimeUnixNano !== null;
  const end = ended ? record.endTimeUnixNano : null;
  return {
    sessionId,
    traceId: record.traceId,
    spanId: record.spanId,
    parentSpanId: record.parentSpanId,
    name: record.name,
    stepType: record.stepType,
    startTimeUnixNano: record.startTimeUnixNano.toString(),
    endTimeUnixNano: end === null ? null : end.toString(),
    durationNanos: end === null ? null : (end - record.startTimeUnixNano).toString(),
    status: !ended ? 'unset' : record.statusCode === 2 ? 'error' : record.statusCode === 1 ? 'ok' : 'unset',
    statusMessage: ended ? record.statusMessage : '',
    isError: ended && record.isError,
    open: !ended,
    interrupted: false,
    provider: record.provider,
    model: spanModel(record),
    toolName: record.toolName,
    agentName: record.agentName,
    tokens: ended ? tokensOf(record) : {},
    costUsd: ended && record.cost ? roundUsd(record.cost.usd) : null,
  };
}

/** The step as it began: what `span.started` shows of a step known only once it ended. */
export function startedViewOf(step: LiveStep): LiveStep {
  return {
    ...step,
    endTimeUnixNano: null,
    durationNanos: null,
    status: 'unset',
    statusMessage: '',
    isError: false,
    open: true,
    interrupted: false,
    tokens: {},
    costUsd: null,
  };
}

export function liveSessionOf(s: SessionSummary): LiveSession {
  return {
    sessionId: s.sessionId,
    status: s.status,
    firstStartUnixNano: s.firstStartUnixNano.toString(),
    lastEndUnixNano: s.lastEndUnixNano === null ? null : s.lastEndUnixNano.toString(),
    durationNanos: s.lastEndUnixNano === null ? null : (s.lastEndUnixNano - s.firstStartUnixNano).toString(),
    spanCount: s.spanCount,
    llmCallCount: s.llmCallCount,
    toolCallCount: s.toolCallCount,
    errorCount: s.errorCount,
    openCount: s.openCount,
    interruptedCount: s.interruptedCount,
    tokens: { ...s.tokens },
    costUsd: roundUsd(s.costUsd),
    computedCostUsd: roundUsd(s.computedCostUsd),
    suppliedCostUsd: roundUsd(s.suppliedCostUsd),
    unpricedCallCount: s.unpricedCallCount,
    models: [...s.models],
    agentName: s.agentName,
    userId: s.userId,
    usageMismatch: s.usageMismatch,
    title: s.title ?? s.agentName,
    lastActivityUnixNano: (s.lastActivityUnixNano ?? s.lastEndUnixNano ?? s.firstStartUnixNano).toString(),
  };
}

export function liveBudgetOf(event: BudgetEventRecord): LiveBudget {
  return {
    scope: event.scope,
    key: event.key,
    metric: event.metric,
    level: event.level,
    limit: event.limit,
    used: event.used,
    traceId: event.traceId,
    spanId: event.spanId,
  };
}
