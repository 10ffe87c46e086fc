import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import { itemsOf, payloadOf, startGrpcUpstream, startHttpUpstream } from '../forward/upstreams.js';
import { cleanup, tempDir } from './serve/helpers.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await cleanup();
});

describe('the collector forwards every signal through the outbox', () => {
  it('traces, logs and metrics received over HTTP reach an OTLP/HTTP and an OTLP/gRPC upstream, each in order, default backoff', async () => {
    let refusedOnce = false;
    const http = await startHttpUpstream();
    stops.push(() => http.close());
    // The gRPC upstream is unavailable for its first call: retried with the collector's default backoff.
    const grpc = await startGrpcUpstream(() => (refusedOnce ? {} : ((refusedOnce = true), { code: 14, details: 'warming up' })));
    stops.push(() => grpc.close());
    const collector: RunningCollector = await startCollector({
      dbPath: join(tempDir(), 'skein.db'),
      port: 0,
      forward: [{ url: http.url }, { url: grpc.address, protocol: 'grpc' }],
    });
    stops.push(() => collector.close());
    const sent = [payloadOf('logs', 2), payloadOf('traces', 1), payloadOf('metrics', 2), payloadOf('logs', 1)];
    for (const p of sent) {
      const res = await fetch(`${collector.url}/v1/${p.signal}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: p.bytes,
      });
      expect([p.signal, res.status]).toEqual([p.signal, 200]);
    }
    await expect.poll(() => http.received.length, { timeout: 20_000 }).toBe(4);
    await expect.poll(() => grpc.received.length, { timeout: 20_000 }).toBe(5);
    expect(http.received.map((r) => r.path)).toEqual(['/v1/logs', '/v1/traces', '/v1/metrics', '/v1/logs']);
    expect(http.received.map((r) => itemsOf(r.signal!, r.body))).toEqual(sent.map((p) => p.items));
    expect(grpc.received.map((r) => r.signal)).toEqual(['logs', 'logs', 'traces', 'metrics', 'logs']);
    expect(grpc.received.slice(1).map((r) => itemsOf(r.signal!, r.body))).toEqual(sent.map((p) => p.items));
    await expect.poll(() => collector.outbox.depth()).toEqual([]);
  });
});
