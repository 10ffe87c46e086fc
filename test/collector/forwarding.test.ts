import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { CollectorOptions, RunningCollector } from '../../src/collector/start-collector.js';
import type { RawSpan } from '../../src/model/types.js';
import { decodeTraceRequest, encodeStatus, encodeTraceRequest } from '../../src/otlp/index.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { cleanup, countIds, parseMetrics, startUpstream, tempDir } from '../cli/serve/helpers.js';

const collectors: RunningCollector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.close()));
  await cleanup();
});

async function start(options: Partial<CollectorOptions>) {
  const collector = await startCollector({
    dbPath: join(tempDir(), 'skein.db'),
    port: 0,
    forwardBackoffMillis: { initial: 5, max: 20 },
    ...options,
  });
  collectors.push(collector);
  return collector;
}

async function send(url: string, count: number, format: 'protobuf' | 'json' = 'protobuf'): Promise<string[]> {
  const spans: RawSpan[] = Array.from({ length: count }, () => makeRawSpan());
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': format === 'json' ? 'application/json' : 'application/x-protobuf' },
    body: encodeTraceRequest(spans, format),
  });
  expect(res.status).toBe(200);
  return spans.map((s) => s.spanId);
}

describe('forwarding through the durable outbox', () => {
  it('an upstream that answers 503 before accepting gets every span exactly once, with the span data intact', async () => {
    const upstream = await startUpstream((index) => (index < 3 ? { status: 503 } : { status: 200 }));
    const collector = await start({ forward: [{ url: upstream.url, headers: { 'x-tenant': 'acme' } }] });
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push(...(await send(collector.url, 10, i % 2 ? 'json' : 'protobuf')));
    await upstream.waitFor(() => upstream.acceptedSpanIds().length >= sent.length);
    await collector.close();
    expect(collector.outbox.depth()).toEqual([]);

    expect(upstream.requests.slice(0, 3).map((r) => r.status)).toEqual([503, 503, 503]);
    const counts = countIds(upstream.acceptedSpanIds());
    expect([...counts.keys()].sort()).toEqual([...sent].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const r of upstream.requests) {
      expect(r.contentType).toBe('application/x-protobuf');
      expect(r.headers['x-tenant']).toBe('acme');
    }
    // What was forwarded decodes to the same spans that were received.
    const forwarded = decodeTraceRequest(upstream.requests[3].body, 'protobuf').spans[0];
    expect(forwarded.attributes['gen_ai.request.model']).toBe('gpt-4o');
    expect(forwarded.startTimeUnixNano).toBe(1_700_000_000_123_456_789n);
  });

  it('a network error (upstream down) is retried until the upstream comes up', async () => {
    const upstream = await startUpstream();
    const port = upstream.port;
    await upstream.close();
    const collector = await start({ forward: [{ url: `http://127.0.0.1:${port}` }] });
    const sent = await send(collector.url, 3);
    await expect.poll(() => collector.outbox.depth()[0]?.entries).toBe(1);
    // Each failed attempt is recorded on the entry.
    await expect.poll(() => collector.store.database.prepare('SELECT attempts, last_error FROM outbox').get())
      .toMatchObject({ last_error: expect.stringMatching(/fetch failed|ECONNREFUSED/) });

    // Same port as before: the queued entries are keyed by the upstream URL.
    const revived = await startUpstream(undefined, port);
    await revived.waitFor(() => revived.acceptedSpanIds().length === 3);
    expect(revived.acceptedSpanIds().sort()).toEqual(sent.sort());
  });

  it('a non-retryable 400 goes to the dead-letter table with the upstream answer, and later requests still flow', async () => {
    const upstream = await startUpstream((index) =>
      index === 0
        ? {
            status: 400,
            headers: { 'content-type': 'application/x-protobuf' },
            body: encodeStatus('protobuf', 3, 'span 3 has an invalid trace id'),
          }
        : { status: 200 },
    );
    const collector = await start({ forward: [{ url: upstream.url }] });
    const refused = await send(collector.url, 4);
    await expect.poll(() => collector.outbox.deadLetters().length).toBe(1);
    const next = await send(collector.url, 2);
    await upstream.waitFor(() => upstream.acceptedSpanIds().length === 2);

    const [dead] = collector.outbox.deadLetters();
    expect(dead).toMatchObject({ upstream: upstream.url, status: 400, spanCount: 4, attempts: 1 });
    expect(dead.response).toContain('span 3 has an invalid trace id');
    expect(upstream.requests.map((r) => r.status)).toEqual([400, 200]); // never retried
    expect(upstream.requests[0].spanIds.sort()).toEqual(refused.sort());
    expect(upstream.acceptedSpanIds().sort()).toEqual(next.sort());
    // The payload is kept for a human to replay.
    const row = collector.store.database.prepare('SELECT payload FROM outbox_dead').get() as { payload: Buffer };
    expect(decodeTraceRequest(row.payload, 'protobuf').spans.map((s) => s.spanId).sort()).toEqual(refused.sort());
    const metrics = parseMetrics(await (await fetch(`${collector.url}/metrics`)).text());
    expect(metrics.get(`skein_outbox_dead_letters{upstream="${upstream.url}"}`)).toBe(1);
    expect(metrics.get(`skein_forward_attempts_total{upstream="${upstream.url}",outcome="dead"}`)).toBe(1);
  });

  it('a JSON error answer is kept as text', async () => {
    const upstream = await startUpstream(() => ({
      status: 413,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 3, message: 'request too large for tenant acme' }),
    }));
    const collector = await start({ forward: [{ url: upstream.url }] });
    await send(collector.url, 1);
    await expect.poll(() => collector.outbox.deadLetters().length).toBe(1);
    expect(collector.outbox.deadLetters()[0]).toMatchObject({ status: 413 });
    expect(collector.outbox.deadLetters()[0].response).toContain('request too large for tenant acme');
  });

  it('honours Retry-After: one refused attempt, nothing sent during the wait, then the queue in order', async () => {
    const RETRY_AFTER_SECONDS = 1;
    let refusedAt: number | null = null;
    const upstream = await startUpstream(() => {
      // Refuses everything until Retry-After has passed since the first refusal.
      if (refusedAt === null) refusedAt = Date.now();
      if (Date.now() - refusedAt < RETRY_AFTER_SECONDS * 1000) {
        return { status: 429, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } };
      }
      return { status: 200 };
    });
    // A 5 ms backoff would retry ~100 times within the second if Retry-After were ignored.
    const collector = await start({ forward: [{ url: upstream.url }], forwardBackoffMillis: { initial: 5, max: 5 } });
    const a = await send(collector.url, 2);
    await upstream.waitFor(() => upstream.requests.length === 1);
    const b = await send(collector.url, 2); // arrives during the pause: must wait behind a
    await upstream.waitFor(() => upstream.acceptedSpanIds().length === 4);

    expect(upstream.requests.map((r) => r.status)).toEqual([429, 200, 200]);
    expect(upstream.requests.map((r) => r.spanIds.sort())).toEqual([a.sort(), a.sort(), b.sort()]);
  });

  it('forwards to several upstreams independently: one down does not hold the other', async () => {
    const down = await startUpstream(() => ({ status: 503 }));
    const up = await startUpstream();
    const collector = await start({ forward: [{ url: down.url }, { url: up.url }] });
    const sent = [...(await send(collector.url, 3)), ...(await send(collector.url, 3))];
    await up.waitFor(() => up.acceptedSpanIds().length === 6);
    expect(up.acceptedSpanIds().sort()).toEqual(sent.sort());
    expect(down.acceptedSpanIds()).toEqual([]);
    // The upstream answers before the collector deletes what it acknowledged.
    await expect.poll(() => collector.outbox.depth()).toMatchObject([{ upstream: down.url, entries: 2, spans: 6 }]);
  });
});
