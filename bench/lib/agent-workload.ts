/**
 * Typical agent spans for the benchmarks: sessions of 20-100 steps (an agent
 * span, model calls with usage, model and 120-300 chars of content, tool
 * calls; ~10 attributes each), every step keyed with `gen_ai.conversation.id`
 * like AgentTracer does. Half the agent spans report aggregate usage.
 */
import type { Attributes, InstrumentationScope, RawSpan, SpanResource } from '../../src/model/types.js';

// ---- span generation (seeded, so every run writes the same data) --------------

let seed = 0x5eed;

/** Restarts the generator: the same sequence follows. */
export function reseed(value = 0x5eed): void {
  seed = value;
}
export function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
export const between = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
export const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
export const hex = (length: number): string => {
  let out = '';
  while (out.length < length) out += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
  return out.slice(0, length);
};

const WORDS = (
  'order shipment refund invoice customer account password reset delivery address payment card declined ' +
  'warehouse tracking number carrier delayed weather return label exchange size colour product catalog ' +
  'discount coupon expired subscription renewal cancel plan upgrade downgrade billing cycle receipt tax ' +
  'region europe shipping express standard priority ticket escalation agent human handoff policy terms ' +
  'warranty repair replacement battery screen laptop phone tablet charger cable adapter firmware update ' +
  'error timeout retry database query result summary answer question please thanks sorry understand check ' +
  'looked found status today tomorrow monday friday week hours minutes email phone chat message reply'
).split(' ');

export function sentence(minChars: number, maxChars: number): string {
  const target = between(minChars, maxChars);
  const words: string[] = [];
  let length = 0;
  while (length < target) {
    const word = random() < 0.08 ? String(between(1000, 999999)) : pick(WORDS);
    words.push(word);
    length += word.length + 1;
  }
  return words.join(' ');
}

const SCOPE: InstrumentationScope = {
  name: 'skein.agent-tracer',
  version: '0.1.0',
  attributes: {},
  droppedAttributesCount: 0,
  schemaUrl: '',
};
const RESOURCES: SpanResource[] = ['support-agent', 'billing-agent', 'research-agent'].map((service) => ({
  attributes: {
    'service.name': service,
    'service.version': '1.4.2',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.version': '2.12.1',
    'host.name': 'worker-7',
  },
  droppedAttributesCount: 0,
  schemaUrl: 'https://opentelemetry.io/schemas/1.28.0',
}));
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-5'] as const;
const TOOLS = ['lookup_order', 'search_kb', 'issue_refund', 'send_email', 'get_weather'] as const;

function span(
  traceId: string,
  parentSpanId: string | null,
  name: string,
  kind: RawSpan['kind'],
  startNs: bigint,
  endNs: bigint,
  attributes: Attributes,
  resource: SpanResource,
): RawSpan {
  return {
    traceId,
    spanId: hex(16),
    parentSpanId,
    traceState: '',
    flags: 0x101,
    name,
    kind,
    startTimeUnixNano: startNs,
    endTimeUnixNano: endNs,
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: 0,
    statusMessage: '',
    resource,
    scope: SCOPE,
  };
}

/** One session's spans; the agent span (root, parent of every step) last. */
export function session(startNs: bigint, stepCount?: number): RawSpan[] {
  const traceId = hex(32);
  const sessionId = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
  const rootId = hex(16);
  const resource = pick(RESOURCES);
  const agentName = resource.attributes['service.name'] as string;
  const steps = stepCount ?? between(20, 100);
  const spans: RawSpan[] = [];
  let t = startNs + 1_000_000n;
  let input = 0;
  let output = 0;
  for (let i = 0; i < steps; i++) {
    const durationNs = BigInt(between(5, 2000)) * 1_000_000n;
    if (i % 2 === 0) {
      const model = pick(MODELS);
      const inTokens = between(300, 8000);
      const outTokens = between(20, 600);
      input += inTokens;
      output += outTokens;
      const question = sentence(120, 300);
      const answer = sentence(80, 200);
      spans.push(
        span(traceId, rootId, `chat ${model}`, 3, t, t + durationNs, {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': model.startsWith('claude') ? 'anthropic' : 'openai',
          'gen_ai.request.model': model,
          'gen_ai.response.model': model,
          'gen_ai.response.id': `resp_${hex(24)}`,
          'gen_ai.usage.input_tokens': inTokens,
          'gen_ai.usage.output_tokens': outTokens,
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.conversation.id': sessionId,
          'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: question }] }]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' },
          ]),
        }, resource),
      );
    } else {
      const tool = pick(TOOLS);
      spans.push(
        span(traceId, rootId, `execute_tool ${tool}`, 1, t, t + durationNs, {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': tool,
          'gen_ai.tool.type': 'function',
          'gen_ai.tool.call.id': `call_${hex(24)}`,
          'gen_ai.conversation.id': sessionId,
          'gen_ai.tool.call.arguments': JSON.stringify({ query: sentence(15, 60), limit: between(1, 20) }),
          'gen_ai.tool.call.result': JSON.stringify({ status: 'ok', summary: sentence(40, 160) }),
          'http.status_code': 200,
          'retry.count': 0,
          'cache.hit': random() < 0.3,
        }, resource),
      );
    }
    t += durationNs + BigInt(between(1, 50)) * 1_000_000n;
  }
  const agentAttributes: Attributes = {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': agentName,
    'gen_ai.agent.id': `agent_${hex(8)}`,
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.conversation.id': sessionId,
    'user.id': `user-${between(1, 500)}`,
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: sentence(60, 200) }] }]),
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: sentence(60, 200) }] }]),
  };
  if (random() < 0.5) {
    agentAttributes['gen_ai.usage.input_tokens'] = input;
    agentAttributes['gen_ai.usage.output_tokens'] = output;
  }
  const root = span(traceId, null, `invoke_agent ${agentName}`, 1, startNs, t, agentAttributes, resource);
  root.spanId = rootId;
  spans.push(root);
  return spans;
}

/** `sessions` sessions, `concurrent` at a time, every span in end order. Seeded: the same spans every run. */
export function workload(sessions: number, concurrent = 16): RawSpan[] {
  seed = 0x5eed;
  const all: RawSpan[] = [];
  const base = 1_763_700_000_000_000_000n;
  for (let i = 0; i < sessions; i++) {
    // Staggered starts: about `concurrent` overlap at any time (a session lasts ~60 s).
    const startNs = base + BigInt(Math.floor((i * 60_000) / concurrent)) * 1_000_000n;
    all.push(...session(startNs));
  }
  return all.sort((x, y) => (x.endTimeUnixNano! < y.endTimeUnixNano! ? -1 : x.endTimeUnixNano! > y.endTimeUnixNano! ? 1 : 0));
}

