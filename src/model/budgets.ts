/**
 * Budget rules: limits on what one session may use (total tokens, reasoning
 * tokens, cost in USD), and which limits a session's usage has crossed.
 * Pure functions; the store evaluates them in the transaction that changed the
 * session's rollup and persists what crossed, once per session.
 *
 * Usage is the session rollup's (model/rollup.ts): tokens and cost are summed
 * only from model-call spans, so an agent span that repeats its children's
 * usage never makes a session look over budget.
 *
 * Scopes: `session` limits apply to every session; `agents[name]` to each
 * session whose agent name is `name`, and `users[id]` to each session of that
 * user. Every scope is a limit on one session's usage (not summed across
 * sessions), and each scope is recorded on its own: a session can cross its
 * agent's cost limit before the general one.
 *
 * A limit is `exceeded` once usage reaches it (used >= limit: the budget is
 * spent), and `warning` once usage reaches `warnAtFraction` of it.
 */

import {
  ATTR_SKEIN_BUDGET_KEY,
  ATTR_SKEIN_BUDGET_LIMIT,
  ATTR_SKEIN_BUDGET_METRIC,
  ATTR_SKEIN_BUDGET_SCOPE,
  ATTR_SKEIN_BUDGET_USED,
  EVENT_SKEIN_BUDGET_EXCEEDED,
  EVENT_SKEIN_BUDGET_WARNING,
} from '../semconv/index.js';
import { formatCount, formatUsd } from './human-units.js';
import { spanContribution } from './rollup.js';
import type { SpanEvent, SpanRecord } from './types.js';

export interface BudgetLimits {
  /** Total tokens of the session's model calls (each call's reported total, else input + output). */
  maxTokens?: number;
  /** Reasoning tokens of the session's model calls. */
  maxReasoningTokens?: number;
  /** Cost in USD of the session's model calls (supplied or computed). */
  maxCostUsd?: number;
}

export interface BudgetConfig {
  /** Limits for every session. */
  session?: BudgetLimits;
  /** Limits for each session of the agent with this name. */
  agents?: Record<string, BudgetLimits>;
  /** Limits for each session of the user with this id. */
  users?: Record<string, BudgetLimits>;
  /** A warning is recorded once usage reaches this fraction of a limit. Default 0.8. */
  warnAtFraction?: number;
}

export const DEFAULT_WARN_AT_FRACTION = 0.8;

export const BUDGET_SCOPES = ['session', 'agent', 'user'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export const BUDGET_METRICS = ['tokens', 'reasoningTokens', 'costUsd'] as const;
export type BudgetMetric = (typeof BUDGET_METRICS)[number];
export const BUDGET_LEVELS = ['warning', 'exceeded'] as const;
export type BudgetLevel = (typeof BUDGET_LEVELS)[number];

/** What a session has used, by the rollup rules. */
export interface BudgetUsage {
  sessionId: string;
  agentName: string | null;
  userId: string | null;
  /** Sum of each model call's total tokens. */
  tokens: number;
  reasoningTokens: number;
  costUsd: number;
}

/** A session reaching a warning threshold or a limit. */
export interface BudgetCrossing {
  scope: BudgetScope;
  /** The agent name or user id the limit belongs to; the session id for `session`. */
  key: string;
  metric: BudgetMetric;
  level: BudgetLevel;
  /** The limit itself (also for a warning: the threshold is `limit * warnAtFraction`). */
  limit: number;
  /** What the session had used when the crossing was seen. */
  used: number;
  sessionId: string;
}

/** A crossing as the store keeps it: when it was committed and which stored span crossed. */
export interface BudgetEventRecord extends BudgetCrossing {
  atUnixMillis: number;
  /** The span whose write made the session cross, when one of the batch did (null otherwise). */
  traceId: string | null;
  spanId: string | null;
}

/** One limit that applies to a session. */
export interface EffectiveBudgetLimit {
  scope: BudgetScope;
  key: string;
  metric: BudgetMetric;
  limit: number;
  /** Usage at which a warning is recorded. */
  warnAt: number;
}

const LIMIT_FIELDS: Record<BudgetMetric, keyof BudgetLimits> = {
  tokens: 'maxTokens',
  reasoningTokens: 'maxReasoningTokens',
  costUsd: 'maxCostUsd',
};
const LIMIT_KEYS = Object.values(LIMIT_FIELDS) as string[];
const CONFIG_FIELDS = ['session', 'agents', 'users', 'warnAtFraction'];

export class BudgetConfigError extends Error {
  override name = 'BudgetConfigError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates the `budgets` value of a config file (`source` names the file in
 * errors) or of the processor's options. `undefined` means no budgets. Throws
 * `BudgetConfigError` naming the source and the field.
 */
export function parseBudgetConfig(json: unknown, source: string): BudgetConfig {
  const fail = (field: string, problem: string): never => {
    throw new BudgetConfigError(`${source}: budgets${field === '' ? '' : `.${field}`}: ${problem}`);
  };
  if (json === undefined) return {};
  if (!isObject(json)) return fail('', 'must be an object with session, agents, users or warnAtFraction');
  for (const key of Object.keys(json)) {
    if (!CONFIG_FIELDS.includes(key)) fail(key, `unknown field (known: ${CONFIG_FIELDS.join(', ')})`);
  }
  const limitsOf = (value: unknown, field: string): BudgetLimits => {
    if (!isObject(value)) return fail(field, `must be an object of ${LIMIT_KEYS.join(', ')}`);
    const limits: BudgetLimits = {};
    for (const [key, limit] of Object.entries(value)) {
      if (!LIMIT_KEYS.includes(key)) fail(`${field}.${key}`, `unknown limit (known: ${LIMIT_KEYS.join(', ')})`);
      if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0) {
        fail(`${field}.${key}`, `must be a number greater than 0, got ${JSON.stringify(limit) ?? String(limit)}`);
      }
      limits[key as keyof BudgetLimits] = limit as number;
    }
    return limits;
  };
  const byName = (value: unknown, field: string): Record<string, BudgetLimits> => {
    if (!isObject(value)) return fail(field, 'must be an object of names to limits');
    const out: Record<string, BudgetLimits> = {};
    for (const [name, limits] of Object.entries(value)) out[name] = limitsOf(limits, `${field}.${name}`);
    return out;
  };
  const config: BudgetConfig = {};
  if (json.session !== undefined) config.session = limitsOf(json.session, 'session');
  if (json.agents !== undefined) config.agents = byName(json.agents, 'agents');
  if (json.users !== undefined) config.users = byName(json.users, 'users');
  if (json.warnAtFraction !== undefined) {
    const f = json.warnAtFraction;
    if (typeof f !== 'number' || !(f > 0 && f <= 1)) {
      fail('warnAtFraction', `must be a number above 0 and at most 1, got ${JSON.stringify(f) ?? String(f)}`);
    }
    config.warnAtFraction = f as number;
  }
  return config;
}

/** True when the config has at least one limit. */
export function hasBudgets(config: BudgetConfig | undefined): boolean {
  if (config === undefined) return false;
  const any = (limits: BudgetLimits | undefined) => limits !== undefined && Object.keys(limits).length > 0;
  return (
    any(config.session) ||
    Object.values(config.agents ?? {}).some(any) ||
    Object.values(config.users ?? {}).some(any)
  );
}

/** The limits that apply to a session with this agent and user, session scope first. */
export function effectiveBudgetLimits(
  config: BudgetConfig,
  session: Pick<BudgetUsage, 'sessionId' | 'agentName' | 'userId'>,
): EffectiveBudgetLimit[] {
  const fraction = config.warnAtFraction ?? DEFAULT_WARN_AT_FRACTION;
  const out: EffectiveBudgetLimit[] = [];
  const add = (scope: BudgetScope, key: string, limits: BudgetLimits | undefined) => {
    if (limits === undefined) return;
    for (const metric of BUDGET_METRICS) {
      const limit = limits[LIMIT_FIELDS[metric]];
      if (limit !== undefined) out.push({ scope, key, metric, limit, warnAt: limit * fraction });
    }
  };
  add('session', session.sessionId, config.session);
  // Own-property lookups only: an agent named "constructor" must not find Object.prototype's.
  if (session.agentName !== null && config.agents && Object.hasOwn(config.agents, session.agentName)) {
    add('agent', session.agentName, config.agents[session.agentName]);
  }
  if (session.userId !== null && config.users && Object.hasOwn(config.users, session.userId)) {
    add('user', session.userId, config.users[session.userId]);
  }
  return out;
}

/** The identity of a crossing within its session: each is recorded at most once per session. */
export function budgetEventKey(crossing: Pick<BudgetCrossing, 'scope' | 'metric' | 'level'>): string {
  return `${crossing.scope}/${crossing.metric}/${crossing.level}`;
}

export function usedOf(usage: BudgetUsage, metric: BudgetMetric): number {
  return metric === 'tokens' ? usage.tokens : metric === 'reasoningTokens' ? usage.reasoningTokens : usage.costUsd;
}

/**
 * The crossings a session's usage has reached that are not in
 * `alreadyRecorded` (keys of `budgetEventKey`). A jump past both the warning
 * and the limit yields both, warning first.
 */
export function evaluateBudgets(
  config: BudgetConfig,
  usage: BudgetUsage,
  alreadyRecorded: ReadonlySet<string>,
): BudgetCrossing[] {
  const crossings: BudgetCrossing[] = [];
  for (const limit of effectiveBudgetLimits(config, usage)) {
    const used = usedOf(usage, limit.metric);
    for (const level of BUDGET_LEVELS) {
      const threshold = level === 'warning' ? limit.warnAt : limit.limit;
      if (used < threshold) continue;
      const crossing: BudgetCrossing = {
        scope: limit.scope,
        key: limit.key,
        metric: limit.metric,
        level,
        limit: limit.limit,
        used,
        sessionId: usage.sessionId,
      };
      if (!alreadyRecorded.has(budgetEventKey(crossing))) crossings.push(crossing);
    }
  }
  return crossings;
}

/** What one span adds to the metric, by the rollup rules (model calls only). */
function contributionTo(record: SpanRecord, metric: BudgetMetric): number {
  const c = spanContribution(record);
  if (!c.llmCall) return 0;
  if (metric === 'tokens') return c.totalTokens;
  if (metric === 'reasoningTokens') return c.tokens.reasoning;
  return c.suppliedCostUsd + c.computedCostUsd;
}

/**
 * The span of the batch that took the session over `threshold`: the batch's
 * spans are added, in end order, to what the session had before the batch
 * (its usage now minus theirs). A span rewritten with the same usage counts
 * as new here, so this names the latest plausible span rather than guess
 * earlier; when none of the batch added to the metric (usage came from a
 * recompute, or the limits were lowered), there is no crossing span.
 */
export function crossingSpan(records: readonly SpanRecord[], crossing: BudgetCrossing, threshold: number): SpanRecord | null {
  const contributing = records
    .map((record) => ({ record, amount: contributionTo(record, crossing.metric) }))
    .filter((c) => c.amount > 0)
    .sort((a, b) => {
      const ea = a.record.endTimeUnixNano;
      const eb = b.record.endTimeUnixNano;
      if (ea === eb) return 0;
      if (ea === null) return 1;
      if (eb === null) return -1;
      return ea < eb ? -1 : 1;
    });
  if (contributing.length === 0) return null;
  let running = crossing.used - contributing.reduce((sum, c) => sum + c.amount, 0);
  for (const c of contributing) {
    running += c.amount;
    if (running >= threshold) return c.record;
  }
  return contributing[contributing.length - 1].record;
}

const METRIC_NAMES: Record<BudgetMetric, string> = {
  tokens: 'token',
  reasoningTokens: 'reasoning-token',
  costUsd: 'cost',
};

/** `$1.23` for cost, `12,345 tokens` otherwise. */
export function formatBudgetAmount(metric: BudgetMetric, amount: number): string {
  if (metric === 'costUsd') return formatUsd(amount);
  return `${formatCount(amount)} ${metric === 'reasoningTokens' ? 'reasoning tokens' : 'tokens'}`;
}

/** One line: `session 4f2… exceeded its cost budget: used $1.23 of $1.00` (agent/user scopes say whose). */
export function describeBudgetCrossing(crossing: BudgetCrossing): string {
  const whose =
    crossing.scope === 'session' ? 'its' : crossing.scope === 'agent' ? `agent ${crossing.key}'s` : `user ${crossing.key}'s`;
  // A warning can be seen only once the session is already at or past the limit
  // (one big call, or a limit lowered later): then it is not "near".
  const verb =
    crossing.level === 'exceeded'
      ? 'exceeded'
      : crossing.used > crossing.limit
        ? 'is over'
        : crossing.used === crossing.limit
          ? 'has reached'
          : 'is near';
  const used = crossing.metric === 'costUsd' ? formatUsd(crossing.used) : formatCount(crossing.used);
  return (
    `session ${crossing.sessionId} ${verb} ${whose} ${METRIC_NAMES[crossing.metric]} budget: ` +
    `used ${used} of ${formatBudgetAmount(crossing.metric, crossing.limit)}`
  );
}

/**
 * The span event that marks the span whose write made its session cross:
 * `skein.budget.warning` or `skein.budget.exceeded`, with scope, key, metric,
 * limit and used as `skein.budget.*` attributes.
 */
export function budgetSpanEvent(crossing: BudgetCrossing, timeUnixNano: bigint): SpanEvent {
  return {
    name: crossing.level === 'exceeded' ? EVENT_SKEIN_BUDGET_EXCEEDED : EVENT_SKEIN_BUDGET_WARNING,
    timeUnixNano,
    attributes: {
      [ATTR_SKEIN_BUDGET_SCOPE]: crossing.scope,
      [ATTR_SKEIN_BUDGET_KEY]: crossing.key,
      [ATTR_SKEIN_BUDGET_METRIC]: crossing.metric,
      [ATTR_SKEIN_BUDGET_LIMIT]: crossing.limit,
      [ATTR_SKEIN_BUDGET_USED]: crossing.used,
    },
    droppedAttributesCount: 0,
  };
}
