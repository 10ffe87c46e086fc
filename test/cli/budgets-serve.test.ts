/**
 * End to end, collector: budgets from a config file, spans from the OTel SDK
 * over OTLP/HTTP, and the session crossing its budget visible in the API, in
 * `skein show`, on the live stream and on the forwarded span.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTraceRequest } from '../../src/otlp/index.js';
import type { SessionBudgetView } from '../../src/query/session-budget.js';
import { SseClient } from '../server/live-stream/sse-client.js';
import { cli } from './run.js';
import { cleanup, runServeInProcess, startUpstream, tempDir } from './serve/helpers.js';

afterEach(async () => {
  await cleanup();
});

const SESSION = 'conv-budget';

function writeConfig(dir: string, config: unknown): string {
  const file = join(dir, 'skein.config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('skein serve with budgets', () => {
  it('records a session crossing its budget, and shows it in the API, the stream, skein show and upstream', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'skein.db');
    writeFileSync(join(dir, 'prices.json'), JSON.stringify({ models: { 'budget-model': { inputPerMTok: 100, outputPerMTok: 200 } } }));
    const configFile = writeConfig(dir, {
      budgets: { session: { maxCostUsd: 0.5 }, agents: { researcher: { maxTokens: 100_000 } } },
      prices: './prices.json',
    });
    const upstream = await startUpstream();
    const serve = await runServeInProcess(['--port', '0', '--db', dbPath, '--config', configFile, '--forward', upstream.url]);
    const live = await SseClient.connect(`${serve.url}/api/live?session=${SESSION}`);
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${serve.url}/v1/traces` }))],
    });
    try {
      const tracer = provider.getTracer('budget-test');
      const callIds: string[] = [];
      const agent = tracer.startSpan('invoke_agent researcher', {
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'researcher', 'gen_ai.conversation.id': SESSION },
      });
      const inAgent = trace.setSpan(context.active(), agent);
      // Each call: 1000 in + 250 out at $100/$200 per MTok = $0.15. Warning at $0.40 (the 3rd), limit at $0.50 (the 4th).
      for (let i = 0; i < 4; i++) {
        const attributes: Attributes = {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'test',
          'gen_ai.request.model': 'budget-model',
          'gen_ai.conversation.id': SESSION,
          'gen_ai.usage.input_tokens': 1000,
          'gen_ai.usage.output_tokens': 250,
        };
        const call = tracer.startSpan(`chat budget-model ${i}`, { kind: SpanKind.CLIENT, attributes }, inAgent);
        callIds.push(call.spanContext().spanId);
        call.end();
        await provider.forceFlush();
      }
      // The agent repeats its calls' usage: kept on the span, never added to the session.
      agent.setAttributes({ 'gen_ai.usage.input_tokens': 4000, 'gen_ai.usage.output_tokens': 1000 });
      agent.end();
      await provider.forceFlush();

      // Live stream: one warning, one exceeded, each naming the call that crossed.
      await live.waitFor(() => live.changes().filter((e) => e.kind === 'budget').length >= 2, 'two budget events');
      const streamed = live.changes<{ budget: Record<string, unknown> }>().filter((e) => e.kind === 'budget');
      expect(streamed.map((e) => e.budget)).toEqual([
        expect.objectContaining({ scope: 'session', metric: 'costUsd', level: 'warning', limit: 0.5, spanId: callIds[2] }),
        expect.objectContaining({ scope: 'session', metric: 'costUsd', level: 'exceeded', limit: 0.5, spanId: callIds[3] }),
      ]);
      expect(streamed[1].budget.used).toBeCloseTo(0.6, 9);

      // API: the session's budget, and the configured limits.
      const detail = (await (await fetch(`${serve.url}/api/sessions/${SESSION}`)).json()) as { costUsd: number; budget: SessionBudgetView };
      expect(detail.costUsd).toBeCloseTo(0.6, 9);
      expect(detail.budget.status).toBe('exceeded');
      expect(detail.budget.used.tokens).toBe(5000);
      expect(detail.budget.limits).toEqual([
        { scope: 'session', key: SESSION, metric: 'costUsd', limit: 0.5, warnAt: 0.4, used: expect.closeTo(0.6, 9), state: 'exceeded' },
        { scope: 'agent', key: 'researcher', metric: 'tokens', limit: 100_000, warnAt: 80_000, used: 5000, state: 'ok' },
      ]);
      expect(detail.budget.events.map((e) => [e.level, e.spanId])).toEqual([
        ['warning', callIds[2]],
        ['exceeded', callIds[3]],
      ]);
      const budgets = (await (await fetch(`${serve.url}/api/budgets`)).json()) as Record<string, unknown>;
      expect(budgets).toEqual({
        configured: true,
        warnAtFraction: 0.8,
        session: { maxCostUsd: 0.5 },
        agents: { researcher: { maxTokens: 100_000 } },
        users: {},
      });
      const openApi = (await (await fetch(`${serve.url}/api/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { operationId: string }>>;
        components: { schemas: Record<string, { properties: Record<string, unknown> }> };
      };
      expect(openApi.paths['/budgets'].get.operationId).toBe('getBudgets');
      expect(openApi.components.schemas.SessionDetail.properties.budget).toBeDefined();

      // The stored crossing span carries the span event.
      const spans = (await (await fetch(`${serve.url}/api/spans?session=${SESSION}&stepType=llm`)).json()) as {
        items: Array<{ spanId: string; events: Array<{ name: string; attributes: Record<string, unknown> }> }>;
      };
      const eventsOf = (spanId: string) => spans.items.find((s) => s.spanId === spanId)!.events.map((e) => e.name);
      expect(eventsOf(callIds[1])).toEqual([]);
      expect(eventsOf(callIds[2])).toEqual(['skein.budget.warning']);
      expect(eventsOf(callIds[3])).toEqual(['skein.budget.exceeded']);

      // And so does the forwarded one.
      await upstream.waitFor(() => upstream.acceptedSpanIds().length >= 5);
      const forwarded = upstream.requests.flatMap((r) => decodeTraceRequest(r.body, 'protobuf').spans);
      const crossing = forwarded.find((s) => s.spanId === callIds[3])!;
      expect(crossing.events).toEqual([
        expect.objectContaining({
          name: 'skein.budget.exceeded',
          attributes: expect.objectContaining({ 'skein.budget.scope': 'session', 'skein.budget.metric': 'costUsd', 'skein.budget.limit': 0.5 }),
        }),
      ]);
      expect(forwarded.find((s) => s.spanId === callIds[0])!.events).toEqual([]);
      expect(serve.output()).toContain(`skein: budget: session ${SESSION} exceeded its cost budget: used $0.6000 of $0.5000`);
    } finally {
      await provider.shutdown();
      live.abort();
      expect(await serve.stop()).toBe(0);
      await upstream.close();
    }

    // skein show, against the config, and from the recorded crossings alone.
    const shown = await cli(['show', SESSION, '--db', dbPath, '--config', configFile]);
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toContain('budget: exceeded');
    expect(shown.stdout).toMatch(/session cost\s+█{20}\s+120%\s+\$0\.6000 of \$0\.5000\s+✗ exceeded/);
    expect(shown.stdout).toMatch(/agent researcher tokens\s+█░{19}\s+5%\s+5,000 of 100,000 tokens\s+ok/);
    const withoutConfig = await cli(['show', SESSION, '--db', dbPath]);
    expect(withoutConfig.stdout).toMatch(/session cost\s+█{20}\s+120%\s+\$0\.6000 of \$0\.5000\s+✗ exceeded/);
    expect(withoutConfig.stdout).not.toContain('agent researcher tokens');
    const json = JSON.parse((await cli(['show', SESSION, '--db', dbPath, '--json'])).stdout) as { session: { budget: SessionBudgetView } };
    expect(json.session.budget.status).toBe('exceeded');
    expect(json.session.budget.events).toHaveLength(2);
  }, 60_000);

  it('takes redaction from the file, and shows no budget when none is configured', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'skein.db');
    const configFile = writeConfig(dir, { redaction: { denyKeys: ['app.customer_note'] }, interruptAfterSeconds: 0 });
    const serve = await runServeInProcess(['--port', '0', '--db', dbPath, '--config', configFile]);
    try {
      const provider = new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${serve.url}/v1/traces` }))],
      });
      const span = provider.getTracer('t').startSpan('note', { attributes: { 'app.customer_note': 'call me at home', 'gen_ai.conversation.id': 'redact' } });
      span.end();
      await provider.shutdown();
      const spans = (await (await fetch(`${serve.url}/api/spans?session=redact`)).json()) as { items: Array<{ attributes: Record<string, unknown> }> };
      expect(spans.items[0].attributes['app.customer_note']).toBe('[REDACTED:denied-key]');
      expect(serve.output()).toContain(`config: ${configFile}`);
      // No budgets configured: the API says so and sessions carry no budget.
      expect(await (await fetch(`${serve.url}/api/budgets`)).json()).toMatchObject({ configured: false, session: null });
      const detail = (await (await fetch(`${serve.url}/api/sessions/redact`)).json()) as Record<string, unknown>;
      expect('budget' in detail).toBe(false);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });

  it.each([
    [{ budgets: { session: { maxCostUsd: -1 } } }, /skein\.config\.json: budgets\.session\.maxCostUsd: must be a number greater than 0/],
    [{ budget: {} }, /skein\.config\.json: budget: unknown field/],
    [{ prices: './missing-prices.json' }, /skein\.config\.json: prices: Cannot read price table .*missing-prices\.json/],
    [{ redaction: { patterns: [{ name: 'x', pattern: '(' }] } }, /skein\.config\.json: redaction\.patterns\[0\]/],
    [{ interruptAfterSeconds: 'soon' }, /skein\.config\.json: interruptAfterSeconds: must be a number of seconds/],
  ])('refuses a config file with a mistake (%j), naming the file and field', async (config, message) => {
    const dir = tempDir();
    const configFile = writeConfig(dir, config);
    const result = await cli(['serve', '--port', '0', '--db', join(dir, 'x.db'), '--config', configFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain(configFile);
    expect(result.stdout).not.toContain('listening');
  });

  it('refuses a --config that does not exist or is not JSON', async () => {
    const dir = tempDir();
    const missing = await cli(['serve', '--port', '0', '--db', join(dir, 'x.db'), '--config', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`cannot read config file ${join(dir, 'nope.json')}`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "budgets": ');
    const invalid = await cli(['serve', '--port', '0', '--db', join(dir, 'x.db'), '--config', broken]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain(`${broken}: invalid JSON`);
  });
});
