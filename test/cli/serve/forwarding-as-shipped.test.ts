/**
 * `skein serve --forward URL` exactly as README ships it: no backoff or
 * timeout options, run through the CLI. The worst bug Skein shipped (the
 * first upstream error stopped forwarding until restart) hid because every
 * forwarding test passed its own backoff; these pass none.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RawSpan } from '../../../src/model/types.js';
import { encodeTraceRequest } from '../../../src/otlp/index.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { cleanup, countIds, parseMetrics, runServeInProcess, startUpstream, tempDir } from './helpers.js';

afterEach(cleanup);

async function send(url: string, count: number): Promise<string[]> {
  const spans: RawSpan[] = Array.from({ length: count }, () => makeRawSpan());
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: encodeTraceRequest(spans, 'protobuf'),
  });
  expect(res.status).toBe(200);
  return spans.map((s) => s.spanId);
}

async function metrics(url: string): Promise<Map<string, number>> {
  return parseMetrics(await (await fetch(`${url}/metrics`)).text());
}

interface ReadyBody {
  status: string;
  forwarding: Array<{ upstream: string; state: string; consecutiveFailures: number; lastError: string | null; queuedEntries: number }>;
  unconfiguredQueues: Array<{ upstream: string; entries: number; spans: number; deadLetters: number }>;
}

async function readyz(url: string): Promise<ReadyBody> {
  return (await (await fetch(`${url}/readyz`)).json()) as ReadyBody;
}

describe('skein serve --forward, with the shipped defaults', () => {
  it('an upstream answering 503 + Retry-After: 1 three times, then 200, gets every span exactly once', async () => {
    const upstream = await startUpstream((index) =>
      index < 3 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    const serve = await runServeInProcess(['--db', join(tempDir(), 'skein.db'), '--port', '0', '--forward', upstream.url]);
    const sent = [...(await send(serve.url, 5)), ...(await send(serve.url, 5))];

    // Retry-After: 1 three times: about 3 s at the default backoff (the bug: never).
    await upstream.waitFor(() => upstream.acceptedSpanIds().length >= sent.length);
    expect(upstream.requests.slice(0, 3).map((r) => r.status)).toEqual([503, 503, 503]);
    const counts = countIds(upstream.acceptedSpanIds());
    expect([...counts.keys()].sort()).toEqual([...sent].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    const m = await metrics(serve.url);
    expect(m.get(`skein_forward_attempts_total{upstream="${upstream.url}",outcome="retry"}`)).toBe(3);
    expect(m.get(`skein_forward_attempts_total{upstream="${upstream.url}",outcome="delivered"}`)).toBe(2);
    expect(m.get(`skein_forward_consecutive_failures{upstream="${upstream.url}"}`)).toBe(0);
    expect(m.get(`skein_outbox_entries{upstream="${upstream.url}"}`)).toBe(0);
    expect(await serve.stop()).toBe(0);
    expect(serve.errors()).not.toMatch(/stopped|NOT NULL/);
  });

  it('an upstream down at start and up 5 s later gets everything; /readyz and /metrics show the failures meanwhile', async () => {
    const probe = await startUpstream();
    const port = probe.port;
    await probe.close();
    const url = `http://127.0.0.1:${port}`;
    const serve = await runServeInProcess(['--db', join(tempDir(), 'skein.db'), '--port', '0', '--forward', url]);
    const sent = await send(serve.url, 4);

    await expect.poll(async () => (await readyz(serve.url)).forwarding[0].consecutiveFailures, { timeout: 10_000 }).toBeGreaterThan(1);
    const during = await readyz(serve.url);
    // Still ready: what arrives is queued durably, nothing is refused.
    expect(during.status).toBe('ready');
    expect(during.forwarding[0]).toMatchObject({ upstream: url, state: 'failing', queuedEntries: 1 });
    expect(during.forwarding[0].lastError).toMatch(/ECONNREFUSED/);
    const m = await metrics(serve.url);
    expect(m.get(`skein_forward_attempts_total{upstream="${url}",outcome="retry"}`)).toBeGreaterThan(1);
    expect(m.get(`skein_forward_last_error_age_seconds{upstream="${url}"}`)).toBeGreaterThanOrEqual(0);
    expect(m.get(`skein_forward_paused_until_timestamp_seconds{upstream="${url}"}`)).toBeGreaterThan(0);

    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const revived = await startUpstream(undefined, port);
    await revived.waitFor(() => revived.acceptedSpanIds().length >= sent.length);
    expect(revived.acceptedSpanIds().sort()).toEqual([...sent].sort());
    await expect.poll(async () => (await readyz(serve.url)).forwarding[0]).toMatchObject({
      state: 'delivering',
      consecutiveFailures: 0,
      queuedEntries: 0,
    });
    expect(await serve.stop()).toBe(0);
  });

  it('a queue left for an upstream that is no longer configured is reported at startup and in metrics', async () => {
    const dbPath = join(tempDir(), 'skein.db');
    const probe = await startUpstream();
    await probe.close();
    const first = await runServeInProcess(['--db', dbPath, '--port', '0', '--forward', probe.url]);
    await send(first.url, 3);
    expect(await first.stop()).toBe(0);

    const second = await runServeInProcess(['--db', dbPath, '--port', '0']);
    expect(second.errors()).toContain(`${probe.url}: 1 queued request (3 spans)`);
    expect(second.errors()).toContain('skein outbox');
    const m = await metrics(second.url);
    expect(m.get(`skein_outbox_unconfigured_entries{upstream="${probe.url}"}`)).toBe(1);
    expect((await readyz(second.url)).unconfiguredQueues).toEqual([
      { upstream: probe.url, entries: 1, spans: 3, deadLetters: 0 },
    ]);
    expect(await second.stop()).toBe(0);
  });
});
