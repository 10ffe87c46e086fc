import { describe, expect, it } from 'vitest';
import { DEFAULT_DENY_KEYS, compileDenyKeys } from '../../../src/model/redaction/deny-keys.js';
import { RedactionConfigError } from '../../../src/model/redaction/redaction-pattern.js';
import { DENIED_KEY_MARKER, createRedactor } from '../../../src/model/redaction/redactor.js';
import type { AttributeValue, Attributes, RawSpan } from '../../../src/model/types.js';
import { SECRETS, leakedIn } from '../../fixtures/redaction/secrets.js';
import { deepFreeze } from '../../helpers/deep-freeze.js';
import { rawSpan } from '../raw-span.js';

/** A span with a secret in every place a RawSpan can hold a string. */
function secretEverywhere(): RawSpan {
  return rawSpan(
    {
      'gen_ai.operation.name': 'chat',
      'app.note': `deploy with ${SECRETS.openaiProject}`,
      'app.list': ['fine', `token ${SECRETS.github}`, 3],
      'app.map': { nested: { deeper: [`key=${SECRETS.anthropic}`] }, ok: 'plain' },
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: `my key is ${SECRETS.awsAccessKeyId}` }] },
      ]),
      'db.password': SECRETS.password,
      'http.request.header.authorization': [SECRETS.authorizationHeader],
      'app.config': { 'smtp.password': SECRETS.password, host: 'mail.local' },
      'app.bytes': new Uint8Array([1, 2, 3]),
      'app.count': 5555555555554444,
    },
    {
      statusCode: 2,
      statusMessage: `401 for Bearer ${SECRETS.bearer}`,
      events: [
        { name: 'exception', timeUnixNano: 1n, attributes: { 'exception.message': `bad token ${SECRETS.jwt}` }, droppedAttributesCount: 0 },
        { name: 'clean', timeUnixNano: 2n, attributes: { 'x.y': 'nothing here' }, droppedAttributesCount: 0 },
      ],
      links: [
        {
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: '00f067aa0ba902b7',
          traceState: '',
          attributes: { 'link.note': `slack ${SECRETS.slack}` },
          droppedAttributesCount: 0,
          flags: 1,
        },
      ],
      resource: { attributes: { 'service.name': 'agent', 'deploy.key': SECRETS.google }, droppedAttributesCount: 0, schemaUrl: '' },
      scope: { name: 'lib', version: '1', attributes: { 'lib.card': SECRETS.card }, droppedAttributesCount: 0, schemaUrl: '' },
    },
  );
}

const stringify = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? [...v] : v));

describe('createRedactor().redactRaw', () => {
  it('redacts every place a secret can hide and counts each replacement', () => {
    const raw = deepFreeze(secretEverywhere());
    const before = stringify(raw);
    const { span, count } = createRedactor().redactRaw(raw);
    expect(leakedIn(stringify(span))).toEqual([]);
    expect(stringify(raw)).toBe(before); // the input is untouched (it is frozen, too)
    expect(span.attributes['app.note']).toBe('deploy with [REDACTED:openai-key]');
    expect(span.attributes['app.list']).toEqual(['fine', 'token [REDACTED:github-token]', 3]);
    expect(span.attributes['app.map']).toEqual({ nested: { deeper: ['key=[REDACTED:anthropic-key]'] }, ok: 'plain' });
    expect(JSON.parse(span.attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'my key is [REDACTED:aws-access-key]' }] },
    ]);
    expect(span.attributes['db.password']).toBe(DENIED_KEY_MARKER);
    expect(span.attributes['http.request.header.authorization']).toBe(DENIED_KEY_MARKER);
    expect(span.attributes['app.config']).toEqual({ 'smtp.password': DENIED_KEY_MARKER, host: 'mail.local' });
    expect(span.attributes['app.bytes']).toBe(raw.attributes['app.bytes']);
    expect(span.attributes['app.count']).toBe(5555555555554444); // numbers are not text
    expect(span.statusMessage).toBe('401 for Bearer [REDACTED:bearer-token]');
    expect(span.events[0].attributes['exception.message']).toBe('bad token [REDACTED:jwt]');
    expect(span.events[1]).toBe(raw.events[1]);
    expect(span.links[0].attributes['link.note']).toBe('slack [REDACTED:slack-token]');
    expect(span.resource.attributes).toEqual({ 'service.name': 'agent', 'deploy.key': '[REDACTED:google-api-key]' });
    expect(span.scope.attributes).toEqual({ 'lib.card': '[REDACTED:card-number]' });
    expect(count).toBe(12);
  });

  it('returns the very same span, with count 0, when there is nothing to redact', () => {
    const raw = rawSpan({ 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': '[{"role":"user","content":"hi there, how are you?"}]' });
    const result = createRedactor().redactRaw(raw);
    expect(result.span).toBe(raw);
    expect(result.count).toBe(0);
  });

  it('copies only the parts that changed', () => {
    const raw = secretEverywhere();
    raw.links = [];
    raw.resource = { attributes: { 'service.name': 'clean' }, droppedAttributesCount: 0, schemaUrl: '' };
    const { span } = createRedactor().redactRaw(raw);
    expect(span).not.toBe(raw);
    expect(span.links).toBe(raw.links);
    expect(span.resource).toBe(raw.resource);
    expect(span.events).not.toBe(raw.events);
  });

  it('redacts a shared resource once and gives every span the same redacted copy and count', () => {
    const resource = { attributes: { 'deploy.key': SECRETS.google }, droppedAttributesCount: 0, schemaUrl: '' };
    const redactor = createRedactor();
    const a = redactor.redactRaw(rawSpan({}, { resource }));
    const b = redactor.redactRaw(rawSpan({}, { spanId: '1111111111111111', resource }));
    expect(a.span.resource).toBe(b.span.resource);
    expect(a.span.resource.attributes['deploy.key']).toBe('[REDACTED:google-api-key]');
    expect([a.count, b.count]).toEqual([1, 1]);
  });

  it('replaces structures nested past the walk limit instead of keeping them unread', () => {
    let deep: AttributeValue = SECRETS.github;
    for (let i = 0; i < 40; i++) deep = { next: deep };
    const { span, count } = createRedactor().redactRaw(rawSpan({ deep }));
    expect(stringify(span)).not.toContain(SECRETS.github);
    expect(stringify(span)).toContain('[REDACTED:too-deep]');
    expect(count).toBe(1);
  });

  it('keeps only the identity of a span whose values cannot even be read', () => {
    const hostile = rawSpan({ secret: SECRETS.github });
    Object.defineProperty(hostile, 'events', {
      get() {
        throw new Error('boom');
      },
    });
    const { span, count } = createRedactor().redactRaw(hostile);
    expect(span.spanId).toBe(hostile.spanId);
    expect(span.attributes).toEqual({});
    expect(count).toBeGreaterThanOrEqual(1);
  });

  it('survives attributes that are not objects', () => {
    const odd = rawSpan(null as unknown as Attributes, { events: 'x' as unknown as [], links: [null as unknown as RawSpan['links'][number]], resource: null as unknown as RawSpan['resource'] });
    expect(createRedactor().redactRaw(odd)).toEqual({ span: odd, count: 0 });
  });

  it('does nothing when disabled', () => {
    const raw = secretEverywhere();
    const redactor = createRedactor({ enabled: false });
    expect(redactor.enabled).toBe(false);
    expect(redactor.redactRaw(raw)).toEqual({ span: raw, count: 0 });
    expect(redactor.redactText(SECRETS.github)).toEqual({ text: SECRETS.github, count: 0 });
  });
});

describe('deny keys', () => {
  it('match whole keys case-insensitively, `*` across dots', () => {
    const isDenied = compileDenyKeys(DEFAULT_DENY_KEYS);
    for (const key of ['db.password', 'DB.PASSWORD', 'password', 'app.user_password', 'openai.api_key', 'x.apiKey', 'http.request.header.authorization', 'http.request.header.cookie', 'oauth.client_secret', 'aws.secret_access_key', 'github.access_token']) {
      expect(isDenied(key), key).toBe(true);
    }
    for (const key of ['gen_ai.usage.input_tokens', 'password.length', 'db.user', 'http.request.header.content-type', 'gen_ai.tool.name', 'secretary.name']) {
      expect(isDenied(key), key).toBe(false);
    }
  });

  it('adds configured keys to the defaults, or replaces them', () => {
    const added = createRedactor({ denyKeys: ['app.*.pin', 'Customer.SSN'] });
    const { attributes } = added.redactAttributes({ 'app.card.pin': 1234, 'customer.ssn': '078-05-1120', 'db.password': 'x', 'app.pin': 'kept' });
    expect(attributes).toEqual({ 'app.card.pin': DENIED_KEY_MARKER, 'customer.ssn': DENIED_KEY_MARKER, 'db.password': DENIED_KEY_MARKER, 'app.pin': 'kept' });
    const replaced = createRedactor({ denyKeys: ['customer.ssn'], replaceDefaultDenyKeys: true });
    expect(replaced.redactAttributes({ 'customer.ssn': 'x', 'db.password': 'y' }).attributes).toEqual({ 'customer.ssn': DENIED_KEY_MARKER, 'db.password': 'y' });
  });

  it('keeps booleans and nulls under denied keys, and counts a value once', () => {
    const redactor = createRedactor();
    const result = redactor.redactAttributes({ 'ui.show_password': true, 'db.password': null, 'app.password': ['a', 'b'], 'x.secret': DENIED_KEY_MARKER });
    expect(result).toEqual({
      attributes: { 'ui.show_password': true, 'db.password': null, 'app.password': DENIED_KEY_MARKER, 'x.secret': DENIED_KEY_MARKER },
      count: 1,
    });
  });
});

describe('custom patterns', () => {
  it('replace every match with their name', () => {
    const redactor = createRedactor({ patterns: [{ name: 'employee-id', pattern: 'EMP-\\d{6}' }, { name: 'codename', pattern: 'project\\s+falcon', flags: 'i' }] });
    expect(redactor.redactText('EMP-004211 works on Project  Falcon with EMP-123456')).toEqual({
      text: '[REDACTED:employee-id] works on [REDACTED:codename] with [REDACTED:employee-id]',
      count: 3,
    });
    // Short strings are still checked by custom patterns.
    expect(redactor.redactAttributes({ id: 'EMP-000001' }).attributes).toEqual({ id: '[REDACTED:employee-id]' });
  });

  it('refuses invalid patterns, naming them', () => {
    expect(() => createRedactor({ patterns: [{ name: 'broken', pattern: '([a-z' }] })).toThrow(/"broken": invalid regular expression/);
    expect(() => createRedactor({ patterns: [{ name: 'empty', pattern: 'x*' }] })).toThrow(/matches the empty string/);
    expect(() => createRedactor({ patterns: [{ name: 'bad name!', pattern: 'x' }] })).toThrow(RedactionConfigError);
    expect(() => createRedactor({ patterns: [{ name: 'sticky', pattern: 'x', flags: 'y' }] })).toThrow(/flags may only be/);
    expect(() => createRedactor({ detectors: { 'no-such': true } as never })).toThrow(/unknown redaction detector "no-such"/);
  });
});

describe('long texts sent again (system instructions, tool definitions)', () => {
  /** ~2 KB of instructions, the secret (if any) in the middle, a custom pattern's match at the end. */
  const instructions = (secret: string, n = 0): string => `${'You are a careful agent. '.repeat(40)}${secret} ${'Use the tools. '.repeat(60)}ticket-${n}`;
  const redactor = () => createRedactor({ patterns: [{ name: 'ticket', pattern: 'ticket-\\d+' }] });

  it('are redacted and counted the same every time they arrive, in every span', () => {
    const r = redactor();
    const text = instructions(`key ${SECRETS.openaiProject}`);
    const spans = [1, 2, 3].map((i) => rawSpan({ 'gen_ai.system_instructions': text, n: i }, { spanId: `${i}`.repeat(16) }));
    const results = spans.map((span) => r.redactRaw(span));
    for (const { span, count } of results) {
      const kept = span.attributes['gen_ai.system_instructions'] as string;
      expect(count).toBe(2);
      expect(kept).toContain('[REDACTED:openai-key]');
      expect(kept).toContain('[REDACTED:ticket]');
      expect(leakedIn(kept)).toEqual([]);
      expect(kept).toBe(createRedactor({ patterns: [{ name: 'ticket', pattern: 'ticket-\\d+' }] }).redactText(text).text);
    }
    // A clean long text comes back as it is, every time, counting nothing.
    const clean = 'Plain instructions with nothing to hide. '.repeat(40);
    for (let i = 0; i < 3; i++) expect(r.redactText(clean)).toEqual({ text: clean, count: 0 });
  });

  it('are told apart by their whole text, and stay right once more were seen than are remembered', () => {
    const r = redactor();
    const withSecret = instructions(`key ${SECRETS.github}`, 1);
    // Same length and almost the same text, nothing to find but the ticket.
    const without = instructions('x'.repeat(`key ${SECRETS.github}`.length), 1);
    expect(r.redactText(withSecret).count).toBe(2);
    expect(r.redactText(without)).toEqual({ text: without.replace('ticket-1', '[REDACTED:ticket]'), count: 1 });
    // Past the remembered characters (a few MB): older texts are forgotten, none is mixed up.
    for (let n = 2; n < 2_000; n++) expect(r.redactText(instructions('', n)).count).toBe(1);
    const again = r.redactText(withSecret);
    expect(again.count).toBe(2);
    expect(leakedIn(again.text)).toEqual([]);
  });
});

describe('redactSpans (the collector: redact once, then normalize and forward)', () => {
  it('remembers counts, so redacting a result again reports the same count without finding new matches', () => {
    const redactor = createRedactor();
    const secret = secretEverywhere();
    const clean = rawSpan({ a: 'b' }, { spanId: '2222222222222222' });
    const [redacted, same] = redactor.redactSpans([secret, clean]);
    expect(same).toBe(clean);
    expect(redactor.redactRaw(redacted)).toEqual({ span: redacted, count: 12 });
    expect(redactor.redactRaw(clean)).toEqual({ span: clean, count: 0 });
    // A fresh redactor has no memory: the redacted span has nothing left to find.
    expect(createRedactor().redactRaw(redacted)).toEqual({ span: redacted, count: 0 });
  });
});

describe('names, keys, bytes and trace state', () => {
  const redactor = createRedactor();

  it('redacts span and event names, scope name and version, keys, bytes, trace states and schema URLs, counting each', () => {
    const raw = deepFreeze(
      rawSpan(
        {
          [`x.${SECRETS.openaiProject}`]: 'value',
          'app.bytes': new Uint8Array(Buffer.from(`token=${SECRETS.github};`)),
          'app.map': { [SECRETS.github]: 1 },
        },
        {
          name: `call ${SECRETS.openaiProject}`,
          traceState: `vendor=${SECRETS.github}`,
          events: [{ name: `event ${SECRETS.google}`, timeUnixNano: 1n, attributes: {}, droppedAttributesCount: 0 }],
          links: [
            { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceState: `k=${SECRETS.slack}`, attributes: {}, droppedAttributesCount: 0, flags: 1 },
          ],
          resource: { attributes: {}, droppedAttributesCount: 0, schemaUrl: `https://x.test/?key=${SECRETS.google}` },
          scope: { name: `lib ${SECRETS.github}`, version: SECRETS.openaiProject, attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
        },
      ),
    );
    const { span, count } = redactor.redactRaw(raw);
    expect(count).toBe(10);
    expect(span.name).toBe('call [REDACTED:openai-key]');
    expect(span.traceState).toBe('vendor=[REDACTED:github-token]');
    expect(Object.keys(span.attributes)).toEqual(['x.[REDACTED:openai-key]', 'app.bytes', 'app.map']);
    expect(span.attributes['app.bytes']).toEqual(new Uint8Array(Buffer.from('token=[REDACTED:github-token];')));
    expect(span.attributes['app.map']).toEqual({ '[REDACTED:github-token]': 1 });
    expect(span.events[0].name).toBe('event [REDACTED:google-api-key]');
    expect(span.links[0].traceState).toBe('k=[REDACTED:slack-token]');
    expect(span.resource.schemaUrl).toBe('https://x.test/?key=[REDACTED:google-api-key]');
    expect(span.scope).toMatchObject({ name: 'lib [REDACTED:github-token]', version: '[REDACTED:openai-key]' });
    expect(leakedIn(stringify(span) + Buffer.from(span.attributes['app.bytes'] as Uint8Array).toString('latin1'))).toEqual([]);
    // The same scope object on the next span: its redaction is reused and counted again.
    expect(redactor.redactRaw({ ...raw, name: 'plain' }).count).toBe(9);
  });

  it('keeps every key when two come out the same, and a __proto__ key as a key', () => {
    const other = SECRETS.openaiProject.replace('sk-proj-', 'sk-proj-Z');
    // JSON.parse makes `__proto__` an own key, as the OTLP JSON decoder would.
    const attributes = JSON.parse(
      `{"k.${SECRETS.openaiProject}": 1, "k.[REDACTED:openai-key]": 2, "k.${other}": 3, "__proto__": 4}`,
    ) as Attributes;
    const { attributes: redacted, count } = redactor.redactAttributes(attributes);
    expect(count).toBe(2);
    expect(Object.entries(redacted)).toEqual([
      ['k.[REDACTED:openai-key]#2', 1],
      ['k.[REDACTED:openai-key]', 2],
      ['k.[REDACTED:openai-key]#3', 3],
      ['__proto__', 4],
    ]);
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
  });

  it('returns clean names, keys and bytes untouched, the same objects', () => {
    const raw = rawSpan({ 'gen_ai.usage.input_tokens': 3, 'app.bytes': new Uint8Array([0, 255, 128, 7]) }, { name: 'chat gpt-4o', traceState: 'a=b' });
    const result = redactor.redactRaw(raw);
    expect(result).toEqual({ span: raw, count: 0 });
    expect(result.span).toBe(raw);
  });

  it('bytes that are not text are kept exactly around a match', () => {
    const value = new Uint8Array([0, 255, ...Buffer.from(` ${SECRETS.github} `), 128, 7]);
    const { attributes } = redactor.redactAttributes({ b: value });
    expect(attributes.b).toEqual(new Uint8Array([0, 255, ...Buffer.from(' [REDACTED:github-token] '), 128, 7]));
  });
});
