import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../../src/collector/start-collector.js';
import type { RunningCollector } from '../../../src/collector/start-collector.js';
import { runCli } from '../../../src/cli/run-cli.js';
import type { RawSpan } from '../../../src/model/types.js';
import { encodeTraceRequest, readRpcStatus } from '../../../src/otlp/index.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { cleanup, countIds, parseMetrics, readAllSpans, runServeInProcess, startUpstream, tempDir } from './helpers.js';

const collectors: RunningCollector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.close()));
  await cleanup();
});

async function start(options: Partial<Parameters<typeof startCollector>[0]> = {}) {
  const dbPath = join(tempDir(), 'skein.db');
  const collector = await startCollector({ dbPath, port: 0, forwardBackoffMillis: { initial: 5, max: 20 }, ...options });
  collectors.push(collector);
  return collector;
}

function post(url: string, spans: RawSpan[], headers: Record<string, string> = {}) {
  return fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...headers },
    body: encodeTraceRequest(spans, 'protobuf'),
  });
}

const plainSpan = (): RawSpan =>
  makeRawSpan({ name: 'GET /health', kind: 2, attributes: { 'http.request.method': 'GET', 'url.path': '/health' } });

describe('collector HTTP surface', () => {
  it('--token is enforced on every route: 401 without, 200 with', async () => {
    const dbPath = join(tempDir(), 'token.db');
    const serve = await runServeInProcess(['--port', '0', '--db', dbPath, '--token', 's3cret']);
    try {
      const routes: Array<[string, RequestInit]> = [
        ['/healthz', {}],
        ['/readyz', {}],
        ['/metrics', {}],
        ['/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json' }, body: encodeTraceRequest([makeRawSpan()], 'json') }],
        ['/no-such-route', {}],
      ];
      for (const [path, init] of routes) {
        const without = await fetch(serve.url + path, init);
        expect([path, without.status]).toEqual([path, 401]);
        expect(without.headers.get('www-authenticate')).toContain('Bearer');
        const wrong = await fetch(serve.url + path, { ...init, headers: { ...init.headers, authorization: 'Bearer nope' } });
        expect([path, wrong.status]).toEqual([path, 401]);
      }
      for (const [path, init] of routes.slice(0, 4)) {
        const ok = await fetch(serve.url + path, { ...init, headers: { ...init.headers, authorization: 'Bearer s3cret' } });
        expect([path, ok.status]).toEqual([path, 200]);
      }
      const missing = await fetch(serve.url + '/no-such-route', { headers: { authorization: 'Bearer s3cret' } });
      expect(missing.status).toBe(404);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    // Only the authorized export was stored.
    expect(await readAllSpans(dbPath)).toHaveLength(1);
  });

  it('a user error from runCli is one line plus usage and exit 1', async () => {
    const stderr = new PassThrough();
    let err = '';
    stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await runCli(['serve', '--host', '10.1.2.3', '--port', '0', '--db', join(tempDir(), 'x.db')], {
      stdout: new PassThrough(),
      stderr,
      env: {},
    });
    expect(code).toBe(1);
    expect(err.split('\n')[0]).toBe(
      "skein serve: binding 10.1.2.3 exposes your traces: pass --token <secret> (or SKEIN_TOKEN), or --insecure",
    );
    expect(err).toContain('Usage: skein serve');
  });

  it('/healthz, /readyz and /metrics report the accepted spans and the outbox per upstream', async () => {
    const upstream = await startUpstream(() => ({ status: 503 }));
    const healthy = await startUpstream();
    const collector = await start({ forward: [{ url: upstream.url }, { url: healthy.url }] });
    expect(await (await fetch(`${collector.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${collector.url}/readyz`)).json()).toMatchObject({
      status: 'ready',
      forwarding: [
        { upstream: upstream.url, queuedEntries: 0, full: false },
        { upstream: healthy.url, state: 'delivering', consecutiveFailures: 0, queuedEntries: 0 },
      ],
      unconfiguredQueues: [],
    });

    for (const n of [3, 4]) expect((await post(collector.url, Array.from({ length: n }, () => makeRawSpan()))).status).toBe(200);
    await healthy.waitFor(() => healthy.acceptedSpanIds().length === 7);

    const res = await fetch(`${collector.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const metrics = parseMetrics(await res.text());
    expect(metrics.get('skein_spans_accepted_total')).toBe(7);
    expect(metrics.get('skein_http_requests_total{status="200"}')).toBe(2);
    // The failing upstream holds both requests; the healthy one drained.
    expect(metrics.get(`skein_outbox_entries{upstream="${upstream.url}"}`)).toBe(2);
    expect(metrics.get(`skein_outbox_spans{upstream="${upstream.url}"}`)).toBe(7);
    expect(metrics.get(`skein_outbox_entries{upstream="${healthy.url}"}`)).toBe(0);
    expect(metrics.get(`skein_outbox_spans{upstream="${healthy.url}"}`)).toBe(0);
    expect(metrics.get(`skein_forward_spans_delivered_total{upstream="${healthy.url}"}`)).toBe(7);
    expect(metrics.get(`skein_outbox_bytes{upstream="${upstream.url}"}`)).toBeGreaterThan(0);
    expect(metrics.get(`skein_forward_attempts_total{upstream="${upstream.url}",outcome="retry"}`)).toBeGreaterThan(0);
    expect(metrics.get(`skein_forward_consecutive_failures{upstream="${upstream.url}"}`)).toBeGreaterThan(0);
    expect(metrics.get(`skein_forward_consecutive_failures{upstream="${healthy.url}"}`)).toBe(0);
    expect(metrics.has(`skein_forward_last_error_age_seconds{upstream="${healthy.url}"}`)).toBe(false);
  });

  it('--store genai keeps only GenAI spans locally and forwards every span', async () => {
    const upstream = await startUpstream();
    const dbPath = join(tempDir(), 'genai.db');
    const serve = await runServeInProcess(['--port', '0', '--db', dbPath, '--store', 'genai', '--forward', upstream.url]);
    const genai = [makeRawSpan(), makeRawSpan({ attributes: { 'openinference.span.kind': 'TOOL', 'tool.name': 'search' } })];
    const plain = [plainSpan(), plainSpan()];
    try {
      expect((await post(serve.url, [...genai, ...plain])).status).toBe(200);
      await upstream.waitFor(() => upstream.acceptedSpanIds().length === 4);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    expect(serve.output()).toContain(`forwarding to: ${upstream.url}`);
    expect(upstream.acceptedSpanIds().sort()).toEqual([...genai, ...plain].map((s) => s.spanId).sort());
    expect((await readAllSpans(dbPath)).map((s) => s.spanId).sort()).toEqual(genai.map((s) => s.spanId).sort());
  });

  it('a full outbox answers 503 + Retry-After, and nothing acknowledged is lost', async () => {
    let up = false;
    const upstream = await startUpstream(() => ({ status: up ? 200 : 503 }));
    const collector = await start({ forward: [{ url: upstream.url }], maxOutboxBytes: 1 });

    const acknowledged: string[] = [];
    const first = [makeRawSpan(), makeRawSpan()];
    const res1 = await post(collector.url, first);
    expect(res1.status).toBe(200);
    acknowledged.push(...first.map((s) => s.spanId));

    const refusedSpans = [makeRawSpan()];
    const res2 = await post(collector.url, refusedSpans);
    expect(res2.status).toBe(503);
    expect(Number(res2.headers.get('retry-after'))).toBeGreaterThan(0);
    const status = readRpcStatus(new Uint8Array(await res2.arrayBuffer()), res2.headers.get('content-type'));
    expect(status.message).toContain('outbox');
    // A load balancer sees it too: not ready while the outbox is full.
    const notReady = await fetch(`${collector.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ status: 'outbox full', forwarding: [{ upstream: upstream.url, full: true }] });

    // The upstream recovers, the outbox drains, and the collector takes requests again.
    up = true;
    await upstream.waitFor(() => upstream.acceptedSpanIds().length === 2);
    await expect.poll(() => collector.outbox.queuedBytes(upstream.url)).toBe(0);
    const third = [makeRawSpan()];
    expect((await post(collector.url, third)).status).toBe(200);
    acknowledged.push(...third.map((s) => s.spanId));
    await upstream.waitFor(() => upstream.acceptedSpanIds().length === 3);
    await collector.close();

    const counts = countIds(upstream.acceptedSpanIds());
    expect([...counts.keys()].sort()).toEqual([...acknowledged].sort());
    expect([...counts.values()]).toEqual([1, 1, 1]);
    const stored = (await readAllSpans(collector.dbPath)).map((s) => s.spanId);
    expect(stored.sort()).toEqual([...acknowledged].sort());
    expect(stored).not.toContain(refusedSpans[0].spanId);
  });

  it('close() finishes a request in flight, refuses new connections and closes the database', async () => {
    const collector = await start();
    const spans = [makeRawSpan(), makeRawSpan()];
    const body = encodeTraceRequest(spans, 'protobuf');
    // A client that has sent half its body when shutdown begins.
    const inFlight = new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${collector.url}/v1/traces`,
        { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-length': body.byteLength } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, 10), () => {
        setImmediate(() => {
          closing = collector.close();
          setImmediate(() => req.end(body.subarray(10)));
        });
      });
    });
    let closing: Promise<void> | undefined;
    expect(await inFlight).toBe(200);
    await closing;
    await expect(fetch(`${collector.url}/healthz`)).rejects.toThrow();
    expect(existsSync(`${collector.dbPath}-wal`)).toBe(false);
    expect((await readAllSpans(collector.dbPath)).map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
    await collector.close(); // twice is fine
  });

  it('a bad numeric option fails startup naming it, before anything listens, and leaves the database closed', async () => {
    const dbPath = join(tempDir(), 'bad-option.db');
    for (const [option, value] of [
      ['interruptAfterMillis', Number.NaN],
      ['maxOutboxBytes', 0],
      ['shutdownGraceMillis', -1],
      ['maxWaitMillis', Infinity],
    ] as const) {
      await expect(startCollector({ dbPath, port: 0, [option]: value })).rejects.toThrow(`${option} must be`);
    }
    expect(existsSync(`${dbPath}-wal`)).toBe(false);
  });

  it('a port in use fails startup and leaves the database closed', async () => {
    const first = await start();
    const dbPath = join(tempDir(), 'second.db');
    await expect(startCollector({ dbPath, port: first.port })).rejects.toThrow(/EADDRINUSE/);
    expect(existsSync(`${dbPath}-wal`)).toBe(false);
  });
});
