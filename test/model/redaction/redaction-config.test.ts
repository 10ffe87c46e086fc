import { describe, expect, it } from 'vitest';
import { parseRedactionConfig } from '../../../src/model/redaction/redaction-config.js';
import { RedactionConfigError } from '../../../src/model/redaction/redaction-pattern.js';
import { createRedactor } from '../../../src/model/redaction/redactor.js';
import { SECRETS } from '../../fixtures/redaction/secrets.js';

const SOURCE = '/etc/skein/skein.config.json';

describe('parseRedactionConfig', () => {
  it('accepts every field and yields options createRedactor uses as given', () => {
    const options = parseRedactionConfig(
      {
        enabled: true,
        detectors: { email: true, 'card-number': false },
        denyKeys: ['customer.*.ssn'],
        replaceDefaultDenyKeys: false,
        patterns: [{ name: 'ticket', pattern: 'TCK-\\d+', flags: 'i' }, { name: 'emp', pattern: 'EMP-\\d{6}' }],
      },
      SOURCE,
    );
    expect(options).toEqual({
      enabled: true,
      detectors: { email: true, 'card-number': false },
      denyKeys: ['customer.*.ssn'],
      replaceDefaultDenyKeys: false,
      patterns: [{ name: 'ticket', pattern: 'TCK-\\d+', flags: 'i' }, { name: 'emp', pattern: 'EMP-\\d{6}' }],
    });
    const redactor = createRedactor(options);
    expect(redactor.redactText(`${SECRETS.email} tck-12 ${SECRETS.cardDigits}`).text).toBe(
      `[REDACTED:email] [REDACTED:ticket] ${SECRETS.cardDigits}`,
    );
    expect(redactor.redactAttributes({ 'customer.eu.ssn': 'x' }).attributes).toEqual({ 'customer.eu.ssn': '[REDACTED:denied-key]' });
  });

  it('treats a missing section as the defaults', () => {
    expect(parseRedactionConfig(undefined, SOURCE)).toEqual({});
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['not an object', 'on', /skein\.config\.json: redaction: must be an object/],
    ['unknown field', { enable: true }, /redaction\.enable: unknown field/],
    ['enabled not boolean', { enabled: 'yes' }, /redaction\.enabled: must be true or false/],
    ['detectors not an object', { detectors: ['email'] }, /redaction\.detectors: must be an object/],
    ['unknown detector', { detectors: { stripe: true } }, /redaction\.detectors\.stripe: unknown detector \(known: openai-key/],
    ['detector not boolean', { detectors: { email: 1 } }, /redaction\.detectors\.email: must be true or false/],
    ['denyKeys not an array', { denyKeys: 'db.password' }, /redaction\.denyKeys: must be an array/],
    ['empty deny key', { denyKeys: ['ok', ''] }, /redaction\.denyKeys\[1\]: must be a non-empty string/],
    ['replaceDefaultDenyKeys not boolean', { replaceDefaultDenyKeys: 0 }, /redaction\.replaceDefaultDenyKeys: must be true or false/],
    ['patterns not an array', { patterns: {} }, /redaction\.patterns: must be an array/],
    ['pattern not an object', { patterns: ['x'] }, /redaction\.patterns\[0\]: must be an object/],
    ['pattern unknown field', { patterns: [{ name: 'a', pattern: 'b', regex: 'c' }] }, /redaction\.patterns\[0\]\.regex: unknown field/],
    ['invalid regex', { patterns: [{ name: 'ok', pattern: 'a' }, { name: 'orders', pattern: '(ORD-[0-9+' }] }, /redaction\.patterns\[1\] "orders": invalid regular expression "\(ORD-\[0-9\+"/],
    ['missing pattern', { patterns: [{ name: 'orders' }] }, /redaction\.patterns\[0\] "orders": pattern must be a non-empty string/],
    ['bad flags', { patterns: [{ name: 'orders', pattern: 'x', flags: 'g' }] }, /"orders": flags may only be i, m, s, u/],
    ['empty-matching regex', { patterns: [{ name: 'orders', pattern: '\\d*' }] }, /"orders": pattern "\\\\d\*" matches the empty string/],
  ];
  it.each(bad)('refuses %s, naming the file and the field', (_label, json, message) => {
    let error: unknown;
    try {
      parseRedactionConfig(json, SOURCE);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RedactionConfigError);
    expect((error as Error).message.startsWith(`${SOURCE}: `)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});
