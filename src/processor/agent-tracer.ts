import { randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_SKEIN_REASONING_CONTENT,
  ATTR_SKEIN_STEP_TYPE,
  ATTR_TRACELOOP_USAGE_COST,
  ATTR_USER_ID,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
  GEN_AI_PART_TYPE_TEXT,
  SKEIN_STEP_TYPE_VALUE_REASONING,
} from '../semconv/index.js';
import type {
  AgentTracerOptions,
  BudgetGate,
  GenAiMessage,
  ModelCallHandle,
  ModelCallOptions,
  ReasoningHandle,
  ReasoningOptions,
  SessionHandle,
  SessionOptions,
  ToolCallHandle,
  ToolCallOptions,
} from './agent-tracer-options.js';
import { SESSION_ID_KEY, activeAgentContext, activeSessionId, withAgentContext } from './agent-context.js';
import { BudgetExceededError } from './budget-exceeded-error.js';

/** Span events AgentTracer adds for model routing decisions. */
export const EVENT_MODEL_SELECTED = 'skein.model.selected';
export const EVENT_MODEL_SWITCHED = 'skein.model.switched';
export const ATTR_SKEIN_MODEL_FROM = 'skein.model.from';
export const ATTR_SKEIN_MODEL_TO = 'skein.model.to';
export const ATTR_SKEIN_MODEL_REASON = 'skein.model.reason';

function isTracer(value: unknown): value is Tracer {
  return typeof value === 'object' && value !== null && typeof (value as Tracer).startSpan === 'function';
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

function toJson(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Circular structures and BigInts cannot be JSON; the app's call must not fail for it.
    return String(value);
  }
}

function messagesJson(messages: string | GenAiMessage[], role: string): string {
  if (typeof messages !== 'string') return toJson(messages);
  return toJson([{ role, parts: [{ type: GEN_AI_PART_TYPE_TEXT, content: messages }] }]);
}

function recordFailure(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setAttribute(ATTR_ERROR_TYPE, err.name || 'Error');
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
}

/**
 * Small helpers that emit OTel GenAI spans for an agent: a session, model
 * calls, tool calls and reasoning steps. Each helper runs its callback inside
 * an active span and ends it when the callback returns (or its promise
 * settles); a throw is recorded on the span (status ERROR) and re-thrown.
 * Every step carries the session id of the session around it.
 */
export class AgentTracer {
  private readonly tracer: Tracer;
  private readonly budgets: BudgetGate | undefined;

  constructor(tracer?: Tracer | AgentTracerOptions) {
    if (isTracer(tracer)) {
      this.tracer = tracer;
    } else {
      const provider = tracer?.tracerProvider ?? trace.getTracerProvider();
      this.tracer = provider.getTracer(tracer?.name ?? 'skein');
      this.budgets = tracer?.budgets;
    }
  }

  /** The session id active around the caller, if any. */
  currentSessionId(): string | undefined {
    return activeSessionId();
  }

  session<T>(options: SessionOptions, fn: (session: SessionHandle) => T): T {
    const sessionId = options.sessionId ?? randomUUID();
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
      [ATTR_GEN_AI_CONVERSATION_ID]: sessionId,
    };
    if (options.agentName !== undefined) attributes[ATTR_GEN_AI_AGENT_NAME] = options.agentName;
    if (options.userId !== undefined) attributes[ATTR_USER_ID] = options.userId;
    const name = options.agentName === undefined ? 'invoke_agent' : `invoke_agent ${options.agentName}`;
    return this.run(name, SpanKind.INTERNAL, attributes, sessionId, (span) => fn({ sessionId, span }));
  }

  /** Throws `BudgetExceededError` (before starting anything) in a session over a limit, when `budgets` enforces one. */
  modelCall<T>(options: ModelCallOptions, fn: (call: ModelCallHandle) => T): T {
    const sessionId = this.budgets === undefined ? undefined : activeSessionId();
    const exceeded = sessionId === undefined ? undefined : this.budgets?.exceededBudget(sessionId);
    if (exceeded !== undefined) throw new BudgetExceededError(exceeded);
    const operation = options.operation ?? GEN_AI_OPERATION_NAME_VALUE_CHAT;
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: operation,
      [ATTR_GEN_AI_PROVIDER_NAME]: options.provider,
      [ATTR_GEN_AI_REQUEST_MODEL]: options.model,
    };
    return this.run(`${operation} ${options.model}`, SpanKind.CLIENT, attributes, undefined, (span) =>
      fn({
        span,
        recordUsage(usage) {
          const values: Attributes = {
            [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: usage.inputTokens,
            [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: usage.outputTokens,
          };
          if (usage.reasoningTokens !== undefined) values[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoningTokens;
          if (usage.cacheReadTokens !== undefined) values[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = usage.cacheReadTokens;
          if (usage.cacheWriteTokens !== undefined) values[ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cacheWriteTokens;
          span.setAttributes(values);
        },
        recordCost(usd) {
          span.setAttribute(ATTR_TRACELOOP_USAGE_COST, usd);
        },
        setResponseModel(model) {
          span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, model);
        },
        recordInput(messages) {
          span.setAttribute(ATTR_GEN_AI_INPUT_MESSAGES, messagesJson(messages, 'user'));
        },
        recordOutput(messages) {
          span.setAttribute(ATTR_GEN_AI_OUTPUT_MESSAGES, messagesJson(messages, 'assistant'));
        },
      }),
    );
  }

  toolCall<T>(options: ToolCallOptions, fn: (tool: ToolCallHandle) => T): T {
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
      [ATTR_GEN_AI_TOOL_NAME]: options.name,
    };
    if (options.callId !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_ID] = options.callId;
    if (options.arguments !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = toJson(options.arguments);
    return this.run(
      `${GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL} ${options.name}`,
      SpanKind.INTERNAL,
      attributes,
      undefined,
      (span) => fn({ span }),
      (span, result) => {
        if (result !== undefined) span.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, toJson(result));
      },
    );
  }

  reasoning<T>(options: ReasoningOptions, fn: (step: ReasoningHandle) => T): T {
    const attributes: Attributes = { [ATTR_SKEIN_STEP_TYPE]: SKEIN_STEP_TYPE_VALUE_REASONING };
    return this.run(options.name ?? 'reasoning', SpanKind.INTERNAL, attributes, undefined, (span) =>
      fn({
        span,
        recordText(text) {
          span.setAttribute(ATTR_SKEIN_REASONING_CONTENT, text);
        },
      }),
    );
  }

  /** Adds a model-selected event to the current step (no-op outside one). */
  modelSelected(model: string, reason?: string): void {
    const attributes: Attributes = { [ATTR_GEN_AI_REQUEST_MODEL]: model };
    if (reason !== undefined) attributes[ATTR_SKEIN_MODEL_REASON] = reason;
    trace.getSpan(activeAgentContext())?.addEvent(EVENT_MODEL_SELECTED, attributes);
  }

  /** Adds a model-switched event to the current step (no-op outside one). */
  modelSwitched(from: string, to: string, reason?: string): void {
    const attributes: Attributes = { [ATTR_SKEIN_MODEL_FROM]: from, [ATTR_SKEIN_MODEL_TO]: to };
    if (reason !== undefined) attributes[ATTR_SKEIN_MODEL_REASON] = reason;
    trace.getSpan(activeAgentContext())?.addEvent(EVENT_MODEL_SWITCHED, attributes);
  }

  private run<T>(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    newSessionId: string | undefined,
    fn: (span: Span) => T,
    onResult?: (span: Span, result: unknown) => void,
  ): T {
    const parent = activeAgentContext();
    const sessionId = newSessionId ?? activeSessionId();
    // Set before start, so the open step the processor records already has its session.
    if (sessionId !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = sessionId;
    const span = this.tracer.startSpan(name, { kind, attributes }, parent);
    let ctx = trace.setSpan(parent, span);
    if (sessionId !== undefined) ctx = ctx.setValue(SESSION_ID_KEY, sessionId);

    const succeed = (result: unknown): void => {
      try {
        onResult?.(span, result);
      } finally {
        span.end();
      }
    };
    const fail = (error: unknown): void => {
      recordFailure(span, error);
      span.end();
    };

    let result: T;
    try {
      result = withAgentContext(ctx, () => fn(span));
    } catch (error) {
      fail(error);
      throw error;
    }
    if (!isPromiseLike(result)) {
      succeed(result);
      return result;
    }
    return Promise.resolve(result).then(
      (value) => {
        succeed(value);
        return value;
      },
      (error: unknown) => {
        fail(error);
        throw error;
      },
    ) as T;
  }
}
