import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createOtlpForwardExporter, otlpTracesUrl } from '../../exporters/index.js';
import { otlpTracesUrl as oneRule } from '../../src/otlp/traces-url.js';
import { AgentTracer } from '../../src/processor/agent-tracer.js';
import { SkeinSpanProcessor } from '../../src/processor/skein-span-processor.js';
import { openStore, removeTempDirs, tempDbPath } from '../processor/helpers.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: OtlpJsonRequest;
}

interface OtlpJsonRequest {
  resourceSpans: {
    scopeSpans: {
      spans: { name: string; attributes: { key: string; value: Record<string, unknown> }[] }[];
    }[];
  }[];
}

const servers: Server[] = [];

afterEach(async () => {
  setGlobalErrorHandler(loggingErrorHandler());
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  removeTempDirs();
});

async function collector(status = 200): Promise<{ endpoint: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

function spansOf(received: Received[]) {
  return received.flatMap((r) => r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
}

function attr(span: { attributes: { key: string; value: Record<string, unknown> }[] }, key: string) {
  return span.attributes.find((a) => a.key === key)?.value;
}

describe('skein/exporters', () => {
  it('exports the one endpoint rule of Skein (tested in test/otlp/traces-url.test.ts)', () => {
    expect(otlpTracesUrl).toBe(oneRule);
  });
});

describe('SkeinSpanProcessor forwarding through createOtlpForwardExporter', () => {
  it('stores spans locally and forwards them as OTLP JSON with the configured headers', async () => {
    const { endpoint, received } = await collector();
    const dbPath = tempDbPath();
    const processor = new SkeinSpanProcessor({
      dbPath,
      forward: createOtlpForwardExporter({ url: endpoint, headers: { authorization: 'Bearer t0ken' }, timeoutMillis: 5_000 }),
    });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const agent = new AgentTracer(provider.getTracer('forward-test'));

    agent.session({ sessionId: 'fwd-1', agentName: 'router' }, () => {
      agent.modelCall({ provider: 'openai', model: 'gpt-4o-mini' }, (call) => call.recordUsage({ inputTokens: 12, outputTokens: 4 }));
    });
    await processor.forceFlush();

    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received[0].path).toBe('/v1/traces');
    expect(received[0].headers.authorization).toBe('Bearer t0ken');
    expect(received[0].headers['content-type']).toContain('application/json');
    const spans = spansOf(received);
    expect(spans.map((s) => s.name).sort()).toEqual(['chat gpt-4o-mini', 'invoke_agent router']);
    const chat = spans.find((s) => s.name === 'chat gpt-4o-mini');
    expect(chat && attr(chat, 'gen_ai.request.model')).toEqual({ stringValue: 'gpt-4o-mini' });
    expect(chat && attr(chat, 'gen_ai.usage.input_tokens')).toEqual({ intValue: 12 });
    expect(chat && attr(chat, 'gen_ai.conversation.id')).toEqual({ stringValue: 'fwd-1' });

    await processor.shutdown();
    const store = openStore(dbPath);
    try {
      expect((await store.getSession('fwd-1')).spanCount).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('reports a failing upstream to the error handler and counts it, never rejecting forceFlush, and keeps the local copy', async () => {
    const errors: unknown[] = [];
    setGlobalErrorHandler((error) => errors.push(error));
    const { endpoint, received } = await collector(400);
    const dbPath = tempDbPath();
    const processor = new SkeinSpanProcessor({ dbPath, forward: createOtlpForwardExporter({ url: endpoint }) });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    provider.getTracer('t').startSpan('lonely', { attributes: { 'gen_ai.conversation.id': 'fwd-2' } }).end();

    await expect(processor.forceFlush()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(processor.forwardFailedSpans).toBe(1);
    await processor.shutdown();
    expect(spansOf(received).map((s) => s.name)).toEqual(['lonely']);
    const store = openStore(dbPath);
    try {
      expect((await store.getSession('fwd-2')).spanCount).toBe(1);
    } finally {
      await store.close();
    }
  });
});
