import { status as GrpcCode } from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { OutboxForwarder } from '../../src/forward/outbox-forwarder.js';
import type { DeliveryAttempt, OutboxForwarderOptions } from '../../src/forward/outbox-forwarder.js';
import type { OtlpSignal } from '../../src/model/signals.js';
import { encodeExportResponse, encodeStatus } from '../../src/otlp/index.js';
import { encodeRetryInfo, encodeUnavailableStatus } from '../../src/server/grpc/grpc-status.js';
import { startOtlpGrpcServer } from '../../src/server/grpc/otlp-grpc-server.js';
import { useForwarderSetup } from './forwarder-setup.js';
import { freePort, itemsOf, payloadOf, startGrpcUpstream } from './upstreams.js';
import type { GrpcReply } from './upstreams.js';

const { stops, openOutbox, fastForwarder } = useForwarderSetup();

/** A forwarder over gRPC to `url`, fast backoff unless the options say otherwise. */
function forwarderTo(url: string, options: Partial<OutboxForwarderOptions> = {}) {
  const { store, outbox } = openOutbox();
  return { store, outbox, ...fastForwarder(outbox, url, { protocol: 'grpc', ...options }) };
}

async function upstreamAnswering(reply: (index: number, signal: OtlpSignal) => GrpcReply, port = 0) {
  const upstream = await startGrpcUpstream(reply, port);
  stops.push(() => upstream.close());
  return upstream;
}

/** `google.rpc.Status { code, message, details: [RetryInfo] }` as `grpc-status-details-bin` carries it. */
function statusWithRetryInfo(code: number, message: string, seconds: number): Uint8Array {
  const any = protobuf.Writer.create()
    .uint32((1 << 3) | 2)
    .string('type.googleapis.com/google.rpc.RetryInfo')
    .uint32((2 << 3) | 2)
    .bytes(encodeRetryInfo(seconds))
    .finish();
  const head = encodeStatus('protobuf', code, message);
  const detail = protobuf.Writer.create().uint32((3 << 3) | 2).bytes(any).finish();
  return new Uint8Array([...head, ...detail]);
}

describe('OutboxForwarder over OTLP/gRPC', () => {
  it("delivers all three signals to Skein's own gRPC receiver, each to its service, in order, with the headers as metadata", async () => {
    const got: Array<[OtlpSignal, Uint8Array]> = [];
    const capture = (signal: OtlpSignal) => async (body: Uint8Array) => {
      got.push([signal, new Uint8Array(body)]);
      return new Uint8Array();
    };
    const server = await startOtlpGrpcServer({
      port: 0,
      token: 's3cret',
      handlers: { traces: capture('traces'), logs: capture('logs'), metrics: capture('metrics') },
    });
    stops.push(() => server.close());
    const url = `127.0.0.1:${server.port}`;
    const { outbox, forwarder, attempts, enqueue } = forwarderTo(url, { headers: { Authorization: 'Bearer s3cret' } });
    const queued = [payloadOf('metrics', 2), payloadOf('traces', 3), payloadOf('logs', 1), payloadOf('traces', 1)];
    for (const p of queued) enqueue(p);
    forwarder.start();
    await expect.poll(() => got.length).toBe(4);
    expect(got).toEqual(queued.map((p) => [p.signal, p.bytes]));
    await expect.poll(() => attempts.length).toBe(4);
    expect(attempts.map((a) => [a.outcome, a.signal, a.status, a.spanCount])).toEqual([
      ['delivered', 'metrics', 0, 2],
      ['delivered', 'traces', 0, 3],
      ['delivered', 'logs', 0, 1],
      ['delivered', 'traces', 0, 1],
    ]);
    expect(outbox.depth()).toEqual([]);
  });

  it('without the token Skein answers UNAUTHENTICATED, which is final: dead-lettered with the status and message', async () => {
    const server = await startOtlpGrpcServer({ port: 0, token: 's3cret', handlers: { logs: async () => new Uint8Array() } });
    stops.push(() => server.close());
    const { outbox, forwarder, attempts, enqueue } = forwarderTo(`http://127.0.0.1:${server.port}`);
    enqueue(payloadOf('logs', 1));
    forwarder.start();
    await expect.poll(() => attempts.map((a) => a.outcome)).toEqual(['dead']);
    expect(outbox.listDeadLetters()).toMatchObject([
      { signal: 'logs', status: GrpcCode.UNAUTHENTICATED, response: expect.stringMatching(/^gRPC UNAUTHENTICATED \(16\): missing or wrong bearer token/) },
    ]);
  });

  it('retries UNAVAILABLE, then delivers; order is kept across signals (nothing overtakes the retried entry)', async () => {
    const upstream = await upstreamAnswering((i) => (i === 1 ? { code: GrpcCode.UNAVAILABLE, details: 'draining' } : {}));
    const { outbox, forwarder, attempts, enqueue } = forwarderTo(upstream.address);
    const queued = [payloadOf('traces', 1), payloadOf('logs', 2), payloadOf('metrics', 1)];
    for (const p of queued) enqueue(p);
    forwarder.start();
    await expect.poll(() => attempts.map((a) => a.outcome)).toEqual(['delivered', 'retry', 'delivered', 'delivered']);
    expect(attempts[1]).toMatchObject({ signal: 'logs', status: GrpcCode.UNAVAILABLE, error: 'gRPC UNAVAILABLE (14): draining' });
    expect(upstream.received.map((r) => r.signal)).toEqual(['traces', 'logs', 'logs', 'metrics']);
    expect(upstream.items()).toEqual([queued[0], queued[1], queued[1], queued[2]].flatMap((p) => p.items));
    expect(outbox.depth()).toEqual([]);
  });

  it('dead-letters INVALID_ARGUMENT with its signal, status and message, and delivers what is queued behind it', async () => {
    const upstream = await upstreamAnswering((i) => (i === 0 ? { code: GrpcCode.INVALID_ARGUMENT, details: 'metric has no name' } : {}));
    const { outbox, forwarder, attempts, enqueue } = forwarderTo(upstream.address);
    enqueue(payloadOf('metrics', 2));
    const logs = payloadOf('logs', 1);
    enqueue(logs);
    forwarder.start();
    await expect.poll(() => attempts.map((a) => a.outcome)).toEqual(['dead', 'delivered']);
    expect(outbox.listDeadLetters()).toMatchObject([
      { signal: 'metrics', spanCount: 2, attempts: 1, status: 3, response: 'gRPC INVALID_ARGUMENT (3): metric has no name' },
    ]);
    expect(itemsOf('logs', upstream.received[1].body)).toEqual(logs.items);
    expect(outbox.depth()).toEqual([]);
  });

  it('dead-letters RESOURCE_EXHAUSTED without RetryInfo (the spec: not retryable)', async () => {
    const upstream = await upstreamAnswering(() => ({ code: GrpcCode.RESOURCE_EXHAUSTED, details: 'message too large' }));
    const { outbox, forwarder, attempts, enqueue } = forwarderTo(upstream.address);
    enqueue(payloadOf('traces', 2));
    forwarder.start();
    await expect.poll(() => attempts.map((a) => a.outcome)).toEqual(['dead']);
    expect(outbox.listDeadLetters()[0]).toMatchObject({ status: 8, response: 'gRPC RESOURCE_EXHAUSTED (8): message too large' });
    expect(upstream.received).toHaveLength(1);
  });

  it('retries RESOURCE_EXHAUSTED with RetryInfo, never sooner than its delay, persisted on the entry', async () => {
    const upstream = await upstreamAnswering(() => ({
      code: GrpcCode.RESOURCE_EXHAUSTED,
      details: 'quota',
      statusDetails: statusWithRetryInfo(GrpcCode.RESOURCE_EXHAUSTED, 'quota', 120),
    }));
    const { store, outbox, forwarder, attempts, enqueue } = forwarderTo(upstream.address);
    enqueue(payloadOf('logs', 1));
    const before = Date.now();
    forwarder.start();
    await expect.poll(() => attempts.length).toBe(1);
    const after = Date.now();
    enqueue(payloadOf('logs', 1));
    forwarder.notify(); // paused: nothing more is sent
    await forwarder.stop();
    expect(attempts[0]).toMatchObject({ outcome: 'retry', status: 8, error: 'gRPC RESOURCE_EXHAUSTED (8): quota (RetryInfo: retry in 120000 ms)' });
    const at = (store.database.prepare('SELECT MAX(next_attempt_at) AS at FROM outbox WHERE attempts = 1').get() as { at: number }).at;
    expect(at).toBeGreaterThanOrEqual(before + 120_000);
    expect(at).toBeLessThanOrEqual(after + 120_000 + 1);
    expect(upstream.received).toHaveLength(1);
    expect(outbox.listDeadLetters()).toEqual([]);
  });

  it("honours Skein's own overload answer (UNAVAILABLE with RetryInfo) like Retry-After", async () => {
    const upstream = await upstreamAnswering((i) =>
      i === 0 ? { code: GrpcCode.UNAVAILABLE, details: 'busy', statusDetails: encodeUnavailableStatus('busy', 0.05) } : {},
    );
    const { forwarder, attempts, enqueue } = forwarderTo(upstream.address, { initialBackoffMillis: 1, maxBackoffMillis: 1 });
    enqueue(payloadOf('metrics', 1));
    forwarder.start();
    await expect.poll(() => attempts.map((a) => a.outcome)).toEqual(['retry', 'delivered']);
    expect(attempts[0].error).toBe('gRPC UNAVAILABLE (14): busy (RetryInfo: retry in 50 ms)');
  });

  it('delivers an OK answer with partial_success (the upstream kept the rest), gzipped when asked', async () => {
    const upstream = await upstreamAnswering(() => ({
      response: encodeExportResponse('protobuf', { rejectedSpans: 1, errorMessage: 'one span had no name' }),
    }));
    const { outbox, forwarder, attempts, enqueue } = forwarderTo(upstream.address, { gzip: true });
    const traces = payloadOf('traces', 2);
    enqueue(traces);
    forwarder.start();
    await expect.poll(() => attempts.map((a) => a.outcome)).toEqual(['delivered']);
    expect(upstream.received[0].body).toEqual(traces.bytes);
    expect(outbox.depth()).toEqual([]);
  });

  it('retries DEADLINE_EXCEEDED when the upstream does not answer within the timeout', async () => {
    let calls = 0;
    const server = await startOtlpGrpcServer({
      port: 0,
      closeGraceMs: 0,
      // The first call is never answered.
      handlers: { traces: () => (++calls === 1 ? new Promise<Uint8Array>(() => {}) : Promise.resolve(new Uint8Array())) },
    });
    stops.push(() => server.close());
    const { forwarder, attempts, enqueue } = forwarderTo(`127.0.0.1:${server.port}`, { timeoutMillis: 200 });
    enqueue(payloadOf('traces', 1));
    forwarder.start();
    await expect.poll(() => attempts.map((a) => a.outcome)).toEqual(['retry', 'delivered']);
    expect(attempts[0]).toMatchObject({ status: GrpcCode.DEADLINE_EXCEEDED, error: expect.stringContaining('DEADLINE_EXCEEDED') });
  });

  it('with no tuning options (default backoff): the upstream down, then up, gets every signal exactly once, in order', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { store, outbox } = openOutbox();
    const attempts: DeliveryAttempt[] = [];
    const forwarder = new OutboxForwarder({ outbox, url, protocol: 'grpc', onAttempt: (a) => attempts.push(a) });
    stops.push(() => forwarder.stop());
    const queued = [payloadOf('logs', 2), payloadOf('metrics', 1), payloadOf('traces', 2)];
    for (const p of queued) outbox.enqueue([url], p.bytes, p.items.length, { signal: p.signal });
    forwarder.start();
    await expect.poll(() => attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts[0]).toMatchObject({ outcome: 'retry', signal: 'logs', status: GrpcCode.UNAVAILABLE });
    expect(forwarder.health().state).toBe('failing');
    const upstream = await upstreamAnswering(() => ({}), port);
    await expect.poll(() => upstream.received.length, { timeout: 10_000 }).toBe(3);
    expect(upstream.items()).toEqual(queued.flatMap((p) => p.items));
    expect(attempts.filter((a) => a.outcome === 'delivered').map((a) => a.signal)).toEqual(['logs', 'metrics', 'traces']);
    expect(attempts.every((a) => a.outcome === 'retry' || a.outcome === 'delivered')).toBe(true);
    expect((store.database.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n).toBe(0);
    expect(forwarder.health().state).toBe('delivering');
  });

  it('refuses a gRPC upstream with a path, and an unknown protocol, naming the problem', () => {
    const { outbox } = openOutbox();
    expect(() => new OutboxForwarder({ outbox, url: 'http://collector:4317/v1/traces', protocol: 'grpc' })).toThrow(
      "a gRPC upstream has no path (the Export method is chosen per signal), got 'http://collector:4317/v1/traces'",
    );
    expect(() => new OutboxForwarder({ outbox, url: 'http://x', protocol: 'udp' as 'grpc' })).toThrow(
      "OutboxForwarder: protocol must be 'http' or 'grpc', got 'udp'",
    );
  });
});
