import { describe, expect, it } from 'vitest';
import type { RawLogRecord } from '../../../src/model/log-types.js';
import type { RawMetric } from '../../../src/model/metric-types.js';
import { DENIED_KEY_MARKER, TOO_DEEP_MARKER, createRedactor } from '../../../src/model/redaction/redactor.js';
import type { AttributeValue, InstrumentationScope, SpanResource } from '../../../src/model/types.js';
import { SECRETS, leakedIn } from '../../fixtures/redaction/secrets.js';
import { deepFreeze } from '../../helpers/deep-freeze.js';
import { emptyLog } from '../../helpers/raw-logs.js';

const stringify = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
  );

const secretResource = (): SpanResource => ({
  attributes: { 'service.name': 'agent', 'deploy.key': SECRETS.google, 'db.password': 'hunter2' },
  droppedAttributesCount: 0,
  schemaUrl: '',
});
const secretScope = (): InstrumentationScope => ({
  name: `lib ${SECRETS.github}`,
  version: '1',
  attributes: { 'lib.card': SECRETS.card },
  droppedAttributesCount: 0,
  schemaUrl: '',
});
const cleanResource: SpanResource = { attributes: { 'service.name': 'clean' }, droppedAttributesCount: 0, schemaUrl: '' };
const cleanScope: InstrumentationScope = { name: 'lib', version: '1', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };

function log(body: AttributeValue, overrides: Partial<RawLogRecord> = {}): RawLogRecord {
  return emptyLog({ timeUnixNano: 1_700_000_000_000_000_001n, severityNumber: 9, severityText: 'INFO', body, resource: cleanResource, scope: cleanScope, ...overrides });
}

describe('redactLogs', () => {
  it('redacts the body of every AnyValue kind, attributes, event name, level, resource and scope', () => {
    const resource = secretResource();
    const scope = secretScope();
    const records = deepFreeze([
      log(`user said ${SECRETS.openaiProject}`, {
        attributes: { 'tool.args': `{"key":"${SECRETS.anthropic}"}`, 'user.api_key': 'plain-looking', n: 5555555555554444 },
        eventName: `claude_code.tool ${SECRETS.slack}`,
        severityText: `INFO ${SECRETS.jwt}`,
        resource,
        scope,
      }),
      log(
        {
          content: `token ${SECRETS.github}`,
          password: 'hunter2',
          nested: { deeper: [`key=${SECRETS.awsAccessKeyId}`], 'smtp.secret': 'x' },
          raw: new Uint8Array(Buffer.from(`bytes ${SECRETS.openaiLegacy}`, 'latin1')),
          big: 123456789012345678901234567890n,
        },
        { resource, scope },
      ),
      log(['fine', `bearer Bearer ${SECRETS.bearer}`, { api_key: 'x' }, 7n]),
    ]);
    const before = stringify(records);
    const out = createRedactor().redactLogs(records);
    expect(stringify(records)).toBe(before);
    expect(leakedIn(stringify(out))).toEqual([]);
    expect(out[0].body).toBe('user said [REDACTED:openai-key]');
    expect(out[0].attributes).toEqual({
      'tool.args': '{"key":"[REDACTED:anthropic-key]"}',
      'user.api_key': DENIED_KEY_MARKER,
      n: 5555555555554444,
    });
    expect(out[0].eventName).toBe('claude_code.tool [REDACTED:slack-token]');
    expect(out[0].severityText).toBe('INFO [REDACTED:jwt]');
    expect(out[0].resource.attributes).toEqual({ 'service.name': 'agent', 'deploy.key': '[REDACTED:google-api-key]', 'db.password': DENIED_KEY_MARKER });
    expect(out[0].scope.name).toBe('lib [REDACTED:github-token]');
    expect(out[0].scope.attributes).toEqual({ 'lib.card': '[REDACTED:card-number]' });
    // One resource and one scope object in, one redacted object out: grouping by identity survives.
    expect(out[1].resource).toBe(out[0].resource);
    expect(out[1].scope).toBe(out[0].scope);
    const body = out[1].body as Record<string, AttributeValue>;
    expect(body.content).toBe('token [REDACTED:github-token]');
    expect(body.password).toBe(DENIED_KEY_MARKER); // a kvlist body's keys are denied like attribute keys
    expect(body.nested).toEqual({ deeper: ['key=[REDACTED:aws-access-key]'], 'smtp.secret': DENIED_KEY_MARKER });
    expect(Buffer.from(body.raw as Uint8Array).toString('latin1')).toBe('bytes [REDACTED:openai-key]');
    expect(body.big).toBe(123456789012345678901234567890n);
    expect(out[2].body).toEqual(['fine', 'bearer Bearer [REDACTED:bearer-token]', { api_key: DENIED_KEY_MARKER }, 7n]);
  });

  it('returns records with nothing to replace as the same objects', () => {
    const records = [
      log('nothing secret here', { attributes: { a: 'b', list: [1, 'x'] } }),
      log({ role: 'user', parts: [{ text: 'hi' }] }),
      log(null),
      log(new Uint8Array([1, 2, 3])),
    ];
    const out = createRedactor().redactLogs(records);
    expect(out).not.toBe(records);
    out.forEach((record, i) => expect(record).toBe(records[i]));
  });

  it('replaces bodies nested deeper than the walk goes', () => {
    let deep: AttributeValue = 'bottom';
    for (let i = 0; i < 40; i++) deep = { level: deep };
    const [out] = createRedactor().redactLogs([log(deep)]);
    expect(stringify(out.body)).toContain(TOO_DEEP_MARKER);
    expect(stringify(out.body)).not.toContain('bottom');
  });

  it('changes nothing when redaction is off', () => {
    const records = [log(`key ${SECRETS.openaiProject}`)];
    const out = createRedactor({ enabled: false }).redactLogs(records);
    expect(out[0]).toBe(records[0]);
  });
});

function metrics(resource: SpanResource, scope: InstrumentationScope): RawMetric[] {
  const base = { startTimeUnixNano: 1n, timeUnixNano: 2n, flags: 0 };
  const header = { description: '', unit: '1', metadata: {}, resource, scope };
  return [
    {
      ...header,
      name: 'gen_ai.client.token.usage',
      description: `tokens for ${SECRETS.openaiProject}`,
      metadata: { 'meta.token': SECRETS.github, 'meta.api_key': 'k' },
      type: 'sum',
      temporality: 'delta',
      monotonic: true,
      points: [
        { ...base, attributes: { 'session.id': 's1' }, value: 3n },
        { ...base, attributes: { 'user.note': `key ${SECRETS.anthropic}` }, value: 4.5 },
      ],
    },
    { ...header, name: 'g', type: 'gauge', points: [{ ...base, attributes: { secret: 'x' }, value: 1 }] },
    {
      ...header,
      name: 'h',
      type: 'histogram',
      temporality: 'cumulative',
      points: [{ ...base, attributes: { a: SECRETS.jwt }, count: 1n, sum: 1, min: null, max: null, bucketCounts: [1n], explicitBounds: [] }],
    },
    {
      ...header,
      name: 'e',
      type: 'exponentialHistogram',
      temporality: 'delta',
      points: [
        {
          ...base,
          attributes: { a: SECRETS.slack },
          count: 0n,
          sum: null,
          min: null,
          max: null,
          scale: 0,
          zeroCount: 0n,
          zeroThreshold: 0,
          positive: { offset: 0, bucketCounts: [] },
          negative: { offset: 0, bucketCounts: [] },
        },
      ],
    },
    { ...header, name: 's', type: 'summary', points: [{ ...base, attributes: { a: SECRETS.google }, count: 1n, sum: 2, quantileValues: [] }] },
  ];
}

describe('redactMetrics', () => {
  it('redacts description, metadata, every point type, resource and scope', () => {
    const input = deepFreeze(metrics(secretResource(), secretScope()));
    const before = stringify(input);
    const out = createRedactor().redactMetrics(input);
    expect(stringify(input)).toBe(before);
    expect(leakedIn(stringify(out))).toEqual([]);
    const [sum, gauge] = out;
    expect(sum.description).toBe('tokens for [REDACTED:openai-key]');
    expect(sum.metadata).toEqual({ 'meta.token': '[REDACTED:github-token]', 'meta.api_key': DENIED_KEY_MARKER });
    expect(sum.points[0]).toBe(input[0].points[0]); // an untouched point is not copied
    expect(sum.points[1].attributes).toEqual({ 'user.note': 'key [REDACTED:anthropic-key]' });
    expect(gauge.points[0].attributes).toEqual({ secret: DENIED_KEY_MARKER });
    expect(out.every((m) => m.resource === out[0].resource && m.scope === out[0].scope)).toBe(true);
    expect(out[0].resource.attributes['deploy.key']).toBe('[REDACTED:google-api-key]');
    expect(out.map((m) => m.type)).toEqual(['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary']);
  });

  it('returns metrics with nothing to replace as the same objects', () => {
    const input = metrics(cleanResource, cleanScope).map((m) => ({
      ...m,
      description: 'plain',
      metadata: {},
      points: m.points.map((p) => ({ ...p, attributes: { ok: 'fine' } })),
    })) as RawMetric[];
    const out = createRedactor().redactMetrics(input);
    out.forEach((metric, i) => expect(metric).toBe(input[i]));
  });
});
