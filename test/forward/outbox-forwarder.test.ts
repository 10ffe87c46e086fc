import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutboxForwarder } from '../../src/forward/outbox-forwarder.js';
import type { DeliveryAttempt, ForwarderOutbox, OutboxForwarderOptions } from '../../src/forward/outbox-forwarder.js';
import { encodeStatus, encodeTraceRequest } from '../../src/otlp/index.js';
import { SqliteOutbox } from '../../src/store/sqlite/sqlite-outbox.js';
import { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { startUpstream, tempDir } from '../cli/serve/helpers.js';
import type { UpstreamReply } from '../cli/serve/helpers.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { useForwarderSetup } from './forwarder-setup.js';

const { stops, openOutbox, fastForwarder } = useForwarderSetup();

function payload(count: number) {
  const spans = Array.from({ length: count }, () => makeRawSpan());
  return { bytes: encodeTraceRequest(spans, 'protobuf'), ids: spans.map((s) => s.spanId) };
}

async function forwarderTo(
  reply: (index: number) => UpstreamReply,
  options: Partial<Pick<OutboxForwarderOptions, 'initialBackoffMillis' | 'maxBackoffMillis' | 'random'>> = {},
) {
  const upstream = await startUpstream(reply);
  const { store, outbox } = openOutbox();
  const { forwarder, attempts } = fastForwarder(outbox, upstream.url, options);
  return { upstream, store, outbox, forwarder, attempts };
}

// The retry rules (statuses, Retry-After, backoff): retry-policy.test.ts; how an answer reads: delivery-errors.test.ts.
describe('OutboxForwarder', () => {
  it('delivers the queue in order, one request at a time, and empties it', async () => {
    const { upstream, outbox, forwarder, attempts } = await forwarderTo(() => ({ status: 200 }));
    const batches = [payload(1), payload(2), payload(3)];
    for (const b of batches) outbox.enqueue([upstream.url], b.bytes, b.ids.length);
    forwarder.start();
    await upstream.waitFor(() => upstream.requests.length === 3);
    await forwarder.stop();
    expect(upstream.requests.map((r) => r.spanIds)).toEqual(batches.map((b) => b.ids));
    expect(attempts.map((a) => [a.outcome, a.spanCount])).toEqual([
      ['delivered', 1],
      ['delivered', 2],
      ['delivered', 3],
    ]);
    expect(outbox.depth()).toEqual([]);
  });

  it('wakes on notify() for entries queued while idle', async () => {
    const { upstream, outbox, forwarder } = await forwarderTo(() => ({ status: 200 }));
    forwarder.start();
    const later = payload(2);
    outbox.enqueue([upstream.url], later.bytes, 2);
    forwarder.notify();
    await upstream.waitFor(() => upstream.acceptedSpanIds().length === 2);
    expect(upstream.acceptedSpanIds()).toEqual(later.ids);
  });

  it('schedules a retry with jittered exponential backoff, persisted on the entry', async () => {
    const { upstream, store, outbox, forwarder, attempts } = await forwarderTo(() => ({ status: 503 }), {
      initialBackoffMillis: 60_000,
      maxBackoffMillis: 600_000,
      random: () => 0, // the lower edge of the jitter: half the backoff
    });
    const p = payload(1);
    outbox.enqueue([upstream.url], p.bytes, 1);
    const before = Date.now();
    forwarder.start();
    await upstream.waitFor(() => upstream.requests.length === 1);
    await expect.poll(() => attempts.length).toBe(1);
    const after = Date.now();
    await forwarder.stop();
    const row = store.database.prepare('SELECT attempts, next_attempt_at AS at, last_error AS error FROM outbox').get() as {
      attempts: number;
      at: number;
      error: string;
    };
    expect(row.attempts).toBe(1);
    expect(row.at).toBeGreaterThanOrEqual(before + 30_000);
    expect(row.at).toBeLessThanOrEqual(after + 30_000 + 1);
    expect(row.error).toContain('HTTP 503');
    expect(attempts[0]).toMatchObject({ outcome: 'retry', status: 503, spanCount: 1 });
    // Still queued, and not due yet: nothing is lost, nothing is hammered.
    expect(outbox.depth()).toMatchObject([{ entries: 1, spans: 1 }]);
    expect(outbox.dueEntries(upstream.url, 10)).toEqual([]);
  });

  it('never retries sooner than Retry-After, even with a tiny backoff', async () => {
    const { upstream, store, outbox, forwarder } = await forwarderTo(() => ({
      status: 429,
      headers: { 'retry-after': '120' },
    }));
    outbox.enqueue([upstream.url], payload(1).bytes, 1);
    const before = Date.now();
    forwarder.start();
    await upstream.waitFor(() => upstream.requests.length === 1);
    // Queue more during the pause and poke the forwarder: it must not send.
    outbox.enqueue([upstream.url], payload(1).bytes, 1);
    forwarder.notify();
    await expect
      .poll(() => (store.database.prepare('SELECT MAX(attempts) AS n FROM outbox').get() as { n: number }).n)
      .toBe(1);
    await forwarder.stop();
    const at = (store.database.prepare('SELECT MAX(next_attempt_at) AS at FROM outbox').get() as { at: number }).at;
    expect(at).toBeGreaterThanOrEqual(before + 120_000);
    expect(upstream.requests).toHaveLength(1);
  });

  it('bounds a bogus Retry-After: the entry is due again within the hour, not in 3,000 years', async () => {
    const { upstream, store, outbox, forwarder } = await forwarderTo(() => ({
      status: 503,
      headers: { 'retry-after': '99999999999' },
    }));
    outbox.enqueue([upstream.url], payload(1).bytes, 1);
    const before = Date.now();
    forwarder.start();
    await upstream.waitFor(() => upstream.requests.length === 1);
    await expect
      .poll(() => (store.database.prepare('SELECT MAX(attempts) AS n FROM outbox').get() as { n: number }).n)
      .toBe(1);
    const after = Date.now();
    await forwarder.stop();
    const at = (store.database.prepare('SELECT MAX(next_attempt_at) AS at FROM outbox').get() as { at: number }).at;
    expect(at).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(at).toBeLessThanOrEqual(after + 3_600_000);
  });

  it('dead-letters a 500: OTLP retries only 429, 502, 503 and 504, and the payload is kept for replay', async () => {
    const { upstream, outbox, forwarder, attempts } = await forwarderTo(() => ({
      status: 500,
      headers: { 'content-type': 'text/plain' },
      body: new TextEncoder().encode('exporter misconfigured'),
    }));
    outbox.enqueue([upstream.url], payload(2).bytes, 2);
    forwarder.start();
    await expect.poll(() => outbox.deadLetters().length).toBe(1);
    expect(outbox.deadLetters()[0]).toMatchObject({ status: 500, spanCount: 2, response: 'HTTP 500: exporter misconfigured' });
    expect(attempts.map((a) => a.outcome)).toEqual(['dead']);
    expect(upstream.requests).toHaveLength(1);
  });

  it('dead-letters a final refusal with the status and the decoded answer', async () => {
    const { upstream, outbox, forwarder, attempts } = await forwarderTo(() => ({
      status: 400,
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeStatus('protobuf', 3, 'resource is missing service.name'),
    }));
    outbox.enqueue([upstream.url], payload(3).bytes, 3);
    forwarder.start();
    await expect.poll(() => outbox.deadLetters().length).toBe(1);
    expect(outbox.deadLetters()[0]).toMatchObject({
      upstream: upstream.url,
      status: 400,
      spanCount: 3,
      attempts: 1,
      response: 'HTTP 400: google.rpc.Status code 3: resource is missing service.name',
    });
    expect(outbox.deadLetterCounts().get(upstream.url)).toBe(1);
    expect(attempts.map((a) => a.outcome)).toEqual(['dead']);
    expect(outbox.depth()).toEqual([]);
  });

  it('stop() leaves queued entries queued, and a stopped forwarder does not start again', async () => {
    const { upstream, outbox, forwarder } = await forwarderTo(() => ({ status: 200 }));
    await forwarder.stop();
    forwarder.start();
    outbox.enqueue([upstream.url], payload(2).bytes, 2);
    forwarder.notify();
    // Another forwarder on the same outbox proves the entry is still there to deliver.
    const second = new OutboxForwarder({ outbox, url: upstream.url });
    stops.push(() => second.stop());
    second.start();
    await upstream.waitFor(() => upstream.requests.length === 1);
    expect(upstream.requests).toHaveLength(1);
  });
});

describe('OutboxForwarder options and failures', () => {
  it('keeps its defaults when options are passed as undefined (the collector does), and retries', async () => {
    // 503 twice, then 200: with a NaN backoff the first retry failed to persist and forwarding stopped for good.
    const { upstream, outbox, forwarder, attempts } = await forwarderTo((i) => (i < 2 ? { status: 503 } : { status: 200 }), {
      initialBackoffMillis: undefined,
      maxBackoffMillis: undefined,
    });
    const p = payload(2);
    outbox.enqueue([upstream.url], p.bytes, 2);
    forwarder.start();
    await upstream.waitFor(() => upstream.acceptedSpanIds().length === 2);
    await expect.poll(() => attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'delivered']);
    expect(outbox.depth()).toEqual([]);
  });

  it('refuses a bad number with an error naming the option', () => {
    const { outbox } = openOutbox();
    const make = (options: Partial<OutboxForwarderOptions>) => () => new OutboxForwarder({ outbox, url: 'http://x', ...options });
    expect(make({ initialBackoffMillis: Number.NaN })).toThrow('OutboxForwarder: initialBackoffMillis must be a finite number');
    expect(make({ timeoutMillis: 0 })).toThrow('OutboxForwarder: timeoutMillis');
    expect(make({ initialBackoffMillis: 1000, maxBackoffMillis: 10 })).toThrow(
      'OutboxForwarder: maxBackoffMillis must be a finite number from 1000 to 86400000, got 10',
    );
  });

  it('never ends on a failure of its own: the outbox failing is counted as an error and retried', async () => {
    const upstream = await startUpstream();
    const { outbox } = openOutbox();
    let failures = 3;
    const flaky: ForwarderOutbox = {
      dueEntries: (...args) => {
        if (failures-- > 0) throw new Error('SQLITE_BUSY: database is locked');
        return outbox.dueEntries(...args);
      },
      nextAttemptAt: (u) => outbox.nextAttemptAt(u),
      delivered: (id) => outbox.delivered(id),
      retryLater: (...args) => outbox.retryLater(...args),
      deadLetter: (...args) => outbox.deadLetter(...args),
    };
    const attempts: DeliveryAttempt[] = [];
    const forwarder = new OutboxForwarder({
      outbox: flaky,
      url: upstream.url,
      initialBackoffMillis: 5,
      maxBackoffMillis: 20,
      onAttempt: (a) => {
        attempts.push(a);
        throw new Error('a metrics callback that throws must not stop delivery either');
      },
    });
    stops.push(() => forwarder.stop());
    const p = payload(3);
    outbox.enqueue([upstream.url], p.bytes, 3);
    forwarder.start();
    await upstream.waitFor(() => upstream.acceptedSpanIds().length === 3);
    await expect.poll(() => attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'error', 'delivered']);
    expect(attempts[0].error).toContain('SQLITE_BUSY');
    expect(forwarder.health()).toMatchObject({ state: 'delivering', consecutiveFailures: 0, lastError: expect.stringContaining('SQLITE_BUSY') });
  });

  it('reports its health: failing with the cause and the pause, then delivering', async () => {
    const { upstream, outbox, forwarder } = await forwarderTo((i) => (i < 2 ? { status: 502 } : { status: 200 }), {
      initialBackoffMillis: 200,
      maxBackoffMillis: 200,
      random: () => 1,
    });
    expect(forwarder.health()).toMatchObject({ state: 'delivering', consecutiveFailures: 0, lastError: null, pausedUntilMillis: null });
    outbox.enqueue([upstream.url], payload(1).bytes, 1);
    forwarder.start();
    await upstream.waitFor(() => upstream.requests.length === 1);
    await expect.poll(() => forwarder.health().consecutiveFailures).toBe(1);
    const failing = forwarder.health();
    expect(failing).toMatchObject({ state: 'failing', lastError: expect.stringContaining('HTTP 502') });
    expect(failing.pausedUntilMillis).toBeGreaterThan(Date.now());
    await upstream.waitFor(() => upstream.acceptedSpanIds().length === 1);
    await expect.poll(() => forwarder.health().state).toBe('delivering');
    await forwarder.stop();
    expect(forwarder.health().state).toBe('stopped');
  });

  it('names the cause of a network error, not only "fetch failed"', async () => {
    const probe = await startUpstream();
    await probe.close();
    const { outbox } = openOutbox();
    const attempts: DeliveryAttempt[] = [];
    const forwarder = new OutboxForwarder({ outbox, url: probe.url, onAttempt: (a) => attempts.push(a) });
    stops.push(() => forwarder.stop());
    outbox.enqueue([probe.url], payload(1).bytes, 1);
    forwarder.start();
    await expect.poll(() => attempts.length).toBe(1);
    expect(attempts[0]).toMatchObject({ outcome: 'retry', error: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('SqliteOutbox depth', () => {
  it('keeps its in-memory depth equal to a recount from the tables', async () => {
    const { outbox } = openOutbox();
    const a = payload(2);
    const b = payload(5);
    outbox.enqueue(['http://a', 'http://b'], a.bytes, 2);
    outbox.enqueue(['http://a'], b.bytes, 5);
    const [first] = outbox.dueEntries('http://a', 1);
    outbox.delivered(first.id);
    const [dead] = outbox.dueEntries('http://b', 1);
    outbox.deadLetter(dead.id, 400, 'no');
    const live = outbox.depth().map(({ oldestEnqueuedAtMillis: _, ...d }) => d);
    outbox.recount();
    expect(outbox.depth().map(({ oldestEnqueuedAtMillis: _, ...d }) => d)).toEqual(live);
    expect(live).toEqual([{ upstream: 'http://a', entries: 1, spans: 5, bytes: b.bytes.byteLength }]);
    expect(outbox.queuedBytes('http://b')).toBe(0);
  });

  it('survives reopening: the depth is read back from the file', async () => {
    const dir = tempDir();
    const path = join(dir, 'reopen.db');
    const first = new SqliteTraceStore({ path });
    const p = payload(4);
    new SqliteOutbox(first.database).enqueue(['http://a'], p.bytes, 4, { nowMillis: 1234 });
    await first.close();
    const second = new SqliteTraceStore({ path });
    stops.push(() => second.close());
    expect(new SqliteOutbox(second.database).depth()).toEqual([
      { upstream: 'http://a', entries: 1, spans: 4, bytes: p.bytes.byteLength, oldestEnqueuedAtMillis: 1234 },
    ]);
  });
});
