/**
 * Forwarding every signal between two real `skein serve` processes, with no
 * tuning options: A with `--forward <B's host:port> --forward-protocol grpc`,
 * and another A with `--forward <B's http URL>`. Traces, log records and
 * metric points sent to A (over HTTP to one, over gRPC to the other) arrive
 * at B as A stored them, read from B's API.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecordJson, MetricPointJson } from '../../src/model/log-view.js';
import type { OtlpSignal } from '../../src/model/signals.js';
import { OTLP_EXPORT_PATHS } from '../../src/otlp/otlp-endpoints.js';
import { cleanup, readAllSpans } from '../cli/serve/helpers.js';
import { grpcClient, rawCall } from '../server/grpc/grpc-test-helpers.js';
import { startServe } from './serve-child.js';
import type { RunningServe } from './serve-child.js';
import { exportBody, storedCount } from './signal-probes.js';

const SIGNALS = ['traces', 'logs', 'metrics'] as const;
let upstream: RunningServe;
beforeAll(async () => {
  upstream = await startServe();
});
afterAll(cleanup);

/** Sends one tagged export of `signal` to `serve` over `transport`; expects it accepted. */
async function send(serve: RunningServe, transport: 'http' | 'grpc', signal: OtlpSignal, tag: string): Promise<void> {
  const body = exportBody(signal, tag);
  if (transport === 'http') {
    const res = await fetch(`${serve.url}/v1/${signal}`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    expect(res.status).toBe(200);
    return;
  }
  const client = grpcClient(serve.grpcPort!);
  try {
    expect((await rawCall(client, OTLP_EXPORT_PATHS[signal], body)).error).toBeNull();
  } finally {
    client.close();
  }
}

/** What each side stored for `tag`, without the store's own row ids. */
async function storedAs(serve: RunningServe, signal: OtlpSignal, tag: string): Promise<unknown[]> {
  if (signal === 'traces') {
    const spans = (await readAllSpans(serve.dbPath)).filter((s) => s.name === `span ${tag}`);
    return spans.map((s) => s.raw);
  }
  if (signal === 'logs') {
    const { items } = await serve.api<{ items: LogRecordJson[] }>('/logs?session=s-1&limit=1000');
    return items.filter((r) => typeof r.body === 'string' && r.body.endsWith(tag)).map(({ id: _id, ...rest }) => rest);
  }
  const { items } = await serve.api<{ items: MetricPointJson[] }>('/metrics?name=gen_ai.client.token.usage&limit=1000');
  return items.filter((p) => p.attributes['gen_ai.token.type'] === `input${tag}`).map(({ id: _id, ...rest }) => rest);
}

describe.each([
  { protocol: 'grpc', sendOver: 'http' },
  { protocol: 'http', sendOver: 'grpc' },
] as const)('skein serve --forward … --forward-protocol $protocol', ({ protocol, sendOver }) => {
  let forwarder: RunningServe;
  beforeAll(async () => {
    const target = protocol === 'grpc' ? `127.0.0.1:${upstream.grpcPort}` : upstream.url;
    forwarder = await startServe(protocol === 'grpc' ? ['--forward', target, '--forward-protocol', 'grpc'] : ['--forward', target]);
    expect(forwarder.child.stdout()).toContain(`forwarding to: ${protocol === 'grpc' ? target : upstream.url}`);
  });

  it.each(SIGNALS)(`%s sent over ${sendOver} arrive upstream as they were stored`, async (signal) => {
    const tag = `fwd-${protocol}-${signal}-${randomUUID().slice(0, 8)}`;
    await send(forwarder, sendOver, signal, tag);
    const local = await storedAs(forwarder, signal, tag);
    expect(local.length).toBeGreaterThan(0);
    await expect.poll(() => storedCount(upstream, signal, tag), { timeout: 30_000, interval: 100 }).toBe(local.length);
    expect(await storedAs(upstream, signal, tag)).toEqual(local);
  });

  it('the three signals sent together all arrive, and the forwarder\'s outbox empties', async () => {
    const tags = SIGNALS.map((signal) => `fwd-${protocol}-all-${signal}-${randomUUID().slice(0, 8)}`);
    await Promise.all(SIGNALS.map((signal, i) => send(forwarder, sendOver, signal, tags[i])));
    for (const [i, signal] of SIGNALS.entries()) {
      await expect.poll(() => storedCount(upstream, signal, tags[i]), { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);
    }
    type Forwarding = { upstreams: Array<{ configured: boolean; queued: number; deadLetters: number; consecutiveFailures: number | null }> };
    const queues = async () => (await forwarder.api<Forwarding>('/operations/forwarding')).upstreams;
    await expect.poll(queues, { timeout: 30_000, interval: 100 }).toEqual([
      expect.objectContaining({ configured: true, queued: 0, deadLetters: 0, consecutiveFailures: 0 }),
    ]);
  });
});
