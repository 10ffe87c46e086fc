/**
 * `skein serve` and its OTLP/gRPC listener as a user meets them, in a real
 * process: with no tuning options it listens on 127.0.0.1:4318 (HTTP) and
 * 127.0.0.1:4317 (gRPC) and Claude Code's quick-start settings reach it;
 * `--grpc-port off` (or SKEIN_GRPC_PORT=off) opens no gRPC socket; a bad
 * gRPC port and a gRPC port in use are one line and exit 1.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, readAllSpans, spawnServe, tempDir } from '../cli/serve/helpers.js';
import { withOtelEnv } from '../helpers/sdk-senders.js';
import { startServe } from './serve-child.js';

afterEach(cleanup);

/** The TCP ports process `pid` listens on (its socket inodes matched against /proc/net/tcp{,6} in state LISTEN). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT; st 0A is LISTEN; the inode is column 9.
      if (cols.length > 9 && cols[3] === '0A' && inodes.has(cols[9])) ports.add(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

const NO_SKEIN_ENV = { SKEIN_PORT: undefined, SKEIN_GRPC_PORT: undefined, SKEIN_HOST: undefined, SKEIN_TOKEN: undefined };

/** `skein serve <args>` that must fail: its exit code, stdout and stderr. */
async function serveFails(args: string[]) {
  const child = await spawnServe(['--db', join(tempDir(), 'skein.db'), ...args], { via: 'node', waitForUrl: false, env: NO_SKEIN_ENV });
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

describe('skein serve and OTLP/gRPC', () => {
  it('with no tuning options: 127.0.0.1:4318 and 127.0.0.1:4317, and a trace sent the Claude Code way (grpc, localhost:4317) is stored', async () => {
    const serve = await startServe([], { defaultPorts: true });
    const lines = serve.child.stdout().split('\n');
    expect(lines[0]).toBe('skein listening on http://127.0.0.1:4318  (OTLP/HTTP: POST http://127.0.0.1:4318/v1/traces, /v1/logs, /v1/metrics)');
    expect(lines[1]).toBe('OTLP/gRPC listening on http://127.0.0.1:4317');
    expect(listeningPorts(serve.child.child.pid!)).toEqual([4317, 4318]);

    const exporter = withOtelEnv(
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4317' },
      () => new OTLPTraceExporter(),
    );
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'default-ports' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const span = provider.getTracer('default-ports').startSpan('chat over 4317', { attributes: { 'gen_ai.operation.name': 'chat' } });
    span.end();
    await provider.forceFlush();
    await provider.shutdown();

    const stored = await readAllSpans(serve.dbPath);
    expect(stored.map((s) => [s.traceId, s.spanId, s.name])).toEqual([[span.spanContext().traceId, span.spanContext().spanId, 'chat over 4317']]);
    expect(stored[0].raw.resource.attributes['service.name']).toBe('default-ports');
  });

  it('--grpc-port off: the startup line says so and the only socket is the HTTP one', async () => {
    const serve = await startServe(['--grpc-port', 'off']);
    expect(serve.grpcUrl).toBeNull();
    expect(serve.child.stdout().split('\n')[1]).toBe('OTLP/gRPC: off');
    expect(serve.child.stdout()).not.toContain('OTEL_EXPORTER_OTLP_PROTOCOL=grpc');
    expect(listeningPorts(serve.child.child.pid!)).toEqual([Number(new URL(serve.url).port)]);
  });

  it('SKEIN_GRPC_PORT=off does the same; with --port 0 and no gRPC port, gRPC gets a free port of its own', async () => {
    const off = await startServe([], { env: { SKEIN_GRPC_PORT: 'off' } });
    expect(off.grpcUrl).toBeNull();
    expect(listeningPorts(off.child.child.pid!)).toEqual([Number(new URL(off.url).port)]);

    const free = await startServe([]);
    expect(free.grpcPort).not.toBe(4317);
    expect(free.grpcUrl).toBe(`http://127.0.0.1:${free.grpcPort}`);
    expect(listeningPorts(free.child.child.pid!)).toEqual([Number(new URL(free.url).port), free.grpcPort].sort((a, b) => a! - b!));
  });

  it('--grpc-port 70000: one line naming the flag and the value, then the usage; exit 1, nothing started', async () => {
    const result = await serveFails(['--port', '0', '--grpc-port', '70000']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const [first, ...rest] = result.stderr.split('\n');
    expect(first).toBe("skein serve: --grpc-port must be an integer 0–65535 or off, got '70000'");
    // A usage mistake is followed by the command's help (as every CliUsageError is), never by a stack.
    expect(rest[0]).toBe('Usage: skein serve [options]');
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
  });

  it('a gRPC port in use: one line naming the address and --grpc-port; exit 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await serveFails(['--port', '0', '--grpc-port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `skein serve: cannot listen for OTLP/gRPC on 127.0.0.1:${port} (address in use; another collector?): ` +
          'pick another with --grpc-port (0 picks a free one, off turns gRPC off)\n',
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
