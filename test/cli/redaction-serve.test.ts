/**
 * End to end, collector: spans posted over OTLP with secrets in every place a
 * span can hold them must reach neither the SQLite file nor the forwarded
 * payload, and the stored spans say how much was redacted.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { CollectorOptions, RunningCollector } from '../../src/collector/start-collector.js';
import type { RedactionOptions } from '../../src/model/redaction/redactor.js';
import type { RawSpan } from '../../src/model/types.js';
import { decodeTraceRequest, encodeTraceRequest } from '../../src/otlp/index.js';
import { SECRETS, leakedIn } from '../fixtures/redaction/secrets.js';
import type { SecretName } from '../fixtures/redaction/secrets.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { cleanup, readAllSpans, startUpstream, tempDir } from './serve/helpers.js';

const SEEDED = (Object.keys(SECRETS) as SecretName[]).filter((name) => name !== 'email');

const collectors: RunningCollector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.close()));
  await cleanup();
});

function fileBytes(dbPath: string): Buffer {
  return Buffer.concat([dbPath, `${dbPath}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p)));
}

/** Spans as an OTLP client would send them, with a secret in every slot, nested values included. */
function secretSpans(): RawSpan[] {
  const resource = {
    attributes: { 'service.name': 'support-agent', 'deploy.env': { AWS_ACCESS_KEY_ID: SECRETS.awsAccessKeyId } },
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
  const chat = makeRawSpan({
    name: 'chat gpt-4o',
    resource,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.conversation.id': 'conv-collector',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.input.messages': JSON.stringify([
        { role: 'system', parts: [{ type: 'text', content: `Key: ${SECRETS.openaiLegacy}` }] },
        { role: 'user', parts: [{ type: 'text', content: `my key ${SECRETS.openaiProject}, card ${SECRETS.card}` }] },
      ]),
      'gen_ai.output.messages': [
        { role: 'assistant', parts: [{ type: 'reasoning', content: `Do not echo ${SECRETS.anthropic}` }, { type: 'text', content: `Token: ${SECRETS.jwt}` }] },
      ],
      'app.nested': { level1: { level2: [`github ${SECRETS.github}`, { note: `fine-grained ${SECRETS.githubFineGrained}` }] } },
      'db.password': SECRETS.password,
      'http.request.header.authorization': [SECRETS.authorizationHeader],
    },
    events: [
      { name: 'exception', timeUnixNano: 1_700_000_000_500_000_000n, attributes: { 'exception.message': `card ${SECRETS.amex} declined` }, droppedAttributesCount: 0 },
    ],
    links: [
      { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceState: '', attributes: { 'link.note': SECRETS.slack }, droppedAttributesCount: 0, flags: 1 },
    ],
    statusCode: 2,
    statusMessage: `401 with Authorization: Bearer ${SECRETS.bearer}`,
  });
  const tool = makeRawSpan({
    name: 'execute_tool deploy',
    traceId: chat.traceId,
    parentSpanId: chat.spanId,
    resource,
    attributes: {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'deploy',
      'gen_ai.conversation.id': 'conv-collector',
      'gen_ai.tool.call.arguments': { api_key: SECRETS.google, card: SECRETS.cardDigits, region: 'eu' },
      'gen_ai.tool.call.result': JSON.stringify({ env: `AWS_SECRET_ACCESS_KEY=${SECRETS.awsSecretAccessKey}` }),
    },
  });
  const reasoning = makeRawSpan({
    name: 'reasoning',
    traceId: chat.traceId,
    parentSpanId: chat.spanId,
    resource,
    attributes: { 'skein.step.type': 'reasoning', 'gen_ai.conversation.id': 'conv-collector', 'skein.reasoning.content': `key file:\n${SECRETS.privateKey}` },
  });
  return [chat, tool, reasoning];
}

async function run(extra: { redaction?: RedactionOptions } = {}) {
  const upstream = await startUpstream();
  const dbPath = join(tempDir(), 'skein.db');
  const options: CollectorOptions & { redaction?: RedactionOptions } = {
    dbPath,
    port: 0,
    forward: [{ url: `${upstream.url}/v1/traces` }],
    forwardBackoffMillis: { initial: 5, max: 20 },
    ...extra,
  };
  const collector = await startCollector(options);
  collectors.push(collector);
  const spans = secretSpans();
  const response = await fetch(`${collector.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: encodeTraceRequest(spans, 'protobuf'),
  });
  expect(response.status).toBe(200);
  await upstream.waitFor(() => upstream.acceptedSpanIds().length >= spans.length);
  await collector.close();
  const forwarded = Buffer.concat(upstream.requests.map((r) => Buffer.from(r.body)));
  return { dbBytes: fileBytes(dbPath), forwarded, upstream, stored: await readAllSpans(dbPath) };
}

describe('collector redaction, end to end', () => {
  it('stores and forwards no seeded secret, and keeps the redaction count on each span', async () => {
    const { dbBytes, forwarded, upstream, stored } = await run();
    expect(stored).toHaveLength(3);
    expect(leakedIn(dbBytes, SEEDED)).toEqual([]);
    expect(leakedIn(forwarded, SEEDED)).toEqual([]);

    const decoded = upstream.requests.flatMap((r) => decodeTraceRequest(r.body, 'protobuf').spans);
    const sentChat = decoded.find((s) => s.name === 'chat gpt-4o')!;
    expect(sentChat.attributes['db.password']).toBe('[REDACTED:denied-key]');
    expect(sentChat.attributes['app.nested']).toEqual({
      level1: { level2: ['github [REDACTED:github-token]', { note: 'fine-grained [REDACTED:github-token]' }] },
    });
    expect(sentChat.statusMessage).toBe('401 with Authorization: Bearer [REDACTED:bearer-token]');
    expect(sentChat.links[0].attributes['link.note']).toBe('[REDACTED:slack-token]');
    expect(sentChat.resource.attributes['deploy.env']).toEqual({ AWS_ACCESS_KEY_ID: '[REDACTED:aws-access-key]' });
    // Forwarding keeps everything else: the upstream gets what a redacted client would have sent.
    expect(sentChat.attributes['gen_ai.usage.input_tokens']).toBe(10);
    expect(decoded.map((s) => s.spanId).sort()).toEqual(stored.map((s) => s.spanId).sort());

    const chat = stored.find((s) => s.name === 'chat gpt-4o')!;
    expect(chat.input?.text).toBe('system: Key: [REDACTED:openai-key]\nuser: my key [REDACTED:openai-key], card [REDACTED:card-number]');
    expect(chat.reasoning?.text).toBe('Do not echo [REDACTED:anthropic-key]');
    // input 3, output 2, nested 2, password, header, event, link, status, resource.
    expect(chat.counts.redacted).toBe(13);
    const tool = stored.find((s) => s.name === 'execute_tool deploy')!;
    expect(tool.input?.text).toBe('{"api_key":"[REDACTED:denied-key]","card":"[REDACTED:card-number]","region":"eu"}');
    expect(tool.output?.text).toBe('{"env":"AWS_SECRET_ACCESS_KEY=[REDACTED:aws-access-key]"}');
    expect(tool.counts.redacted).toBe(4);
    expect(stored.find((s) => s.name === 'reasoning')!.reasoning?.text).toBe('key file:\n[REDACTED:private-key]\n');
  });

  it('with redaction off everything is stored and forwarded as sent: the checks above can fail', async () => {
    const { dbBytes, forwarded, stored } = await run({ redaction: { enabled: false } });
    expect(stored.every((s) => s.counts.redacted === 0)).toBe(true);
    expect(leakedIn(dbBytes, SEEDED).sort()).toEqual([...SEEDED].sort());
    expect(leakedIn(forwarded, SEEDED).sort()).toEqual([...SEEDED].sort());
  });
});
