/**
 * `forward` as README shows it: the real SDK provider, the real OTLP forward
 * exporter, a real HTTP upstream (or a port nothing listens on).
 */

import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { diag } from '@opentelemetry/api';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createOtlpForwardExporter } from '../../exporters/index.js';
import { AgentTracer } from '../../src/processor/agent-tracer.js';
import { SkeinSpanProcessor } from '../../src/processor/skein-span-processor.js';
import { openStore, removeTempDirs, runFixture, tempDbPath } from './helpers.js';
import { captureErrors, captureWarnings } from './helpers.js';

const servers: Server[] = [];
afterEach(async () => {
  setGlobalErrorHandler(loggingErrorHandler());
  diag.disable();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  removeTempDirs();
});

/** An OTLP/HTTP JSON upstream that counts the spans it received. */
async function countingUpstream(): Promise<{ url: string; spans: () => number }> {
  let received = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: unknown[] }[] }[];
      };
      for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) received += scope.spans.length;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans: () => received };
}

/** A port that was free a moment ago and that nothing listens on now. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

function messageOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  return `${(error as Error).message} ${cause === undefined ? '' : messageOf(cause)}`;
}

describe('SkeinSpanProcessor forwarding', () => {
  it('with the upstream down, shutdown() and forceFlush() resolve; the failure is reported and counted, the spans are stored', async () => {
    const errors = captureErrors();
    const dbPath = tempDbPath();
    const url = await closedPort();
    const processor = new SkeinSpanProcessor({ dbPath, forward: createOtlpForwardExporter({ url, timeoutMillis: 2_000 }) });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const agent = new AgentTracer({ tracerProvider: provider });

    await agent.session({ sessionId: 'upstream-down', agentName: 'researcher' }, async () => {
      await agent.modelCall({ provider: 'openai', model: 'gpt-4o' }, async (call) => {
        call.recordUsage({ inputTokens: 1200, outputTokens: 300 });
      });
      await agent.toolCall({ name: 'search', arguments: { q: 'otel' } }, async () => ['…']);
    });
    await expect(provider.forceFlush()).resolves.toBeUndefined();
    expect(processor.forwardFailedSpans).toBe(3);

    await agent.toolCall({ name: 'late' }, () => 'x');
    await expect(provider.shutdown()).resolves.toBeUndefined();
    expect(processor.forwardFailedSpans).toBe(4);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    for (const error of errors) expect(messageOf(error)).toMatch(/forward/);
    expect(errors.some((error) => /ECONNREFUSED/.test(messageOf(error)))).toBe(true);
    // Only forwarding failed: the database has everything.
    expect(processor.failedSpans).toBe(0);

    const store = openStore(dbPath);
    try {
      const summary = await store.getSession('upstream-down');
      expect(summary.status).toBe('completed');
      expect(summary.spanCount).toBe(3);
    } finally {
      await store.close();
    }
  }, 30_000);

  it('forwards every span to a live upstream and counts nothing as failed', async () => {
    const upstream = await countingUpstream();
    const processor = new SkeinSpanProcessor({ dbPath: tempDbPath(), forward: createOtlpForwardExporter({ url: upstream.url }) });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const agent = new AgentTracer({ tracerProvider: provider });
    agent.session({ sessionId: 'upstream-up' }, () => agent.toolCall({ name: 'ls' }, () => 'a'));
    await provider.shutdown();
    expect(upstream.spans()).toBe(2);
    expect(processor.forwardFailedSpans).toBe(0);
  });

  it('a store write failure still rejects forceFlush(), but shutdown() resolves and reports it', async () => {
    const errors = captureErrors();
    const warnings = captureWarnings();
    const failure = new Error('disk full');
    const processor = new SkeinSpanProcessor({ store: { write: () => Promise.reject(failure) } });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer('t');
    tracer.startSpan('doomed').end();
    await expect(processor.forceFlush()).rejects.toBe(failure);
    tracer.startSpan('doomed too').end();
    await expect(provider.shutdown()).resolves.toBeUndefined();
    expect(errors).toEqual([failure, failure]);
    expect(processor.failedSpans).toBe(2);
    expect(warnings.some((warning) => /2 spans/.test(warning) && /disk full/.test(warning))).toBe(true);
  });

  it('on a natural exit without shutdown(), forwards what ended before the process leaves', async () => {
    const upstream = await countingUpstream();
    const dbPath = tempDbPath();
    const result = await runFixture('forward-exit-child.ts', [dbPath, upstream.url, 'natural']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(upstream.spans()).toBe(3);
    const store = openStore(dbPath);
    try {
      expect((await store.getSession('forward-exit')).spanCount).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('on a natural exit with the upstream down, the process still ends (bounded by the exporter timeout)', async () => {
    const url = await closedPort();
    const dbPath = tempDbPath();
    const result = await runFixture('forward-exit-child.ts', [dbPath, url, 'natural']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('DONE');
    const store = openStore(dbPath);
    try {
      expect((await store.getSession('forward-exit')).spanCount).toBe(3);
    } finally {
      await store.close();
    }
  }, 30_000);

  it('process.exit() without shutdown: the spans are in the database, the not-yet-forwarded ones are not sent', async () => {
    const upstream = await countingUpstream();
    const dbPath = tempDbPath();
    const result = await runFixture('forward-exit-child.ts', [dbPath, upstream.url, 'exit']);
    expect(result.code).toBe(0);
    // As README says: a hard exit cannot wait for the network.
    expect(upstream.spans()).toBe(0);
    const store = openStore(dbPath);
    try {
      expect((await store.getSession('forward-exit')).spanCount).toBe(3);
    } finally {
      await store.close();
    }
  });
});
