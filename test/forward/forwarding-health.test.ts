import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ForwardingHealth, describeLeftovers } from '../../src/forward/forwarding-health.js';
import type { ForwardingGauge } from '../../src/forward/forwarding-health.js';
import { OutboxForwarder } from '../../src/forward/outbox-forwarder.js';
import { SqliteOutbox } from '../../src/store/sqlite/sqlite-outbox.js';
import { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { cleanup, startUpstream, tempDir } from '../cli/serve/helpers.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await cleanup();
});

const CONFIGURED = 'http://configured:4318';
const GONE = 'http://gone:4318';

/** An outbox with queues for a configured upstream and a no-longer-configured one; the forwarder is not started. */
function setUp(maxOutboxBytes: number) {
  const store = new SqliteTraceStore({ path: join(tempDir(), 'health.db') });
  stops.push(() => store.close());
  const outbox = new SqliteOutbox(store.database);
  const forwarder = new OutboxForwarder({ outbox, url: CONFIGURED });
  stops.push(() => forwarder.stop());
  const enqueuedAt = Date.now() - 10_000;
  outbox.enqueue([CONFIGURED, GONE], new Uint8Array(100), 3, { nowMillis: enqueuedAt });
  outbox.enqueue([CONFIGURED], new Uint8Array(50), 2, { nowMillis: enqueuedAt + 1 });
  return { outbox, forwarder, health: new ForwardingHealth(outbox, [forwarder], maxOutboxBytes) };
}

function read(gauges: ForwardingGauge[], name: string) {
  const gauge = gauges.find((g) => g.name === name);
  if (!gauge) throw new Error(`no gauge ${name}`);
  return gauge.read();
}

describe('ForwardingHealth', () => {
  it('shows each configured upstream with its queue, and whether it is full', () => {
    const { health } = setUp(150);
    expect(health.upstreams()).toEqual([
      {
        upstream: CONFIGURED,
        state: 'delivering',
        consecutiveFailures: 0,
        lastError: null,
        queuedEntries: 2,
        queuedSpans: 5,
        queuedBytes: 150,
        lastErrorAgeSeconds: null,
        pausedForSeconds: null,
        full: true,
      },
    ]);
    expect(health.fullUpstream()).toBe(CONFIGURED);
    expect(setUp(151).health.fullUpstream()).toBeUndefined();
  });

  it('lists queues and dead letters of upstreams nobody forwards to now', () => {
    const { outbox, health } = setUp(1_000);
    const [gone] = outbox.dueEntries(GONE, 1);
    outbox.enqueue([GONE], new Uint8Array(10), 1);
    outbox.deadLetter(gone.id, 400, 'HTTP 400: no');
    expect(health.leftovers()).toEqual([{ upstream: GONE, entries: 1, spans: 1, deadLetters: 1 }]);
    expect(describeLeftovers(health.leftovers())).toContain(`${GONE}: 1 queued request (1 span), 1 dead letter`);
    expect(describeLeftovers([])).toBeNull();
  });

  it('gives its gauges as plain data, one series per configured upstream, read when scraped', () => {
    const { outbox, health } = setUp(1_000);
    const gauges = health.gauges();
    expect(gauges.map((g) => g.name)).toEqual([
      'skein_outbox_entries',
      'skein_outbox_spans',
      'skein_outbox_bytes',
      'skein_outbox_oldest_age_seconds',
      'skein_outbox_dead_letters',
      'skein_forward_consecutive_failures',
      'skein_forward_last_error_age_seconds',
      'skein_forward_paused_until_timestamp_seconds',
      'skein_outbox_unconfigured_entries',
    ]);
    const labels = { upstream: CONFIGURED };
    expect(read(gauges, 'skein_outbox_entries')).toEqual([{ labels, value: 2 }]);
    expect(read(gauges, 'skein_outbox_spans')).toEqual([{ labels, value: 5 }]);
    expect(read(gauges, 'skein_outbox_bytes')).toEqual([{ labels, value: 150 }]);
    expect(read(gauges, 'skein_outbox_oldest_age_seconds')[0].value).toBeGreaterThanOrEqual(10);
    expect(read(gauges, 'skein_outbox_dead_letters')).toEqual([{ labels, value: 0 }]);
    expect(read(gauges, 'skein_forward_consecutive_failures')).toEqual([{ labels, value: 0 }]);
    // No series before the first failure.
    expect(read(gauges, 'skein_forward_last_error_age_seconds')).toEqual([]);
    expect(read(gauges, 'skein_forward_paused_until_timestamp_seconds')).toEqual([{ labels, value: 0 }]);
    expect(read(gauges, 'skein_outbox_unconfigured_entries')).toEqual([{ labels: { upstream: GONE }, value: 1 }]);
    // Read at scrape time, not when registered.
    outbox.enqueue([CONFIGURED], new Uint8Array(1), 1);
    expect(read(gauges, 'skein_outbox_entries')).toEqual([{ labels, value: 3 }]);
  });

  it('reports a failing forwarder in its upstream entry and its gauges', async () => {
    const upstream = await startUpstream(() => ({ status: 503, headers: { 'retry-after': '60' } }));
    const store = new SqliteTraceStore({ path: join(tempDir(), 'failing.db') });
    stops.push(() => store.close());
    const outbox = new SqliteOutbox(store.database);
    const forwarder = new OutboxForwarder({ outbox, url: upstream.url });
    stops.push(() => forwarder.stop());
    const health = new ForwardingHealth(outbox, [forwarder], 1_000_000);
    outbox.enqueue([upstream.url], new Uint8Array(10), 1);
    forwarder.start();
    await expect.poll(() => health.upstreams()[0].consecutiveFailures).toBe(1);
    const [entry] = health.upstreams();
    expect(entry).toMatchObject({ state: 'failing', queuedEntries: 1 });
    expect(entry.lastError).toContain('HTTP 503');
    expect(entry.pausedForSeconds).toBeGreaterThan(50);
    const gauges = health.gauges();
    expect(read(gauges, 'skein_forward_consecutive_failures')).toEqual([{ labels: { upstream: upstream.url }, value: 1 }]);
    expect(read(gauges, 'skein_forward_last_error_age_seconds')).toHaveLength(1);
    expect(read(gauges, 'skein_forward_paused_until_timestamp_seconds')[0].value).toBeGreaterThan(Date.now() / 1000 + 50);
  });
});
