import type { Span, TracerProvider } from '@opentelemetry/api';
import type { BudgetCrossing } from '../model/budgets.js';

/** Options and per-step handles of `AgentTracer`. Plain types. */

/** One part of a GenAI message (`text`, `tool_call`, `tool_call_response`, `reasoning`, ...). */
export interface GenAiMessagePart {
  type: string;
  content?: unknown;
  [key: string]: unknown;
}

/** A message in the OTel GenAI `gen_ai.*.messages` format. */
export interface GenAiMessage {
  role: string;
  parts: GenAiMessagePart[];
  finish_reason?: string;
  [key: string]: unknown;
}

export interface SessionOptions {
  /** Defaults to a random UUID. */
  sessionId?: string;
  agentName?: string;
  userId?: string;
}

export interface SessionHandle {
  readonly sessionId: string;
  readonly span: Span;
}

export type ModelOperation = 'chat' | 'text_completion' | 'generate_content' | 'embeddings';

export interface ModelCallOptions {
  provider: string;
  model: string;
  operation?: ModelOperation;
}

export interface ModelUsage {
  /** Includes cache reads and writes, as the GenAI conventions say. */
  inputTokens: number;
  /** Includes reasoning tokens. */
  outputTokens: number;
  reasoningTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

export interface ModelCallHandle {
  readonly span: Span;
  recordUsage(usage: ModelUsage): void;
  recordCost(usd: number): void;
  setResponseModel(model: string): void;
  /** A string is taken as one user text message. */
  recordInput(messages: string | GenAiMessage[]): void;
  /** A string is taken as one assistant text message. */
  recordOutput(messages: string | GenAiMessage[]): void;
}

export interface ToolCallOptions {
  name: string;
  callId?: string;
  /** Recorded as JSON unless already a string. */
  arguments?: unknown;
}

export interface ToolCallHandle {
  readonly span: Span;
}

export interface ReasoningOptions {
  /** Span name; defaults to `reasoning`. */
  name?: string;
}

export interface ReasoningHandle {
  readonly span: Span;
  recordText(text: string): void;
}

/** What `AgentTracer` asks before a model call (`SkeinSpanProcessor` is one). */
export interface BudgetGate {
  /** The limit the session exceeded, if a new model call must be refused. */
  exceededBudget(sessionId: string): BudgetCrossing | undefined;
}

export interface AgentTracerOptions {
  tracerProvider?: TracerProvider;
  /** Instrumentation scope name; defaults to `skein`. */
  name?: string;
  /**
   * Usually the `SkeinSpanProcessor` (with `enforce: true`): `modelCall` in a
   * session over a limit throws `BudgetExceededError` without starting a span.
   */
  budgets?: BudgetGate;
}
