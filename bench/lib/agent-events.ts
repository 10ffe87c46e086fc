/**
 * A coding agent's OTLP log events for the benchmarks, shaped like Claude
 * Code's (its resource of ~10 attributes, ~11 attributes per event, a
 * ~500-character body): one request's worth per call, with resource and
 * scope objects of its own (as a decoder makes them per request). Seeded
 * through agent-workload.ts, so every run writes the same data.
 */
import type { RawLogRecord } from '../../src/model/log-types.js';
import type { InstrumentationScope, SpanResource } from '../../src/model/types.js';
import { between, hex, pick, sentence } from './agent-workload.js';

const EVENTS = ['user_prompt', 'api_request', 'tool_result', 'tool_decision', 'assistant_response'];
const MODELS = ['claude-sonnet-4-5-20250929', 'claude-haiku-4-5', 'claude-opus-4-1'];
const TOOLS = ['Read', 'Edit', 'Bash', 'Grep', 'Write'];

export interface AgentEventsRequest {
  sessionId: string;
  /** Events in the request. */
  count: number;
  /** The first event's time; the next ones follow by 1-5000 ms. */
  startUnixNano: bigint;
}

export function agentEventsRequest({ sessionId, count, startUnixNano }: AgentEventsRequest): RawLogRecord[] {
  const resource: SpanResource = {
    attributes: {
      'service.name': 'claude-code',
      'service.version': '2.0.14',
      'os.type': 'linux',
      'os.version': '6.8.0-45-generic',
      'host.arch': 'amd64',
      'session.id': sessionId,
      'user.id': hex(64),
      'organization.id': hex(36),
      'terminal.type': 'vscode',
      'telemetry.sdk.language': 'nodejs',
    },
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
  const scope: InstrumentationScope = { name: 'com.anthropic.claude_code.events', version: '2.0.14', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
  const promptId = hex(16);
  let time = startUnixNano;
  const records: RawLogRecord[] = [];
  for (let i = 0; i < count; i++) {
    time += BigInt(between(1, 5_000)) * 1_000_000n;
    const event = pick(EVENTS);
    records.push({
      timeUnixNano: time,
      observedTimeUnixNano: time + 1_000_000n,
      severityNumber: 9,
      severityText: 'INFO',
      body: sentence(450, 550),
      attributes: {
        'event.name': event,
        'event.timestamp': new Date(Number(time / 1_000_000n)).toISOString(),
        'event.sequence': i,
        'session.id': sessionId,
        'prompt.id': promptId,
        model: pick(MODELS),
        tool_name: pick(TOOLS),
        input_tokens: between(100, 20_000),
        output_tokens: between(10, 2_000),
        cost_usd: between(1, 5_000) / 100_000,
        duration_ms: between(200, 30_000),
      },
      droppedAttributesCount: 0,
      flags: 0,
      traceId: null,
      spanId: null,
      eventName: `claude_code.${event}`,
      resource,
      scope,
    });
  }
  return records;
}
