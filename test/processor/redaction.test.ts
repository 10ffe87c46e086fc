/**
 * End to end, in-process: secrets in every place an SDK span can carry them
 * must reach neither the SQLite file (database and WAL bytes) nor the
 * forwarded OTLP request body.
 */

import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createOtlpForwardExporter } from '../../exporters/index.js';
import { createRedactor } from '../../src/model/redaction/redactor.js';
import { redactReadableSpan } from '../../src/processor/redacting-exporter.js';
import { SkeinSpanProcessor } from '../../src/processor/skein-span-processor.js';
import type { SkeinSpanProcessorOptions } from '../../src/processor/skein-span-processor-options.js';
import type { StoredSpan } from '../../src/model/types.js';
import { SECRETS, leakedIn } from '../fixtures/redaction/secrets.js';
import type { SecretName } from '../fixtures/redaction/secrets.js';
import { openStore, removeTempDirs, tempDbPath } from './helpers.js';

/** Every seeded secret except the e-mail address, which is only redacted when asked for. */
const SEEDED = (Object.keys(SECRETS) as SecretName[]).filter((name) => name !== 'email');

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  removeTempDirs();
});

async function upstream(): Promise<{ endpoint: string; bodies: Buffer[] }> {
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.push(req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

function fileBytes(dbPath: string): Buffer {
  const parts = [dbPath, `${dbPath}-wal`].filter((path) => existsSync(path)).map((path) => readFileSync(path));
  return Buffer.concat(parts);
}

/** An agent run with a secret in every attribute, event, link, status and resource slot an SDK span has. */
function runAgent(provider: BasicTracerProvider): void {
  const tracer = provider.getTracer('redaction-test', '1.0.0');
  const linked = tracer.startSpan('earlier run');
  linked.end();
  const agent = tracer.startSpan('invoke_agent support', {
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.conversation.id': 'conv-redaction', 'gen_ai.agent.name': 'support' },
    links: [{ context: linked.spanContext(), attributes: { 'link.reason': `retry with ${SECRETS.slack}` } }],
  });
  const parent = trace.setSpan(ROOT_CONTEXT, agent);

  const chat = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: `Internal key: ${SECRETS.openaiLegacy}` }]),
        'gen_ai.input.messages': JSON.stringify([
          { role: 'user', parts: [{ type: 'text', content: `Here is my key ${SECRETS.openaiProject} and card ${SECRETS.card}` }] },
        ]),
        'http.request.header.authorization': [SECRETS.authorizationHeader],
        'db.password': SECRETS.password,
        'app.recent_tokens': ['none', `github ${SECRETS.github}`],
      },
    },
    parent,
  );
  chat.setAttributes({
    'gen_ai.usage.input_tokens': 120,
    'gen_ai.usage.output_tokens': 40,
    'gen_ai.output.messages': JSON.stringify([
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: `The pasted ${SECRETS.anthropic} must not be echoed.` },
          { type: 'text', content: `Use this session token instead: ${SECRETS.jwt}` },
        ],
      },
    ]),
  });
  chat.addEvent('gen_ai.choice', { 'gen_ai.choice.note': `fallback card ${SECRETS.amex}` });
  chat.end();

  const tool = tracer.startSpan(
    'execute_tool deploy',
    {
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'deploy',
        'gen_ai.tool.call.id': 'call_1',
        'gen_ai.tool.call.arguments': JSON.stringify({ region: 'eu', api_key: SECRETS.google, card: SECRETS.cardDigits }),
      },
    },
    parent,
  );
  tool.setAttribute('gen_ai.tool.call.result', JSON.stringify({ ok: false, log: `AWS_SECRET_ACCESS_KEY=${SECRETS.awsSecretAccessKey}` }));
  tool.recordException(new Error(`upstream refused ${SECRETS.githubFineGrained}`));
  tool.setStatus({ code: SpanStatusCode.ERROR, message: `401: Authorization: Bearer ${SECRETS.bearer}` });
  tool.end();

  const thinking = tracer.startSpan(
    'reasoning',
    { attributes: { 'skein.step.type': 'reasoning', 'skein.reasoning.content': `Found a key file:\n${SECRETS.privateKey}` } },
    parent,
  );
  thinking.end();
  agent.end();
}

async function runPipeline(options: Partial<SkeinSpanProcessorOptions> = {}) {
  const dbPath = tempDbPath();
  const { endpoint, bodies } = await upstream();
  const processor = new SkeinSpanProcessor({ dbPath, forward: createOtlpForwardExporter({ url: endpoint }), ...options });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'support-agent',
      'process.command_line': `node agent.js --aws-access-key-id ${SECRETS.awsAccessKeyId}`,
    }),
    spanProcessors: [processor],
  });
  runAgent(provider);
  await provider.forceFlush();
  // Before shutdown the data is in the WAL; after it, checkpointed into the database.
  const whileRunning = fileBytes(dbPath);
  await provider.shutdown();
  const afterShutdown = fileBytes(dbPath);
  const store = openStore(dbPath);
  let spans: StoredSpan[];
  try {
    spans = (await store.getSpans({ limit: 100 })).items;
  } finally {
    await store.close();
  }
  return { whileRunning, afterShutdown, forwarded: Buffer.concat(bodies), spans };
}

describe('in-process redaction, end to end', () => {
  it('keeps every seeded secret out of the SQLite bytes and the forwarded body, and counts what it replaced', async () => {
    const { whileRunning, afterShutdown, forwarded, spans } = await runPipeline();
    expect(spans).toHaveLength(5);
    expect(forwarded.length).toBeGreaterThan(0);
    expect(leakedIn(whileRunning, SEEDED)).toEqual([]);
    expect(leakedIn(afterShutdown, SEEDED)).toEqual([]);
    expect(leakedIn(forwarded, SEEDED)).toEqual([]);

    // What took their place is visible where they were.
    const forwardedText = forwarded.toString('utf8');
    for (const marker of ['openai-key', 'anthropic-key', 'aws-access-key', 'github-token', 'google-api-key', 'slack-token', 'bearer-token', 'jwt', 'private-key', 'card-number', 'denied-key']) {
      expect(forwardedText, marker).toContain(`[REDACTED:${marker}]`);
    }
    const byName = new Map(spans.map((s) => [s.name, s]));
    const chat = byName.get('chat gpt-4o')!;
    expect(chat.input?.text).toBe(
      'system: Internal key: [REDACTED:openai-key]\nuser: Here is my key [REDACTED:openai-key] and card [REDACTED:card-number]',
    );
    expect(chat.reasoning?.text).toBe('The pasted [REDACTED:anthropic-key] must not be echoed.');
    expect(chat.output?.text).toBe('assistant: Use this session token instead: [REDACTED:jwt]');
    expect(chat.raw.attributes['db.password']).toBe('[REDACTED:denied-key]');
    // system, input (2), output (2), header, password, array item, event; plus the resource's access key id.
    expect(chat.counts.redacted).toBe(10);
    expect(chat.usage).toMatchObject({ input: 120, output: 40 });
    const tool = byName.get('execute_tool deploy')!;
    expect(tool.statusMessage).toBe('401: Authorization: Bearer [REDACTED:bearer-token]');
    expect(tool.output?.text).toBe('{"ok":false,"log":"AWS_SECRET_ACCESS_KEY=[REDACTED:aws-access-key]"}');
    expect(tool.counts.redacted).toBeGreaterThanOrEqual(6);
    expect(byName.get('reasoning')!.reasoning?.text).toBe('Found a key file:\n[REDACTED:private-key]\n');
    expect(byName.get('invoke_agent support')!.raw.links[0].attributes['link.reason']).toBe('retry with [REDACTED:slack-token]');
    expect(byName.get('earlier run')!.counts.redacted).toBe(1); // only the resource
  });

  it('with redaction off the same run leaks every secret: the checks above can fail', async () => {
    const { afterShutdown, forwarded, spans } = await runPipeline({ redaction: { enabled: false } });
    expect(spans.every((s) => s.counts.redacted === 0)).toBe(true);
    // The PEM is stored JSON-escaped, and a body line is what is searched for; everything else verbatim.
    expect(leakedIn(afterShutdown, SEEDED).sort()).toEqual([...SEEDED].sort());
    expect(leakedIn(forwarded, SEEDED).sort()).toEqual([...SEEDED].sort());
  });

  it('applies configured deny keys and patterns, and refuses a bad pattern before opening the store', async () => {
    const { spans, forwarded } = await runPipeline({
      redaction: { denyKeys: ['gen_ai.tool.call.id'], patterns: [{ name: 'region', pattern: '"region":"eu"' }] },
    });
    const tool = spans.find((s) => s.name === 'execute_tool deploy')!;
    expect(tool.toolCallId).toBe('[REDACTED:denied-key]');
    expect(tool.input?.text).toContain('[REDACTED:region]');
    expect(forwarded.toString('utf8')).not.toContain('call_1');

    const dbPath = tempDbPath();
    expect(() => new SkeinSpanProcessor({ dbPath, redaction: { patterns: [{ name: 'bad', pattern: '(' }] } })).toThrow(/"bad": invalid regular expression/);
    expect(existsSync(dbPath)).toBe(false);
  });
});

describe('redactReadableSpan (what the forward exporter is given)', () => {
  function endedSpans(make: (provider: BasicTracerProvider) => void): ReadableSpan[] {
    const ended: ReadableSpan[] = [];
    const capture: SpanProcessor = {
      onStart: () => {},
      onEnd: (span) => ended.push(span),
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    make(new BasicTracerProvider({ spanProcessors: [capture] }));
    return ended;
  }

  it('passes a span without secrets through as the SDK object itself', () => {
    const [span] = endedSpans((provider) => provider.getTracer('t').startSpan('clean', { attributes: { 'gen_ai.request.model': 'gpt-4o-2024-08-06' } }).end());
    expect(redactReadableSpan(span, createRedactor())).toBe(span);
  });

  it('returns a redacted copy, leaving the SDK span and its identity intact', () => {
    const [span] = endedSpans((provider) => {
      const s = provider.getTracer('t').startSpan('leaky', { attributes: { note: `key ${SECRETS.google}`, n: 1 } });
      s.addEvent('e', { token: SECRETS.github });
      s.end();
    });
    const copy = redactReadableSpan(span, createRedactor());
    expect(copy).not.toBe(span);
    expect(copy.attributes).toEqual({ note: 'key [REDACTED:google-api-key]', n: 1 });
    expect(copy.events[0].attributes).toEqual({ token: '[REDACTED:github-token]' });
    expect(span.attributes.note).toBe(`key ${SECRETS.google}`);
    expect(copy.spanContext()).toEqual(span.spanContext());
    expect(copy.resource).toBe(span.resource);
    expect([copy.name, copy.startTime, copy.endTime, copy.events[0].time]).toEqual([span.name, span.startTime, span.endTime, span.events[0].time]);
  });
});
