import { describe, expect, it } from 'vitest';
import { resolveEventName } from '../../src/model/event-name.js';
import type { RawLogRecord } from '../../src/model/log-types.js';
import { emptyLog } from '../helpers/raw-logs.js';

const record = (fields: Partial<RawLogRecord>): RawLogRecord => emptyLog({ timeUnixNano: 1n, severityNumber: 9, ...fields });

describe('resolveEventName: the issue 17 order', () => {
  it('the event.name attribute wins over LogRecord.event_name and the body', () => {
    expect(resolveEventName(record({ attributes: { 'event.name': 'gen_ai.choice' }, eventName: 'other', body: 'body.name' }))).toBe('gen_ai.choice');
  });
  it('then LogRecord.event_name', () => {
    expect(resolveEventName(record({ eventName: 'gen_ai.user.message', body: { content: 'hi' } }))).toBe('gen_ai.user.message');
  });
  it("skips an event_name that is a source location (Codex's `event <file>:<line>`) for the string body", () => {
    expect(resolveEventName(record({ eventName: 'event otel/src/events/session_telemetry.rs:42', body: 'codex.sse_event' }))).toBe('codex.sse_event');
    expect(resolveEventName(record({ eventName: 'event otel/src/metrics/client.rs:330' }))).toBeUndefined();
  });
  it('then a string body; a structured body or an empty attribute names nothing', () => {
    expect(resolveEventName(record({ attributes: { 'event.name': '' }, body: 'claude_code.api_request' }))).toBe('claude_code.api_request');
    expect(resolveEventName(record({ body: { content: 'x' } }))).toBeUndefined();
  });
  it('reads another attribute first when asked', () => {
    expect(resolveEventName(record({ attributes: { 'my.event': 'a', 'event.name': 'b' } }), 'my.event')).toBe('a');
  });
});
