/**
 * One `RawSpan` in any dialect → one `SpanRecord`.
 *
 * Hot path: runs for every span in-process and on OTLP ingest. One pass over
 * the attributes with one Map lookup per key; JSON is parsed only for
 * message/details attributes, and only once a field needs them. Never throws:
 * values of the wrong type are coerced or dropped and counted in `counts`.
 */

import { TRACELOOP_COMPLETION_PREFIX, TRACELOOP_PROMPT_PREFIX } from '../semconv/index.js';
import { toName, toNanos, toStatusCode, toTokenCount, toUsd } from './coerce.js';
import { SESSION_SLOT_ORDER, SLOTS, S } from './dialect-slots.js';
import { agentForSpan } from './agents/index.js';
import { fallbackRecord } from './fallback-record.js';
import { metricPointSessionKey } from './signal-sessions.js';
import { collectIndexed, extractContent } from './extract-content.js';
import type { IndexedMessage } from './extract-content.js';
import { computeCost, defaultPriceTable } from './pricing.js';
import type { PriceTable } from './pricing.js';
import type { Redactor } from './redaction/redactor.js';
import {
  GEN_AI_OPERATION_STEPS,
  LANGFUSE_OBSERVATION_STEPS,
  LLM_REQUEST_TYPE_STEPS,
  OPENINFERENCE_KIND_STEPS,
  SKEIN_STEPS,
  TRACELOOP_KIND_STEPS,
  VERCEL_OPERATION_STEPS,
  stepFrom,
} from './step-type.js';
import { cutLogged, isAttributes } from './truncate.js';
import type { TruncationLog } from './truncate.js';
import type { Attributes, NormalizeCounts, RawSpan, SpanCost, SpanRecord, StepType } from './types.js';
import { resolveSuppliedCost, resolveUsage, tokenUsageFromProvider } from './usage.js';

export interface NormalizeOptions {
  /**
   * Max UTF-16 length of the text the record derives for display and search:
   * input, output and reasoning text, the span name and status message
   * columns, and ids read from attributes (model, agent, user, tool; never
   * the session id, which is a key: the receiver refuses session ids over
   * 4,096 characters instead). Longer ones are cut there, their original length kept. The span
   * as it arrived (`raw`: attributes, events, links, resource, scope, name,
   * status message) is never cut. Default 4096.
   */
  maxTextLength?: number;
  /** Price table to compute cost from; default the shipped table. */
  prices?: PriceTable;
  /**
   * Applied to the span before anything is read from it, so content and the
   * kept raw span derive from redacted values; its count becomes `counts.redacted`.
   * Default none.
   */
  redactor?: Redactor;
}

export const DEFAULT_MAX_TEXT_LENGTH = 4096;

const { byKey: SLOT_BY_KEY, kinds: SLOT_KINDS, count: SLOT_COUNT } = SLOTS;
/** Copied per span: a packed array of undefined reads faster than a fresh holey one. */
const EMPTY_SLOTS: readonly unknown[] = new Array<unknown>(SLOT_COUNT).fill(undefined);
const G = 'g'.charCodeAt(0);
const SESSION_SLOTS: ReadonlySet<number> = new Set(SESSION_SLOT_ORDER);

/** Operation attributes in the order they decide the step type; `skein.step.type` overrides all. */
const STEP_SOURCES = [
  [S.stepSkein, SKEIN_STEPS],
  [S.opGenAi, GEN_AI_OPERATION_STEPS],
  [S.kindOpenInference, OPENINFERENCE_KIND_STEPS],
  [S.kindTraceloop, TRACELOOP_KIND_STEPS],
  [S.llmRequestType, LLM_REQUEST_TYPE_STEPS],
  [S.opVercel, VERCEL_OPERATION_STEPS],
  [S.kindLangfuse, LANGFUSE_OBSERVATION_STEPS],
] as const;

export function createNormalizer(options: NormalizeOptions = {}): (raw: RawSpan) => SpanRecord {
  const { prices = defaultPriceTable(), redactor } = options;
  const maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
  if (!Number.isSafeInteger(maxTextLength) || maxTextLength < 1) {
    throw new RangeError(`maxTextLength must be a positive integer, got ${String(maxTextLength)}`);
  }
  return function normalize(arrived: RawSpan): SpanRecord {
    let raw = arrived;
    let redacted = 0;
    if (redactor !== undefined) ({ span: raw, count: redacted } = redactor.redactRaw(arrived));
    let record: SpanRecord;
    try {
      record = normalizeWith(raw, maxTextLength, prices);
    } catch {
      // Reached only by values no dialect could produce (throwing getters, proxies): keep the span, say so.
      record = fallbackRecord(raw);
    }
    record.counts.redacted = redacted;
    return record;
  };
}

let defaultNormalizer: ((raw: RawSpan) => SpanRecord) | undefined;

export function normalizeSpan(raw: RawSpan, options?: NormalizeOptions): SpanRecord {
  if (options === undefined) {
    defaultNormalizer ??= createNormalizer();
    return defaultNormalizer(raw);
  }
  return createNormalizer(options)(raw);
}

function newCounts(): NormalizeCounts {
  return { coerced: 0, dropped: 0, truncated: 0, redacted: 0 };
}

function normalizeWith(raw: RawSpan, maxLength: number, prices: PriceTable): SpanRecord {
  const counts = newCounts();
  const log: TruncationLog = { maxLength, counts, lengths: undefined };
  const values = EMPTY_SLOTS.slice();
  let prompts: IndexedMessage[] | undefined;
  let completions: IndexedMessage[] | undefined;

  const attributes: Attributes = isAttributes(raw.attributes) ? raw.attributes : {};
  // An agent recognised by its resource, scope or span name (model/agents): its own keys fill the slots no
  // dialect key filled; generic keys such as `model` are read on its spans only.
  const agent = agentForSpan(raw);
  const agentSlots = agent?.slotByKey;
  let agentInput = false;
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    let slot = SLOT_BY_KEY.get(key);
    if (slot === undefined && agentSlots !== undefined) {
      slot = agentSlots.get(key);
      if (slot !== undefined) {
        if (values[slot] !== undefined) continue;
        if (slot === S.inputGenAi) agentInput = true;
      }
    } else if (agentInput && slot === S.inputGenAi) {
      agentInput = false;
    }
    if (slot !== undefined) {
      switch (SLOT_KINDS[slot]) {
        case 'name':
          // A 1 MB model name is not worth indexing whole: the column gets it cut, the attribute keeps it.
          // A session id is a key, never cut (two long ids would merge, and the original id would find nothing).
          values[slot] =
            typeof value === 'string' && !SESSION_SLOTS.has(slot)
              ? toName(cutLogged(value, `attributes.${key}`, log), counts)
              : toName(value, counts);
          break;
        case 'tokens':
          values[slot] = toTokenCount(value, counts);
          break;
        case 'usd':
          values[slot] = toUsd(value, counts);
          break;
        default:
          // Content keeps its full value here so its original length is known.
          if (value !== null && value !== undefined) values[slot] = value;
      }
    } else if (key.charCodeAt(0) === G) {
      if (key.startsWith(TRACELOOP_PROMPT_PREFIX)) {
        collectIndexed((prompts ??= []), key.slice(TRACELOOP_PROMPT_PREFIX.length), value);
      } else if (key.startsWith(TRACELOOP_COMPLETION_PREFIX)) {
        collectIndexed((completions ??= []), key.slice(TRACELOOP_COMPLETION_PREFIX.length), value);
      }
    }
  }

  // Name slots hold strings or undefined; read them in precedence order with `??`.
  const names = values as (string | undefined)[];
  const resolved = resolveStep(names);
  const { operationName } = resolved;
  let { stepType } = resolved;
  // The agent's table names its spans' step types; only Skein's own `skein.step.type` outranks it.
  const agentStep = agent?.spanSteps.get(raw.name);
  if (agentStep !== undefined && names[S.stepSkein] === undefined) stepType = agentStep;
  // The agent's spans its table does not name are its plumbing (Codex): kept, never steps.
  const internal = agent?.table.internalSpans === true && agentStep === undefined && names[S.stepSkein] === undefined;
  if (internal) stepType = 'other';
  const reported = resolveUsage(values, counts);
  // Counts from the agent's own keys follow its provider's convention (Claude Code's input leaves the cache out).
  const usage = agentInput && agent !== undefined ? tokenUsageFromProvider(reported, agent.table.tokenConvention) : reported;
  const requestModel =
    names[S.requestModelGenAi] ?? names[S.modelOpenInference] ?? names[S.modelVercel] ?? names[S.modelLangfuse] ?? null;
  const responseModel = names[S.responseModelGenAi] ?? names[S.responseModelVercel] ?? null;

  let cost: SpanCost | null = null;
  const supplied = resolveSuppliedCost(values, counts);
  if (supplied !== undefined) {
    cost = { usd: supplied, source: 'supplied' };
  } else if (usage.input !== undefined || usage.output !== undefined) {
    const price = (responseModel && prices.lookup(responseModel)) || (requestModel && prices.lookup(requestModel));
    if (price) cost = { usd: computeCost(price, usage), source: 'computed' };
  }
  const hasTokens =
    usage.input !== undefined ||
    usage.output !== undefined ||
    usage.reasoning !== undefined ||
    usage.cacheRead !== undefined ||
    usage.cacheWrite !== undefined ||
    usage.total !== undefined;

  const content = extractContent(values, prompts, completions, maxLength, counts);

  let hasException = false;
  if (Array.isArray(raw.events)) {
    for (const event of raw.events) {
      if (event && event.name === 'exception') {
        hasException = true;
        break;
      }
    }
  }
  const statusCode = toStatusCode(raw.statusCode, counts);
  const levelLangfuse = names[S.levelLangfuse];
  const isError =
    statusCode === 2 || names[S.errorType] !== undefined || hasException || levelLangfuse?.toUpperCase() === 'ERROR';

  const kindTraceloop = names[S.kindTraceloop]?.toLowerCase();
  const entityName = names[S.entityNameTraceloop];
  const providerVercel = names[S.providerVercel];
  // Vercel's `ai.model.provider` (`openai.chat`, `google.vertex.chat`) names the provider before the dot; it
  // outranks `gen_ai.system`, which the AI SDK fills with the same dotted value. Other dialects' dotted
  // names (`aws.bedrock`, `azure.ai.openai`) are whole provider names and are kept as they are.
  const provider =
    names[S.providerGenAi] ??
    (providerVercel === undefined ? undefined : providerVercel.split('.', 1)[0] || undefined) ??
    names[S.systemGenAi] ??
    names[S.providerOpenInference] ??
    names[S.systemOpenInference] ??
    agent?.table.provider ??
    null;

  const startTimeUnixNano = toNanos(raw.startTimeUnixNano, counts) ?? 0n;
  let endTimeUnixNano =
    raw.endTimeUnixNano === null || raw.endTimeUnixNano === undefined ? null : (toNanos(raw.endTimeUnixNano, counts) ?? null);
  if (endTimeUnixNano !== null && endTimeUnixNano < startTimeUnixNano) {
    // A clock that stepped back mid-span: kept (its tokens and cost count) with duration 0, counted as
    // coerced; `raw` keeps the end as sent.
    counts.coerced++;
    endTimeUnixNano = startTimeUnixNano;
  }

  const record: SpanRecord = {
    traceId: typeof raw.traceId === 'string' ? raw.traceId : '',
    spanId: typeof raw.spanId === 'string' ? raw.spanId : '',
    parentSpanId: typeof raw.parentSpanId === 'string' && raw.parentSpanId.length > 0 ? raw.parentSpanId : null,
    // Else the resource's (a process that sets `session.id` there once, as log records and metric points read it).
    sessionId: firstSession(names) ?? metricPointSessionKey({}, raw.resource),
    name: typeof raw.name === 'string' ? cutLogged(raw.name, 'name', log) : '',
    stepType,
    operationName,
    startTimeUnixNano,
    endTimeUnixNano,
    statusCode,
    statusMessage: typeof raw.statusMessage === 'string' ? cutLogged(raw.statusMessage, 'statusMessage', log) : '',
    isError,
    provider,
    requestModel,
    responseModel,
    agentName:
      names[S.agentNameGenAi] ?? names[S.agentNameOpenInference] ??
      (kindTraceloop === 'agent' && entityName !== undefined ? entityName : null) ??
      agent?.name ??
      null,
    agentId: names[S.agentIdGenAi] ?? null,
    userId:
      names[S.userOpenInference] ?? names[S.userLangfuse] ?? names[S.userVercel] ?? names[S.userTraceloop] ?? null,
    toolName:
      names[S.toolNameGenAi] ?? names[S.toolNameOpenInference] ?? names[S.toolNameVercel] ??
      (kindTraceloop === 'tool' && entityName !== undefined ? entityName : null),
    toolCallId:
      names[S.toolCallIdGenAi] ?? names[S.toolCallIdOpenInference] ?? names[S.toolCallIdVercel] ?? null,
    usage,
    cost,
    unpriced: stepType === 'llm' && cost === null && hasTokens,
    input: content.input,
    output: content.output,
    reasoning: content.reasoning,
    counts,
    // Whole: what export gives back is what arrived (after redaction).
    raw,
  };
  if (log.lengths) record.truncatedLengths = log.lengths;
  if (internal) record.internal = true;
  return record;
}

function resolveStep(names: (string | undefined)[]): { stepType: StepType; operationName: string | null } {
  let reported: string | null = null;
  for (const [slot, table] of STEP_SOURCES) {
    const value = names[slot];
    if (value === undefined) continue;
    const step = stepFrom(table, value);
    // skein.step.type is Skein's marker, not a dialect's operation: the reported operation stays the dialect's.
    if (slot !== S.stepSkein) reported ??= value;
    if (step !== undefined) {
      if (slot === S.stepSkein) return { stepType: step, operationName: firstReported(names) };
      return { stepType: step, operationName: value };
    }
  }
  return { stepType: 'other', operationName: reported };
}

function firstReported(names: (string | undefined)[]): string | null {
  for (const [slot] of STEP_SOURCES) {
    if (slot !== S.stepSkein && names[slot] !== undefined) return names[slot];
  }
  return null;
}

/** The session key: the first session slot set, in precedence order. */
function firstSession(names: readonly (string | undefined)[]): string | null {
  for (const slot of SESSION_SLOT_ORDER) {
    const name = names[slot];
    if (name !== undefined) return name;
  }
  return null;
}
