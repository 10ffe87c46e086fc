import type { RawLogRecord } from '../../src/model/log-types.js';

/**
 * A RawLogRecord with every field empty (zero times and severity, no body, no
 * attributes, ids or event name, an empty resource and scope): a test sets
 * only the fields it is about.
 */
export function emptyLog(overrides: Partial<RawLogRecord> = {}): RawLogRecord {
  return {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: null,
    attributes: {},
    droppedAttributesCount: 0,
    flags: 0,
    traceId: null,
    spanId: null,
    eventName: '',
    resource: { attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
    scope: { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
    ...overrides,
  };
}
