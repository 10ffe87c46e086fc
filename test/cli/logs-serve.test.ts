/**
 * End to end, as a user runs it: `skein serve` with no tuning options, an app
 * sending events the way Claude Code does (OTLP/gRPC logs with a session.id)
 * and metrics over OTLP/HTTP through the official exporters, then
 * `skein logs` on the same file and the query API on the running server.
 */

import { join } from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogRecordJson, MetricPointJson } from '../../src/model/log-view.js';
import { cli } from './run.js';
import { cleanup, runServeInProcess, tempDir } from './serve/helpers.js';

afterEach(cleanup);

const SESSION = 'e2e-claude-session';

describe('skein logs against what skein serve received', () => {
  it('lists the events an agent sent over OTLP/gRPC, and the API shows the same records and metrics', async () => {
    const dbPath = join(tempDir(), 'skein.db');
    const serve = await runServeInProcess(['--db', dbPath, '--port', '0']);
    const resource = resourceFromAttributes({ 'service.name': 'claude-code' });
    let logs: LoggerProvider | null = null;
    let meters: MeterProvider | null = null;
    try {
      const grpcUrl = /OTLP\/gRPC listening on (\S+)/.exec(serve.output())?.[1];
      expect(grpcUrl, serve.output()).toBeDefined();
      // The batch processor: its forceFlush waits for the export's answer (the simple one's does not).
      logs = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: grpcUrl }) })] });
      const logger = logs.getLogger('com.anthropic.claude_code.events', '1.0.0');
      logger.emit({
        eventName: 'claude_code.user_prompt',
        severityNumber: SeverityNumber.INFO,
        body: 'claude_code.user_prompt',
        attributes: { 'session.id': SESSION, prompt: 'fix the failing test' },
        timestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
      });
      logger.emit({
        eventName: 'claude_code.api_error',
        severityNumber: SeverityNumber.ERROR,
        body: 'claude_code.api_error',
        attributes: { 'session.id': SESSION, error: 'overloaded', status_code: 529 },
        timestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 6, 0)),
      });
      await logs.forceFlush();

      const reader = new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${serve.url}/v1/metrics` }),
        exportIntervalMillis: 3_600_000,
      });
      meters = new MeterProvider({ resource, readers: [reader] });
      meters.getMeter('com.anthropic.claude_code').createCounter('claude_code.token.usage').add(1234, { 'session.id': SESSION, type: 'input' });
      await meters.forceFlush();

      // The CLI reads the file while the server runs.
      const table = await cli(['logs', '--db', dbPath, '--session', SESSION]);
      expect(table.stderr).toBe('');
      expect(table.code).toBe(0);
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[1].split(/ {2,}/)).toEqual(['2026-01-02 03:04:05.006Z', 'INFO', 'claude_code.user_prompt', SESSION, 'claude_code.user_prompt']);
      expect(lines[2].split(/ {2,}/).slice(1, 3)).toEqual(['ERROR', 'claude_code.api_error']);

      const json = await cli(['logs', '--db', dbPath, '--session', SESSION, '--severity', 'error', '--json']);
      const records = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as LogRecordJson);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        sessionId: SESSION, eventName: 'claude_code.api_error', severityNumber: 17,
        attributes: { error: 'overloaded', status_code: 529 }, resource: { 'service.name': 'claude-code' },
        scope: { name: 'com.anthropic.claude_code.events', version: '1.0.0' },
      });

      const api = (await (await fetch(`${serve.url}/api/sessions/${SESSION}/events?minSeverity=error`)).json()) as { items: LogRecordJson[] };
      expect(api.items).toEqual(records);
      const metrics = (await (await fetch(`${serve.url}/api/metrics?name=claude_code.token.usage`)).json()) as { items: MetricPointJson[] };
      expect(metrics.items).toHaveLength(1);
      expect(metrics.items[0]).toMatchObject({ type: 'sum', monotonic: true, sessionId: SESSION, attributes: { type: 'input' } });
      expect(Number(metrics.items[0].value)).toBe(1234);
    } finally {
      await logs?.shutdown();
      await meters?.shutdown();
      expect(await serve.stop()).toBe(0);
    }
  });
});
