import { describe, expect, it } from 'vitest';
import type { OutboxForwarderOptions } from '../../src/forward/outbox-forwarder.js';
import { encodeStatus } from '../../src/otlp/index.js';
import { useForwarderSetup } from './forwarder-setup.js';
import { itemsOf, payloadOf, startHttpUpstream } from './upstreams.js';
import type { HttpReply } from './upstreams.js';

const { stops, openOutbox, fastForwarder } = useForwarderSetup();

async function setup(reply?: (index: number) => HttpReply, options: Partial<OutboxForwarderOptions> & { path?: string } = {}) {
  const upstream = await startHttpUpstream(reply);
  stops.push(() => upstream.close());
  const { outbox } = openOutbox();
  const { path = '', ...rest } = options;
  return { upstream, outbox, ...fastForwarder(outbox, `${upstream.url}${path}`, rest) };
}

describe('OutboxForwarder over OTLP/HTTP: every signal to its own path', () => {
  it('sends traces, logs and metrics from a base URL to /v1/traces, /v1/logs and /v1/metrics, in queue order, bytes intact', async () => {
    const { upstream, outbox, forwarder, attempts, enqueue } = await setup();
    const queued = [payloadOf('logs', 2), payloadOf('traces', 1), payloadOf('metrics', 3), payloadOf('logs', 1)];
    for (const p of queued) enqueue(p);
    forwarder.start();
    await expect.poll(() => upstream.received.length).toBe(4);
    expect(upstream.received.map((r) => r.path)).toEqual(['/v1/logs', '/v1/traces', '/v1/metrics', '/v1/logs']);
    expect(upstream.received.map((r) => r.body)).toEqual(queued.map((p) => p.bytes));
    expect(upstream.received.map((r) => itemsOf(r.signal!, r.body))).toEqual(queued.map((p) => p.items));
    expect(upstream.received.every((r) => r.headers['content-type'] === 'application/x-protobuf')).toBe(true);
    await expect.poll(() => attempts.length).toBe(4);
    expect(attempts.map((a) => [a.outcome, a.signal, a.spanCount])).toEqual([
      ['delivered', 'logs', 2],
      ['delivered', 'traces', 1],
      ['delivered', 'metrics', 3],
      ['delivered', 'logs', 1],
    ]);
    expect(outbox.depth()).toEqual([]);
  });

  it('sends logs and metrics to the siblings of a URL given with /v1/traces, under its prefix, query kept', async () => {
    const { upstream, forwarder, enqueue } = await setup(undefined, { path: '/otlp/v1/traces?tenant=a' });
    for (const signal of ['traces', 'logs', 'metrics'] as const) enqueue(payloadOf(signal, 1));
    forwarder.start();
    await expect.poll(() => upstream.received.length).toBe(3);
    expect(upstream.received.map((r) => r.path)).toEqual([
      '/otlp/v1/traces?tenant=a',
      '/otlp/v1/logs?tenant=a',
      '/otlp/v1/metrics?tenant=a',
    ]);
  });

  it('dead-letters a refused logs request with its signal, and delivers the metrics behind it', async () => {
    const { upstream, outbox, forwarder, attempts, enqueue } = await setup((i) =>
      i === 0
        ? { status: 400, headers: { 'content-type': 'application/x-protobuf' }, body: encodeStatus('protobuf', 3, 'bad severity') }
        : { status: 200 },
    );
    const logs = payloadOf('logs', 2);
    enqueue(logs);
    enqueue(payloadOf('metrics', 1));
    forwarder.start();
    await expect.poll(() => attempts.map((a) => a.outcome)).toEqual(['dead', 'delivered']);
    expect(outbox.listDeadLetters()).toMatchObject([
      { signal: 'logs', spanCount: 2, status: 400, response: 'HTTP 400: google.rpc.Status code 3: bad severity' },
    ]);
    expect(upstream.received.map((r) => r.path)).toEqual(['/v1/logs', '/v1/metrics']);
    // A replay goes back to the logs path.
    outbox.replayDead({});
    forwarder.notify();
    await expect.poll(() => upstream.received.length).toBe(3);
    expect(upstream.received[2]).toMatchObject({ path: '/v1/logs', body: logs.bytes });
  });

  it('gzips each request when asked, with Content-Encoding', async () => {
    const { upstream, forwarder, enqueue } = await setup(undefined, { gzip: true });
    const logs = payloadOf('logs', 3);
    enqueue(logs);
    forwarder.start();
    await expect.poll(() => upstream.received.length).toBe(1);
    expect(upstream.received[0].headers['content-encoding']).toBe('gzip');
    expect(upstream.received[0].body).toEqual(logs.bytes);
  });

  it('retries a 503 on a metrics request with the default backoff (no tuning options) and then delivers it', async () => {
    const { upstream, outbox, forwarder, attempts, enqueue } = await setup((i) => (i === 0 ? { status: 503 } : { status: 200 }), {
      initialBackoffMillis: undefined,
      maxBackoffMillis: undefined,
    });
    const metrics = payloadOf('metrics', 2);
    enqueue(metrics);
    forwarder.start();
    await expect.poll(() => attempts.map((a) => a.outcome), { timeout: 5000 }).toEqual(['retry', 'delivered']);
    expect(upstream.received.map((r) => r.path)).toEqual(['/v1/metrics', '/v1/metrics']);
    expect(upstream.items()).toEqual([...metrics.items, ...metrics.items]);
    expect(outbox.depth()).toEqual([]);
  });
});
