/**
 * Sessions as chat agents write them: one trace per turn, minutes apart,
 * written by the real OTel SDK into the real SkeinSpanProcessor with explicit
 * times, so the idle gaps are known to the second.
 *
 * - `sess-turns` (agent chatbot): three turns 2 m 10 s apart (end to start).
 *   Each turn: a root agent step, a model call that asks for the `lookup`
 *   tool, the tool call, and a model call whose output carries its reasoning
 *   and the answer. Turn 2's tool call fails. Turn 3 also has a step whose
 *   parent never arrived, and one that starts before its parent (clock skew).
 * - `sess-turns-b`: the same agent, two turns, a second tool call in turn 1,
 *   more tokens: the other side of the compare view.
 * - `sess-single`: one trace, one model call (looks as before).
 */

import { join } from 'node:path';
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { SkeinSpanProcessor } from '../../../src/processor/skein-span-processor.js';
import { tempDir } from '../query-api/seed.js';

export const T0_MILLIS = Date.UTC(2026, 0, 5, 10, 0, 0);
export const TURN_MILLIS = 10_000;
export const GAP_MILLIS = 130_000;
export const TURNS = {
  sessionId: 'sess-turns',
  agentName: 'chatbot',
  user: ['Where is the Louvre?', 'And how tall is the Eiffel tower?', 'Thanks, which is older?'],
  answer: ['The Louvre is in Paris, on the Right Bank.', 'The Eiffel tower is 330 m tall.', 'The Louvre is older.'],
  reasoning: ['The lookup says Paris; answer briefly.', 'The lookup failed; use what I know.', 'Louvre 1793, tower 1889.'],
  orphanName: 'orphan step',
  skewName: 'execute_tool early_clock',
};
export const OTHER = { sessionId: 'sess-turns-b', extraTool: 'double_check' };
export const SINGLE = { sessionId: 'sess-single' };

const ms = (millis: number) => new Date(millis);

interface TurnOptions {
  tracer: Tracer;
  sessionId: string;
  index: number;
  startMillis: number;
  tokens: number;
  failTool?: boolean;
  extraTool?: string;
  oddities?: boolean;
}

function turn({ tracer, sessionId, index, startMillis: t, tokens, failTool = false, extraTool, oddities = false }: TurnOptions): void {
  const session = { 'gen_ai.conversation.id': sessionId };
  const root = tracer.startSpan(
    `invoke_agent ${TURNS.agentName}`,
    { attributes: { ...session, 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': TURNS.agentName }, startTime: ms(t) },
    ROOT_CONTEXT,
  );
  const ctx = trace.setSpan(ROOT_CONTEXT, root);
  const model = { ...session, 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' };
  const ask = tracer.startSpan('chat gpt-4o', { startTime: ms(t + 100), attributes: {
    ...model,
    'gen_ai.usage.input_tokens': tokens,
    'gen_ai.usage.output_tokens': 20,
    'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: TURNS.user[index] }] }]),
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'tool_call', name: 'lookup', arguments: { q: TURNS.user[index] } }] }]),
  } }, ctx);
  ask.end(ms(t + 3000));
  const tool = tracer.startSpan('execute_tool lookup', {
    attributes: { ...session, 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup', 'gen_ai.tool.call.arguments': JSON.stringify({ q: TURNS.user[index] }), ...(failTool ? {} : { 'gen_ai.tool.call.result': JSON.stringify({ hit: `result ${index}` }) }) },
    startTime: ms(t + 3100),
  }, ctx);
  if (failTool) tool.setStatus({ code: SpanStatusCode.ERROR, message: 'lookup timed out' });
  tool.end(ms(t + 4000));
  if (extraTool) {
    tracer.startSpan(`execute_tool ${extraTool}`, { attributes: { ...session, 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': extraTool }, startTime: ms(t + 4000) }, ctx).end(ms(t + 4050));
  }
  const answer = tracer.startSpan('chat gpt-4o', {
    attributes: {
      ...model,
      'gen_ai.usage.input_tokens': tokens * 2,
      'gen_ai.usage.output_tokens': 40,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: TURNS.user[index] }] }, { role: 'tool', parts: [{ type: 'tool_call_response', result: `result ${index}` }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'reasoning', content: TURNS.reasoning[index] }, { type: 'text', content: TURNS.answer[index] }] }]),
    },
    startTime: ms(t + 4100),
  }, ctx);
  answer.end(ms(t + 9500));
  if (oddities) {
    // Starts half a second before its parent: another process's clock.
    tracer.startSpan(TURNS.skewName, { attributes: { ...session, 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'early_clock' }, startTime: ms(t - 500) }, ctx).end(ms(t + 50));
    // Its parent (same trace) was never sent.
    const lost = trace.setSpanContext(ROOT_CONTEXT, { traceId: root.spanContext().traceId, spanId: 'aaaaaaaaaaaaaaaa', traceFlags: 1 });
    tracer.startSpan(TURNS.orphanName, { attributes: { ...session, 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'orphan' }, startTime: ms(t + 5000) }, lost).end(ms(t + 5200));
  }
  root.end(ms(t + TURN_MILLIS));
}

export interface TurnsSeeded {
  dbPath: string;
  cleanup(): void;
}

export async function seedTurns(): Promise<TurnsSeeded> {
  const { dir, cleanup } = tempDir('skein-viewer-turns-');
  const dbPath = join(dir, 'turns.db');
  const processor = new SkeinSpanProcessor({ dbPath });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('viewer-turns-test', '1.0.0');
  const step = TURN_MILLIS + GAP_MILLIS;
  for (let i = 0; i < 3; i++) turn({ tracer, sessionId: TURNS.sessionId, index: i, startMillis: T0_MILLIS + i * step, tokens: 100, failTool: i === 1, oddities: i === 2 });
  for (let i = 0; i < 2; i++) turn({ tracer, sessionId: OTHER.sessionId, index: i, startMillis: T0_MILLIS + 3_600_000 + i * step, tokens: 300, extraTool: i === 0 ? OTHER.extraTool : undefined });
  turn({ tracer, sessionId: SINGLE.sessionId, index: 0, startMillis: T0_MILLIS + 7_200_000, tokens: 50 });
  await provider.shutdown();
  return { dbPath, cleanup };
}
