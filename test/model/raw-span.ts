/** Builds a RawSpan for tests: a root span with the given attributes. */

import type { Attributes, RawSpan } from '../../src/model/types.js';

export function rawSpan(attributes: Attributes, overrides: Partial<RawSpan> = {}): RawSpan {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: null,
    traceState: '',
    flags: 1,
    name: 'span',
    kind: 1,
    startTimeUnixNano: 1_763_700_000_000_000_000n,
    endTimeUnixNano: 1_763_700_001_000_000_000n,
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: 0,
    statusMessage: '',
    resource: { attributes: { 'service.name': 'test' }, droppedAttributesCount: 0, schemaUrl: '' },
    scope: { name: 'test', version: '1', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
    ...overrides,
  };
}
