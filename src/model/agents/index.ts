/**
 * The agents Skein knows by their own telemetry, each a table
 * (agent-table.ts), and how a span or log record is recognised as one of
 * theirs: by resource `service.name`, else instrumentation scope name, else
 * span name (for a log record: event body) prefix. Recognition is per
 * record, from its data alone. To add an agent, add its table to `AGENT_TABLES`.
 */
import type { RawLogRecord } from '../log-types.js';
import type { RawSpan, SpanResource } from '../types.js';
import { compileAgent } from './agent-table.js';
import type { AgentTable, CompiledAgent } from './agent-table.js';
import { CLAUDE_CODE } from './claude-code.js';
import { CODEX } from './codex.js';
import { GEMINI_CLI } from './gemini-cli.js';
import { deriveSteps } from './steps-from-events.js';

export type { AgentEventDerivation, AgentEventStep, AgentSlot, AgentTable, CompiledAgent } from './agent-table.js';
export { compileAgent } from './agent-table.js';
export { ATTR_SKEIN_DERIVED_FROM, DERIVED_FROM_LOG } from './steps-from-events.js';
export { enrichSpan, eventEnrichmentKey, spanEnrichmentKey } from './enrich-steps.js';
export type { AgentSpanEnrichment } from './enrich-steps.js';

/** Every agent's table. */
export const AGENT_TABLES: readonly AgentTable[] = [CLAUDE_CODE, CODEX, GEMINI_CLI];

const AGENT_NAMES: ReadonlySet<string> = new Set(AGENT_TABLES.map((table) => table.name));

/** Whether `agentName` (a session's) is one of these agents': its session is titled by its first prompt. */
export function isTableAgent(agentName: string | null): boolean {
  return agentName !== null && AGENT_NAMES.has(agentName);
}

const SERVICE_NAME = 'service.name';

/** Lookups over a set of tables, built once. */
export interface AgentRegistry {
  readonly agents: readonly CompiledAgent[];
  forSpan(span: RawSpan): CompiledAgent | undefined;
  forLog(record: RawLogRecord): CompiledAgent | undefined;
}

export function createAgentRegistry(tables: readonly AgentTable[]): AgentRegistry {
  const agents = tables.map(compileAgent);
  const byService = new Map<string, CompiledAgent>();
  const byScope: [string, CompiledAgent][] = [];
  const byName: [string, CompiledAgent][] = [];
  for (const agent of agents) {
    for (const service of agent.table.serviceNames) if (!byService.has(service)) byService.set(service, agent);
    for (const prefix of agent.table.scopePrefixes) byScope.push([prefix, agent]);
    for (const prefix of agent.table.namePrefixes) byName.push([prefix, agent]);
  }
  const byPrefix = (list: readonly [string, CompiledAgent][], value: unknown): CompiledAgent | undefined => {
    if (typeof value !== 'string' || value.length === 0) return undefined;
    for (const [prefix, agent] of list) if (value.startsWith(prefix)) return agent;
    return undefined;
  };
  const recognise = (resource: SpanResource | undefined, scopeName: unknown, name: unknown): CompiledAgent | undefined => {
    const attributes = resource?.attributes;
    const service = typeof attributes === 'object' && attributes !== null ? attributes[SERVICE_NAME] : undefined;
    return (
      (typeof service === 'string' ? byService.get(service) : undefined) ??
      byPrefix(byScope, scopeName) ??
      byPrefix(byName, name)
    );
  };
  return {
    agents,
    forSpan: (span) => recognise(span.resource, span.scope?.name, span.name),
    forLog: (record) =>
      recognise(record.resource, record.scope?.name, typeof record.body === 'string' ? record.body : record.eventName),
  };
}

let shipped: AgentRegistry | undefined;

/** The registry of `AGENT_TABLES`. */
export function agentRegistry(): AgentRegistry {
  shipped ??= createAgentRegistry(AGENT_TABLES);
  return shipped;
}

export function agentForSpan(span: RawSpan): CompiledAgent | undefined {
  return agentRegistry().forSpan(span);
}

export function agentForLog(record: RawLogRecord): CompiledAgent | undefined {
  return agentRegistry().forLog(record);
}

/** Steps made from the agents' log events in `records` (steps-from-events.ts): spans to store, never to forward. */
export function stepsFromEvents(records: readonly RawLogRecord[], registry: AgentRegistry = agentRegistry()): RawSpan[] {
  return deriveSteps(records, registry.forLog);
}
