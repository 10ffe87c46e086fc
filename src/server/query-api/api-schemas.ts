/** JSON Schemas of the query API's responses, for the OpenAPI document. */

import { BUDGET_LEVELS, BUDGET_METRICS, BUDGET_SCOPES } from '../../model/budgets.js';
import { STEP_TYPES } from '../../model/types.js';
import { OPERATIONS_SCHEMAS } from './operations.js';
import type { JsonSchema } from './params.js';
import { SIGNAL_SCHEMAS, STEP_LOG_PROPERTIES } from './signal-schemas.js';
import { SESSION_STATUSES, STATS_GROUPS } from '../../query/query-options.js';

const nanos = (description: string, nullable = false): JsonSchema => ({
  type: nullable ? ['string', 'null'] : 'string',
  pattern: '^\\d+$',
  description: `${description} Nanoseconds as a decimal string (exact: values exceed 2^53).`,
});
const str = (nullable = false): JsonSchema => ({ type: nullable ? ['string', 'null'] : 'string' });
const int: JsonSchema = { type: 'integer' };
const num = (nullable = false): JsonSchema => ({ type: nullable ? ['number', 'null'] : 'number' });
const bool: JsonSchema = { type: 'boolean' };
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const obj = (properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
});
const tokenKinds = ['input', 'output', 'reasoning', 'cacheRead', 'cacheWrite'];

const stepProperties: Record<string, JsonSchema> = {
  spanId: str(),
  traceId: str(),
  parentSpanId: str(true),
  depth: { type: 'integer', description: '0 for a step whose parent is not in the session.' },
  name: str(),
  stepType: { type: 'string', enum: STEP_TYPES },
  startTimeUnixNano: nanos('Start.'),
  endTimeUnixNano: nanos('End; null while open.', true),
  durationNanos: nanos('Duration; null while open.', true),
  status: { type: 'string', enum: ['unset', 'ok', 'error'] },
  statusMessage: str(),
  isError: bool,
  open: { type: 'boolean', description: 'Still running.' },
  interrupted: { type: 'boolean', description: 'Started by a process that died before ending it.' },
  provider: str(true),
  model: str(true),
  toolName: str(true),
  tokens: ref('PartialTokens'),
  costUsd: num(true),
  costSource: { type: ['string', 'null'], description: 'supplied or computed; null when the step has no cost.' },
  inputPreview: { type: ['string', 'null'], description: 'First characters of the input, on one line.' },
  outputPreview: { type: ['string', 'null'], description: 'First characters of the output, on one line.' },
};

const sessionProperties: Record<string, JsonSchema> = {
  sessionId: str(),
  status: { type: 'string', enum: SESSION_STATUSES },
  firstStartUnixNano: nanos('First step start.'),
  lastEndUnixNano: nanos('Last step end; null while a step is open.', true),
  durationNanos: nanos('From first start to last end; null while running.', true),
  spanCount: int,
  llmCallCount: int,
  toolCallCount: int,
  errorCount: int,
  openCount: int,
  interruptedCount: int,
  tokens: ref('Tokens'),
  costUsd: num(),
  computedCostUsd: { type: 'number', description: 'Part of the cost computed from the price table.' },
  suppliedCostUsd: { type: 'number', description: 'Part of the cost the spans carried.' },
  unpricedCallCount: { type: 'integer', description: 'Model calls with no supplied cost and no price.' },
  models: { type: 'array', items: str() },
  agentName: str(true),
  userId: str(true),
  usageMismatch: { type: 'boolean', description: 'Usage on agent spans disagrees with the sum of their model calls.' },
  title: { type: ['string', 'null'], description: "What to call it: a coding agent's first prompt (one line, at most 80 characters), else the agent name, else ai.telemetry.functionId, else the first root span name, else service.name." },
  lastActivityUnixNano: nanos('Newest start or end of any step: what sort=recent orders by.'),
  traceIds: { type: 'array', items: str() },
  internal: {
    type: 'boolean',
    description: "Every span of it is an agent's internal plumbing (Codex CLI's own traces): listed only with internal=true.",
  },
  stepCount: { type: 'integer', description: "Steps its timeline shows: spanCount less an agent's internal plumbing spans." },
};

const content: JsonSchema = {
  type: ['object', 'null'],
  properties: { text: str(), originalLength: int, truncated: bool },
};

const budgetScope: JsonSchema = {
  type: 'string',
  enum: BUDGET_SCOPES,
  description: 'session: limits for every session; agent / user: limits for each session of that agent name / user id.',
};
const budgetMetric: JsonSchema = {
  type: 'string',
  enum: BUDGET_METRICS,
  description: 'tokens: total tokens of model calls; reasoningTokens; costUsd: USD. Model calls only (no double counting).',
};
const budgetLimits = obj({ maxTokens: num(), maxReasoningTokens: num(), maxCostUsd: num() }, ['maxTokens', 'maxReasoningTokens', 'maxCostUsd']);

const span: JsonSchema & { properties: Record<string, JsonSchema> } = {
  type: 'object',
  description:
    'A stored span. Attribute values JSON cannot carry exactly are strings: 64-bit integers in decimal, bytes in base64.',
  properties: {
    sessionId: str(),
    traceId: str(),
    spanId: str(),
    parentSpanId: str(true),
    name: str(),
    kind: { type: 'integer', description: 'OTLP SpanKind number.' },
    stepType: { type: 'string', enum: STEP_TYPES },
    operationName: str(true),
    startTimeUnixNano: nanos('Start.'),
    endTimeUnixNano: nanos('End; null while open.', true),
    durationNanos: nanos('Duration.', true),
    status: { type: 'string', enum: ['unset', 'ok', 'error'] },
    statusMessage: str(),
    isError: bool,
    interrupted: bool,
    provider: str(true),
    requestModel: str(true),
    responseModel: str(true),
    agentName: str(true),
    userId: str(true),
    toolName: str(true),
    toolCallId: str(true),
    usage: ref('PartialTokens'),
    cost: { type: ['object', 'null'], properties: { usd: num(), source: { type: 'string', enum: ['supplied', 'computed'] } } },
    unpriced: bool,
    input: content,
    output: content,
    reasoning: content,
    attributes: { type: 'object' },
    events: { type: 'array', items: obj({ name: str(), timeUnixNano: nanos('Event time.'), attributes: { type: 'object' } }) },
    links: { type: 'array', items: obj({ traceId: str(), spanId: str(), attributes: { type: 'object' } }) },
    resource: { type: 'object', description: 'Resource attributes.' },
    scope: obj({ name: str(), version: str() }),
  },
};

const BUDGET_SCHEMAS: Record<string, JsonSchema> = {
  BudgetLimits: budgetLimits,
  Budgets: obj({
    configured: { type: 'boolean', description: 'Whether any limit is configured.' },
    warnAtFraction: { type: 'number', description: 'A warning is recorded once usage reaches this fraction of a limit.' },
    session: { oneOf: [ref('BudgetLimits'), { type: 'null' }], description: 'Limits for every session.' },
    agents: { type: 'object', additionalProperties: ref('BudgetLimits'), description: 'Limits for each session of an agent, by agent name.' },
    users: { type: 'object', additionalProperties: ref('BudgetLimits'), description: 'Limits for each session of a user, by user id.' },
  }),
  BudgetEvent: obj({
    sessionId: str(),
    scope: budgetScope,
    key: { type: 'string', description: 'The agent name or user id of the limit; the session id for session scope.' },
    metric: budgetMetric,
    level: { type: 'string', enum: BUDGET_LEVELS, description: 'warning: usage reached warnAtFraction of the limit; exceeded: usage reached the limit.' },
    limit: num(),
    used: { type: 'number', description: 'What the session had used when it crossed.' },
    atUnixMillis: { type: 'integer', description: 'When the crossing was committed.' },
    traceId: str(true),
    spanId: { type: ['string', 'null'], description: 'The span whose write made the session cross; it carries a skein.budget.* span event.' },
  }),
  SessionBudget: obj({
    status: { type: 'string', enum: ['ok', 'warning', 'exceeded'], description: 'The worst state of any limit.' },
    limits: {
      type: 'array',
      description: 'Each limit that applies to the session, with what is used of it.',
      items: obj({
        scope: budgetScope,
        key: str(),
        metric: budgetMetric,
        limit: num(),
        warnAt: { type: ['number', 'null'], description: 'Usage at which a warning is recorded; null when the limit is known only from a recorded crossing.' },
        used: num(),
        state: { type: 'string', enum: ['ok', 'warning', 'exceeded'] },
      }),
    },
    used: obj({ tokens: num(), reasoningTokens: num(), costUsd: num() }),
    events: { type: 'array', items: ref('BudgetEvent'), description: 'Crossings recorded, oldest first; each at most once per session.' },
  }),
};

export const SCHEMAS: Record<string, JsonSchema> = {
  Error: obj({
    error: obj(
      {
        code: {
          type: 'string',
          enum: ['bad_request', 'session_not_found', 'trace_not_found', 'not_found', 'internal'],
        },
        message: str(),
        parameter: { type: 'string', description: 'The query or path parameter at fault (400 only).' },
      },
      ['parameter'],
    ),
  }),
  Tokens: obj(Object.fromEntries(tokenKinds.map((k) => [k, int]))),
  PartialTokens: {
    type: 'object',
    description: 'Token counts the span reported; absent means not reported.',
    properties: Object.fromEntries(tokenKinds.map((k) => [k, int])),
  },
  SessionSummary: obj(sessionProperties),
  SessionDetail: obj(
    {
      ...sessionProperties,
      redactedCount: { type: 'integer', description: 'Values redaction replaced in its spans (counts.redacted, summed).' },
      modelBreakdown: {
        type: 'array',
        items: obj({ model: str(), calls: int, tokens: ref('Tokens'), costUsd: num() }),
      },
      budget: { ...ref('SessionBudget'), description: 'Present when budgets are configured or a crossing was recorded.' },
    },
    ['budget'],
  ),
  ...BUDGET_SCHEMAS,
  SessionPage: obj({ items: { type: 'array', items: ref('SessionSummary') }, nextCursor: str(true) }),
  Step: obj(stepProperties),
  TreeNode: obj({ ...stepProperties, children: { type: 'array', items: ref('TreeNode') } }),
  Timeline: obj({ sessionId: str(), steps: { type: 'array', items: ref('Step') } }),
  Tree: obj({ sessionId: str(), roots: { type: 'array', items: ref('TreeNode') } }),
  Span: span,
  TraceSpan: {
    ...span,
    description: 'A span of a trace, with the log records tied to it.',
    properties: { ...span.properties, ...STEP_LOG_PROPERTIES },
    required: Object.keys(STEP_LOG_PROPERTIES),
  },
  SpanPage: obj({ items: { type: 'array', items: ref('Span') }, nextCursor: str(true) }),
  Trace: obj({ traceId: str(), spans: { type: 'array', items: ref('TraceSpan') } }),
  SearchHit: obj({
    sessionId: str(),
    traceId: str(),
    spanId: str(),
    name: str(),
    stepType: { type: 'string', enum: STEP_TYPES },
    startTimeUnixNano: nanos('Step start.'),
    snippet: { type: 'string', description: 'Text around the match; matched terms between the markers.' },
  }),
  SearchResult: obj({
    q: str(),
    markers: obj({ start: str(), end: str() }),
    hits: { type: 'array', items: ref('SearchHit') },
  }),
  StatsRow: obj({
    key: str(),
    calls: int,
    errors: int,
    tokens: ref('Tokens'),
    costUsd: num(),
    p50DurationNanos: nanos('Median model-call latency (nearest rank).', true),
    p95DurationNanos: nanos('95th percentile model-call latency (nearest rank).', true),
  }),
  Stats: obj({
    by: { type: 'string', enum: STATS_GROUPS },
    from: nanos('Range start as given.', true),
    to: nanos('Range end as given.', true),
    rows: { type: 'array', items: ref('StatsRow') },
  }),
  ...SIGNAL_SCHEMAS,
  ...OPERATIONS_SCHEMAS,
};
