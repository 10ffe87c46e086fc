import { describe, expect, it } from 'vitest';
import { DETECTOR_KINDS, isCardNumber } from '../../../src/model/redaction/detectors.js';
import { createRedactor } from '../../../src/model/redaction/redactor.js';
import { PRIVATE_KEY_BODY_LINE, SECRETS } from '../../fixtures/redaction/secrets.js';

const redactor = createRedactor();
const withEmail = createRedactor({ detectors: { email: true } });
const redact = (text: string) => redactor.redactText(text);

describe('built-in detectors: true positives', () => {
  const cases: Array<[string, string, string]> = [
    ['OpenAI project key', SECRETS.openaiProject, 'openai-key'],
    ['OpenAI legacy key', SECRETS.openaiLegacy, 'openai-key'],
    ['Anthropic key', SECRETS.anthropic, 'anthropic-key'],
    ['AWS access key id', SECRETS.awsAccessKeyId, 'aws-access-key'],
    ['GitHub classic token', SECRETS.github, 'github-token'],
    ['GitHub fine-grained token', SECRETS.githubFineGrained, 'github-token'],
    ['Google API key', SECRETS.google, 'google-api-key'],
    ['Slack bot token', SECRETS.slack, 'slack-token'],
    ['JWT', SECRETS.jwt, 'jwt'],
    ['card number with spaces', SECRETS.card, 'card-number'],
    ['card number unbroken', SECRETS.cardDigits, 'card-number'],
    ['Amex number', SECRETS.amex, 'card-number'],
  ];
  it.each(cases)('%s inside prose and inside JSON', (_label, secret, kind) => {
    const prose = redact(`before ${secret} after`);
    expect(prose).toEqual({ text: `before [REDACTED:${kind}] after`, count: 1 });
    const json = redact(JSON.stringify({ role: 'user', content: `use ${secret}` }));
    expect(json.text).toBe(JSON.stringify({ role: 'user', content: `use [REDACTED:${kind}]` }));
    expect(JSON.parse(json.text)).toBeTruthy();
  });

  it('keeps the context of a bearer token and of an AWS secret access key', () => {
    expect(redact(`Authorization: Bearer ${SECRETS.bearer}`).text).toBe('Authorization: Bearer [REDACTED:bearer-token]');
    expect(redact(`authorization: bearer ${SECRETS.bearer}==`).text).toBe('authorization: bearer [REDACTED:bearer-token]');
    expect(redact(`AWS_SECRET_ACCESS_KEY=${SECRETS.awsSecretAccessKey}\n`).text).toBe(
      'AWS_SECRET_ACCESS_KEY=[REDACTED:aws-access-key]\n',
    );
    expect(redact(`{"aws_secret_access_key": "${SECRETS.awsSecretAccessKey}"}`).text).toBe(
      '{"aws_secret_access_key": "[REDACTED:aws-access-key]"}',
    );
  });

  it('removes a PEM private key whole, also when JSON-escaped or cut short', () => {
    const plain = redact(`key:\n${SECRETS.privateKey}done`);
    expect(plain.text).toBe('key:\n[REDACTED:private-key]\ndone');
    const escaped = redact(JSON.stringify({ file: 'id_rsa', content: SECRETS.privateKey }));
    expect(escaped.text).not.toContain(PRIVATE_KEY_BODY_LINE);
    expect(JSON.parse(escaped.text)).toEqual({ file: 'id_rsa', content: '[REDACTED:private-key]\n' });
    const cut = redact(`${SECRETS.privateKey.slice(0, 300)}`);
    expect(cut.text).toBe('[REDACTED:private-key]');
  });

  it('counts every match and replaces several kinds in one string', () => {
    const result = redact(`${SECRETS.github} and ${SECRETS.google}, again ${SECRETS.github}`);
    expect(result).toEqual({ text: '[REDACTED:github-token] and [REDACTED:google-api-key], again [REDACTED:github-token]', count: 3 });
  });

  it('redacts emails only when turned on', () => {
    const text = `mail ${SECRETS.email} please`;
    expect(redact(text)).toEqual({ text, count: 0 });
    expect(withEmail.redactText(text)).toEqual({ text: 'mail [REDACTED:email] please', count: 1 });
  });

  it('is idempotent: a redacted text has nothing left to find', () => {
    const once = withEmail.redactText(Object.values(SECRETS).join(' | '));
    expect(once.count).toBeGreaterThanOrEqual(14);
    expect(withEmail.redactText(once.text)).toEqual({ text: once.text, count: 0 });
  });
});

describe('built-in detectors: near misses are kept', () => {
  const kept = [
    'we use sk-learn and sk-this-is-prose-not-a-key-at-all for models',
    'sk-proj-short',
    'the bearer of bad news; Bearer tokens go in a header',
    'Bearer short',
    'AKIA is a prefix; AKIAZ3XN7QH2 is too short; AKIAz3xn7qh2plw4kd6mq is lower case',
    'ghp_tooShort and gho_ alone',
    'AIza-not-long-enough',
    'xoxb- and xoxb-123',
    'eyJhbGciOiJIUzI1NiJ9 alone is only a header',
    '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----',
    '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----',
    'order 4111111111111112 fails Luhn',
    'ts 1763700000000000000 and 1763700001000000000 are nanoseconds',
    'id 0000000000000000 and 1234567812345670 start like no card',
    'mixed 4111 1111-1111 1111 separators',
    'tails of longer numbers: v2.4111111111111111, 94111111111111111, 123-4111111111111111',
    'phone +1 415-555-0132, date 2024-08-06, model gpt-4o-2024-08-06',
    'uuid 550e8400-e29b-41d4-a716-446655440000',
  ];
  it.each(kept)('%s', (text) => {
    expect(redact(text)).toEqual({ text, count: 0 });
  });

  it('Luhn and issuer rules of card numbers', () => {
    expect(isCardNumber('4111111111111111')).toBe(true);
    expect(isCardNumber('5555-5555-5555-4444')).toBe(true);
    expect(isCardNumber('378282246310005')).toBe(true);
    expect(isCardNumber('4111111111111112')).toBe(false);
    expect(isCardNumber('1234567812345670')).toBe(false); // Luhn-valid, but no issuer starts with 1
    expect(isCardNumber('411111111111')).toBe(false); // 12 digits
    expect(isCardNumber('4111 1111-1111 1111')).toBe(false);
  });
});

describe('turning detectors off', () => {
  it('each built-in can be disabled on its own', () => {
    const samples: Record<string, string> = {
      'openai-key': SECRETS.openaiProject,
      'anthropic-key': SECRETS.anthropic,
      'aws-access-key': SECRETS.awsAccessKeyId,
      'github-token': SECRETS.github,
      'google-api-key': SECRETS.google,
      'slack-token': SECRETS.slack,
      'bearer-token': `Bearer ${SECRETS.bearer}`,
      jwt: SECRETS.jwt,
      'private-key': SECRETS.privateKey,
      'card-number': SECRETS.cardDigits,
      email: SECRETS.email,
    };
    expect(Object.keys(samples).sort()).toEqual([...DETECTOR_KINDS].sort());
    for (const kind of DETECTOR_KINDS) {
      const on = createRedactor({ detectors: { email: true, [kind]: true } }).redactText(samples[kind]);
      expect(on.text, kind).toContain(`[REDACTED:${kind}]`);
      const off = createRedactor({ detectors: { email: true, [kind]: false } }).redactText(samples[kind]);
      expect(off.text, kind).not.toContain(`[REDACTED:${kind}]`);
    }
  });
});
