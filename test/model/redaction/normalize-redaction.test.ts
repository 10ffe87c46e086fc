import { describe, expect, it } from 'vitest';
import { createNormalizer } from '../../../src/model/normalize.js';
import { createRedactor } from '../../../src/model/redaction/redactor.js';
import type { SpanRecord } from '../../../src/model/types.js';
import { SECRETS, leakedIn } from '../../fixtures/redaction/secrets.js';
import { rawSpan } from '../raw-span.js';

const normalize = createNormalizer({ redactor: createRedactor() });
const plain = createNormalizer();

const stringify = (record: SpanRecord): string =>
  JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

describe('normalization with a redactor', () => {
  it('derives input, output and reasoning text from redacted messages', () => {
    const raw = rawSpan({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: `Use ${SECRETS.anthropic} for calls.` }]),
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: `my AWS key is ${SECRETS.awsAccessKeyId} and card ${SECRETS.card}` }] },
      ]),
      'gen_ai.output.messages': JSON.stringify([
        {
          role: 'assistant',
          parts: [
            { type: 'reasoning', content: `The user pasted ${SECRETS.awsAccessKeyId}; never repeat it.` },
            { type: 'text', content: `Rotate it. Temporary token: ${SECRETS.jwt}` },
            { type: 'tool_call', name: 'deploy', arguments: { key: SECRETS.openaiProject } },
          ],
        },
      ]),
    });
    const record = normalize(raw);
    expect(leakedIn(stringify(record))).toEqual([]);
    expect(record.input?.text).toBe(
      'system: Use [REDACTED:anthropic-key] for calls.\nuser: my AWS key is [REDACTED:aws-access-key] and card [REDACTED:card-number]',
    );
    expect(record.output?.text).toContain('Rotate it. Temporary token: [REDACTED:jwt]');
    expect(record.output?.text).toContain('[REDACTED:openai-key]');
    expect(record.reasoning?.text).toBe('The user pasted [REDACTED:aws-access-key]; never repeat it.');
    expect(record.counts.redacted).toBe(6);
    expect(record.requestModel).toBe('gpt-4o');

    // Without a redactor the same span keeps its secrets: the test above is not vacuous.
    expect(leakedIn(stringify(plain(raw)))).toEqual(expect.arrayContaining(['anthropic', 'awsAccessKeyId', 'jwt', 'openaiProject', 'card']));
    expect(plain(raw).counts.redacted).toBe(0);
  });

  it('redacts tool arguments and results, structured or JSON text', () => {
    const tool = normalize(
      rawSpan({
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'http_get',
        'gen_ai.tool.call.arguments': { url: 'https://api.example.com', headers: { authorization: `Bearer ${SECRETS.bearer}` }, api_key: SECRETS.google },
        'gen_ai.tool.call.result': JSON.stringify({ status: 200, body: `created ${SECRETS.github}` }),
      }),
    );
    expect(leakedIn(stringify(tool))).toEqual([]);
    expect(tool.input?.text).toContain('Bearer [REDACTED:bearer-token]');
    expect(tool.input?.text).toContain('"api_key":"[REDACTED:denied-key]"');
    expect(tool.output?.text).toBe('{"status":200,"body":"created [REDACTED:github-token]"}');
    expect(tool.counts.redacted).toBe(3);
  });

  it('redacts reasoning carried in skein.reasoning.content and OpenInference values', () => {
    const reasoning = normalize(
      rawSpan({ 'skein.step.type': 'reasoning', 'skein.reasoning.content': `Thinking about ${SECRETS.slack}` }),
    );
    expect(reasoning.reasoning?.text).toBe('Thinking about [REDACTED:slack-token]');
    const oi = normalize(rawSpan({ 'openinference.span.kind': 'LLM', 'input.value': `key ${SECRETS.openaiLegacy}`, 'output.value': 'ok' }));
    expect(oi.input?.text).toBe('key [REDACTED:openai-key]');
    expect(oi.counts.redacted).toBe(1);
  });

  it('redacts before truncating: a secret straddling the limit is still found', () => {
    const cut = createNormalizer({ maxTextLength: 30, redactor: createRedactor() });
    const record = cut(rawSpan({ 'input.value': `${'x'.repeat(20)} ${SECRETS.github}` }));
    expect(record.input?.text).toBe(`${'x'.repeat(20)} [REDACTED`);
    // The kept attribute is whole, and redacted.
    expect(record.raw.attributes['input.value']).toBe(`${'x'.repeat(20)} [REDACTED:github-token]`);
    expect(record.counts).toMatchObject({ redacted: 1, truncated: 1 });
  });

  it('keeps the count when the collector redacted the span first', () => {
    const redactor = createRedactor();
    const [redacted] = redactor.redactSpans([rawSpan({ note: SECRETS.google, 'db.password': SECRETS.password })]);
    const record = createNormalizer({ redactor })(redacted);
    expect(record.counts.redacted).toBe(2);
    expect(record.raw.attributes).toEqual({ note: '[REDACTED:google-api-key]', 'db.password': '[REDACTED:denied-key]' });
  });
});
