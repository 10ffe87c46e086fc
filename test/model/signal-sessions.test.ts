import { describe, expect, it } from 'vitest';
import { SESSION_KEYS } from '../../src/model/dialect-slots.js';
import type { RawLogRecord } from '../../src/model/log-types.js';
import { normalizeSpan } from '../../src/model/normalize.js';
import { logSessionKey, metricPointSessionKey } from '../../src/model/signal-sessions.js';
import type { Attributes, SpanResource } from '../../src/model/types.js';
import { emptyLog } from '../helpers/raw-logs.js';
import { rawSpan } from './raw-span.js';

const resource = (attributes: Attributes): SpanResource => ({ attributes, droppedAttributesCount: 0, schemaUrl: '' });

const log = (attributes: Attributes, resourceAttributes: Attributes = {}): RawLogRecord => emptyLog({ attributes, resource: resource(resourceAttributes) });

describe('session keys of log records and metric points', () => {
  it('reads the span session keys, in the spans’ precedence', () => {
    expect(SESSION_KEYS).toEqual([
      'gen_ai.conversation.id',
      'session.id',
      'conversation.id',
      'langfuse.session.id',
      'ai.telemetry.metadata.sessionId',
      'traceloop.association.properties.session_id',
    ]);
    // Every pair of keys: the one a span picks is the one a log record picks.
    for (let i = 0; i < SESSION_KEYS.length; i++) {
      for (let j = 0; j < SESSION_KEYS.length; j++) {
        if (i === j) continue;
        const attributes = { [SESSION_KEYS[i]]: `k${i}`, [SESSION_KEYS[j]]: `k${j}` };
        const spanKey = normalizeSpan(rawSpan(attributes)).sessionId;
        expect(spanKey).toBe(`k${Math.min(i, j)}`);
        expect(logSessionKey(log(attributes))).toBe(spanKey);
        expect(metricPointSessionKey(attributes, undefined)).toBe(spanKey);
      }
    }
  });

  it('prefers any key on the record to any key on its resource', () => {
    expect(logSessionKey(log({ 'traceloop.association.properties.session_id': 'own' }, { 'gen_ai.conversation.id': 'res' }))).toBe('own');
    expect(logSessionKey(log({ other: 'x' }, { 'session.id': 'res' }))).toBe('res');
    expect(metricPointSessionKey({}, resource({ 'langfuse.session.id': 'res' }))).toBe('res');
  });

  it('treats an empty string as no key, reads numbers as text and never cuts a key', () => {
    expect(logSessionKey(log({ 'gen_ai.conversation.id': '', 'session.id': 'next' }))).toBe('next');
    expect(logSessionKey(log({ 'session.id': '' }, { 'session.id': '' }))).toBeNull();
    expect(metricPointSessionKey({ 'session.id': 42 }, undefined)).toBe('42');
    expect(metricPointSessionKey({ 'session.id': 12345678901234567890n }, undefined)).toBe('12345678901234567890');
    expect(metricPointSessionKey({ 'session.id': true, 'langfuse.session.id': { a: 'b' } }, undefined)).toBeNull();
    const long = 's'.repeat(100_000);
    expect(logSessionKey(log({ 'session.id': long }))).toBe(long);
  });

  it('is null without any key', () => {
    expect(logSessionKey(log({ 'user.id': 'u' }, { 'service.name': 'claude-code' }))).toBeNull();
    expect(metricPointSessionKey({}, resource({}))).toBeNull();
  });
});
