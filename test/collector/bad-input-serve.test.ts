/**
 * Bad input sent to a real `skein serve` (`--max-body-bytes 65536`), on
 * OTLP/gRPC for every signal and on OTLP/HTTP for logs and metrics: the
 * status the OTLP spec gives, with a message naming the problem; nothing
 * stored; and a good export right after is stored (the server stays healthy).
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { status as GrpcCode } from '@grpc/grpc-js';
import type { Client } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OtlpSignal } from '../../src/model/signals.js';
import { decodeStatus } from '../../src/otlp/index.js';
import type { OtlpFormat } from '../../src/otlp/index.js';
import { OTLP_EXPORT_PATHS } from '../../src/otlp/otlp-endpoints.js';
import { cleanup } from '../cli/serve/helpers.js';
import { grpcClient, http2Call, rawCall } from '../server/grpc/grpc-test-helpers.js';
import { malformedBody } from '../server/signal-bodies.js';
import { startServe } from './serve-child.js';
import type { RunningServe } from './serve-child.js';
import { exportBody, storedCount, storedTotals } from './signal-probes.js';

const CAP = 65_536;
const SIGNALS = ['traces', 'logs', 'metrics'] as const;
let serve: RunningServe;
let client: Client;
beforeAll(async () => {
  serve = await startServe(['--max-body-bytes', String(CAP)]);
  client = grpcClient(serve.grpcPort!);
});
afterAll(async () => {
  client.close();
  await cleanup();
});

const tag = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

/**
 * Runs `refuse` (which sends something bad and checks the answer), then
 * checks that nothing was stored and that a good export of `signal` right
 * after is answered OK and stored.
 */
async function refusedThenHealthy(signal: OtlpSignal, refuse: () => Promise<void>): Promise<void> {
  const before = await storedTotals(serve);
  await refuse();
  expect(await storedTotals(serve)).toEqual(before);
  const good = tag('good');
  const answer = await rawCall(client, OTLP_EXPORT_PATHS[signal], exportBody(signal, good));
  expect(answer.error).toBeNull();
  expect(await storedCount(serve, signal, good)).toBeGreaterThan(0);
  expect(serve.child.child.exitCode).toBeNull();
}

describe('bad input on OTLP/gRPC through skein serve', () => {
  it.each(SIGNALS)('%s: malformed protobuf is INVALID_ARGUMENT naming the problem', async (signal) => {
    await refusedThenHealthy(signal, async () => {
      const garbage = await rawCall(client, OTLP_EXPORT_PATHS[signal], new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1]));
      expect(garbage.error?.code).toBe(GrpcCode.INVALID_ARGUMENT);
      expect(garbage.error?.details).toBe('truncated protobuf: the value at byte offset 1 needs 33554431 bytes but only 1 remain');
      // A real request cut short: its first items decode, yet none of them is kept.
      const cut = tag('cut');
      const whole = exportBody(signal, cut);
      const truncated = await rawCall(client, OTLP_EXPORT_PATHS[signal], whole.subarray(0, whole.byteLength - 3));
      expect(truncated.error?.code).toBe(GrpcCode.INVALID_ARGUMENT);
      expect(truncated.error?.details).toMatch(/^truncated protobuf: the value at byte offset \d+ needs \d+ bytes but only \d+ remain$/);
      expect(await storedCount(serve, signal, cut)).toBe(0);
    });
  });

  it.each(SIGNALS)('%s: a message over --max-body-bytes is RESOURCE_EXHAUSTED', async (signal) => {
    await refusedThenHealthy(signal, async () => {
      const big = tag('big') + 'x'.repeat(CAP);
      const body = exportBody(signal, big);
      const answer = await rawCall(client, OTLP_EXPORT_PATHS[signal], body);
      expect(answer.error?.code).toBe(GrpcCode.RESOURCE_EXHAUSTED);
      expect(answer.error?.details).toBe(`Received message larger than max (${body.byteLength} vs ${CAP})`);
    });
  });

  it('an unknown method or service is UNIMPLEMENTED', async () => {
    await refusedThenHealthy('traces', async () => {
      for (const path of [
        '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export',
        '/opentelemetry.proto.collector.trace.v1.TraceService/ExportMore',
      ]) {
        const answer = await rawCall(client, path, exportBody('traces', tag('unknown')));
        expect(answer.error?.code, path).toBe(GrpcCode.UNIMPLEMENTED);
        expect(answer.error?.details).toContain(path);
      }
    });
  });

  it('a wrong content-type gets grpc-js\'s answer: HTTP 415 with no grpc-status', async () => {
    await refusedThenHealthy('logs', async () => {
      for (const contentType of ['application/json', 'application/x-protobuf']) {
        const answer = await http2Call(serve.grpcPort!, OTLP_EXPORT_PATHS.logs, exportBody('logs', tag('type')), { gzip: false, contentType });
        expect(answer, contentType).toMatchObject({ httpStatus: 415, status: undefined, body: undefined });
      }
    });
  });

  it('a truncated frame (a length past the end, or half a header) is INVALID_ARGUMENT', async () => {
    await refusedThenHealthy('metrics', async () => {
      const message = exportBody('metrics', tag('frame'));
      const header = Buffer.alloc(5);
      header.writeUInt32BE(message.byteLength + 100, 1);
      for (const frame of [Buffer.concat([header, message]), header.subarray(0, 3)]) {
        const answer = await http2Call(serve.grpcPort!, OTLP_EXPORT_PATHS.metrics, message, { gzip: false, frame });
        expect(answer.status).toBe(String(GrpcCode.INVALID_ARGUMENT));
        expect(answer.message).toBe('no complete request message arrived (a truncated or missing frame)');
      }
    });
  });

  it('a gzip bomb (16 KiB that inflates to 16 MiB) is RESOURCE_EXHAUSTED', async () => {
    await refusedThenHealthy('traces', async () => {
      const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
      expect(bomb.byteLength).toBeLessThan(CAP);
      const answer = await http2Call(serve.grpcPort!, OTLP_EXPORT_PATHS.traces, bomb, { gzip: true });
      expect(answer.status).toBe(String(GrpcCode.RESOURCE_EXHAUSTED));
      expect(answer.message).toBe(`Received message that decompresses to a size larger than ${CAP}`);
    });
  });

  // grpc-js answers this itself, before any handler; INTERNAL is not retryable for OTLP exporters, so the batch is not resent.
  it('a gzip flag on bytes that are not gzip: grpc-js answers INTERNAL, and nothing is stored', async () => {
    await refusedThenHealthy('logs', async () => {
      const answer = await http2Call(serve.grpcPort!, OTLP_EXPORT_PATHS.logs, Buffer.from('not gzip at all'), { gzip: true });
      expect(answer).toMatchObject({ status: String(GrpcCode.INTERNAL), message: 'Failed to decompress message' });
    });
  });
});

describe('bad input on OTLP/HTTP /v1/logs and /v1/metrics through skein serve', () => {
  const cases = (['logs', 'metrics'] as const).flatMap((signal) => (['protobuf', 'json'] as const).map((format) => ({ signal, format })));
  it.each(cases)('$signal, malformed $format: 400 with a google.rpc.Status naming the problem', async ({ signal, format }: { signal: 'logs' | 'metrics'; format: OtlpFormat }) => {
    await refusedThenHealthy(signal, async () => {
      const contentType = format === 'json' ? 'application/json' : 'application/x-protobuf';
      const res = await fetch(`${serve.url}/v1/${signal}`, { method: 'POST', headers: { 'content-type': contentType }, body: malformedBody(signal, format) });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain(contentType);
      const status = decodeStatus(new Uint8Array(await res.arrayBuffer()), format);
      expect(status.code).toBe(3); // INVALID_ARGUMENT
      expect(status.message).toMatch(format === 'json' ? /JSON/ : /^truncated protobuf: /);
    });
  });
});
