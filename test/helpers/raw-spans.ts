import { randomBytes } from 'node:crypto';
import type { RawSpan } from '../../src/model/types.js';

export function hexId(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A complete RawSpan with agent-like attributes; override any field. */
export function makeRawSpan(overrides: Partial<RawSpan> = {}): RawSpan {
  const start = 1_700_000_000_123_456_789n;
  return {
    traceId: hexId(16),
    spanId: hexId(8),
    parentSpanId: null,
    traceState: '',
    flags: 1,
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 1_500_000_000n,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 40,
      'gen_ai.conversation.id': 'conv-1',
    },
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: 0,
    statusMessage: '',
    resource: { attributes: { 'service.name': 'test-agent' }, droppedAttributesCount: 0, schemaUrl: '' },
    scope: { name: 'test', version: '1.0.0', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
    ...overrides,
  };
}
