/**
 * `skein serve` keeps a long value whole in what export reads, and cuts only
 * the derived text, at 4096 by default and at `--max-text-length` or the
 * config file's `maxTextLength` when given (through the writer thread).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTraceRequest, encodeTraceRequest } from '../../../src/otlp/index.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { cleanup, runServeInProcess, tempDir } from './helpers.js';

afterEach(cleanup);

const PROMPT = Array.from({ length: 2_000 }, (_, i) => `word${i}`).join(' '); // ~15.8k characters

async function sendAndRead(args: string[], session: string) {
  const serve = await runServeInProcess(['--db', join(tempDir(), 'skein.db'), '--port', '0', ...args]);
  try {
    const span = makeRawSpan({
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.conversation.id': session,
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: PROMPT }] }]),
      },
    });
    const res = await fetch(`${serve.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeTraceRequest([span], 'protobuf'),
    });
    expect(res.status).toBe(200);
    const step = (await (await fetch(`${serve.url}/api/spans?session=${session}`)).json()) as {
      items: Array<{ input: { text: string; originalLength: number; truncated: boolean } }>;
    };
    const exported = await (await fetch(`${serve.url}/api/sessions/${session}/export?format=otlp`)).text();
    return { input: step.items[0].input, exported: decodeTraceRequest(new TextEncoder().encode(exported), 'json').spans[0] };
  } finally {
    expect(await serve.stop()).toBe(0);
  }
}

function whole(exported: { attributes: Record<string, unknown> }): string {
  return JSON.parse(exported.attributes['gen_ai.input.messages'] as string)[0].parts[0].content as string;
}

describe('skein serve and long text', () => {
  it('by default: the export keeps the whole value; the derived input is cut at 4096', async () => {
    const { input, exported } = await sendAndRead([], 'long-default');
    expect(whole(exported)).toBe(PROMPT);
    expect(input.text.length).toBe(4096);
    expect(input).toMatchObject({ truncated: true, originalLength: PROMPT.length + 'user: '.length });
  });

  it('--max-text-length, and the config file\'s maxTextLength, set the cut', async () => {
    const wide = await sendAndRead(['--max-text-length', '20000'], 'long-flag');
    expect(wide.input).toMatchObject({ text: `user: ${PROMPT}`, truncated: false });
    const config = join(tempDir(), 'skein.config.json');
    writeFileSync(config, JSON.stringify({ maxTextLength: 100 }));
    const narrow = await sendAndRead(['--config', config], 'long-config');
    expect(narrow.input.text.length).toBe(100);
    expect(narrow.input.truncated).toBe(true);
    expect(whole(narrow.exported)).toBe(PROMPT);
  });
});
