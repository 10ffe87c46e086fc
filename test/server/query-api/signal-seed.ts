/**
 * Log records and metric points for the readers' tests (query API, live
 * stream, CLI), written through the store's own `writeLogs`/`writeMetrics`:
 *
 * - `sess-logs` has spans (one trace: a model call and a tool call) and five
 *   records in time order: a user message, a model answer tied to the model
 *   call, a debug line with no event name, a tool warning and an API error
 *   both tied to the tool call.
 * - `logs-only` has no spans at all, only two records (Claude Code sends no
 *   spans by default).
 * - one record belongs to no session.
 * - a token counter of `sess-logs` (two points) and a gauge of no session.
 */

import type { RawLogRecord } from '../../../src/model/log-types.js';
import type { RawMetric } from '../../../src/model/metric-types.js';
import type { InstrumentationScope, SpanResource } from '../../../src/model/types.js';
import type { SqliteTraceStore } from '../../../src/store/sqlite/index.js';
import { BASE_TIME_UNIX_NANO, MILLI, makeLlmRecord, makeRecord, newSpanId, newTraceId } from '../../helpers/records.js';

const resource: SpanResource = { attributes: { 'service.name': 'log-agent' }, droppedAttributesCount: 0, schemaUrl: '' };
const scope: InstrumentationScope = { name: 'agent-events', version: '2.0.0', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };

/** A log record at `BASE_TIME + offsetMillis`, of `sessionId` (via `session.id`) unless null. */
export function makeLog(
  offsetMillis: number,
  sessionId: string | null,
  overrides: Partial<RawLogRecord> = {},
): RawLogRecord {
  const time = BASE_TIME_UNIX_NANO + BigInt(offsetMillis) * MILLI;
  return {
    timeUnixNano: time,
    observedTimeUnixNano: time + 5n * MILLI,
    severityNumber: 9,
    severityText: 'INFO',
    body: `record at ${offsetMillis} ms`,
    attributes: sessionId === null ? {} : { 'session.id': sessionId },
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: 'agent.note',
    resource,
    scope,
    ...overrides,
  };
}

export const SIGNALS = {
  session: 'sess-logs',
  logsOnly: 'logs-only',
  traceId: newTraceId(),
  llmSpanId: newSpanId(),
  toolSpanId: newSpanId(),
  answer: 'Paris is the capital of France.',
  tokenMetric: 'gen_ai.client.token.usage',
  gauge: 'process.memory.usage',
};

/** Writes the spans, records and metrics described above. */
export async function seedSignals(store: SqliteTraceStore): Promise<void> {
  const { session, traceId, llmSpanId, toolSpanId } = SIGNALS;
  await store.write([
    makeLlmRecord({ sessionId: session, traceId, spanId: llmSpanId, startTimeUnixNano: BASE_TIME_UNIX_NANO }),
    makeRecord({
      sessionId: session,
      traceId,
      spanId: toolSpanId,
      parentSpanId: null,
      name: 'execute_tool search',
      stepType: 'tool',
      toolName: 'search',
      startTimeUnixNano: BASE_TIME_UNIX_NANO + 200n * MILLI,
    }),
  ]);
  await store.writeLogs([
    makeLog(10, session, { eventName: 'gen_ai.user.message', body: { content: 'What is the capital of France?' } }),
    makeLog(50, session, { eventName: 'gen_ai.choice', body: { message: { content: SIGNALS.answer } }, traceId, spanId: llmSpanId }),
    makeLog(60, session, { eventName: '', severityNumber: 5, severityText: 'DEBUG', body: 'a debug line\nwith two lines' }),
    makeLog(250, session, { eventName: 'tool.result', severityNumber: 13, severityText: 'WARN', traceId, spanId: toolSpanId }),
    makeLog(300, session, { eventName: 'api.error', severityNumber: 17, severityText: 'ERROR', traceId, spanId: toolSpanId, body: 'rate limited' }),
    makeLog(20, SIGNALS.logsOnly, { eventName: 'claude_code.user_prompt', attributes: { 'session.id': SIGNALS.logsOnly, prompt_length: 12 } }),
    makeLog(40, SIGNALS.logsOnly, { eventName: 'claude_code.api_request', attributes: { 'session.id': SIGNALS.logsOnly, cost_usd: 0.0123 } }),
    makeLog(30, null, { eventName: 'orphan', body: 'tied to nothing' }),
  ]);
  const points = (values: Array<bigint | number>, attributes: Record<string, string>) =>
    values.map((value, i) => ({
      attributes,
      startTimeUnixNano: BASE_TIME_UNIX_NANO,
      timeUnixNano: BASE_TIME_UNIX_NANO + BigInt(i + 1) * 1000n * MILLI,
      flags: 0,
      value,
    }));
  const metrics: RawMetric[] = [
    {
      name: SIGNALS.tokenMetric, description: 'tokens used', unit: '{token}', metadata: {}, resource, scope,
      type: 'sum', temporality: 'cumulative', monotonic: true,
      points: points([120n, 9_007_199_254_740_993n], { 'session.id': session, 'gen_ai.token.type': 'input' }),
    },
    {
      name: SIGNALS.gauge, description: '', unit: 'By', metadata: {}, resource, scope,
      type: 'gauge', points: points([1.5], {}),
    },
  ];
  await store.writeMetrics(metrics);
}
