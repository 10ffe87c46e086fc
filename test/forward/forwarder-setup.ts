/**
 * What the forwarder tests set up: an outbox in a SQLite file of its own and
 * an OutboxForwarder on it with fast backoff that records its attempts. What a
 * test opens is stopped after it, latest first, then the temp folders go.
 */
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { OutboxForwarder } from '../../src/forward/outbox-forwarder.js';
import type { DeliveryAttempt, OutboxForwarderOptions } from '../../src/forward/outbox-forwarder.js';
import { SqliteOutbox } from '../../src/store/sqlite/sqlite-outbox.js';
import { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { cleanup, tempDir } from '../cli/serve/helpers.js';
import type { Payload } from './upstreams.js';

/** Registers the calling test file's clean-up; `stops` takes anything else a test opens (an upstream). */
export function useForwarderSetup() {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await cleanup();
  });

  function openOutbox() {
    const store = new SqliteTraceStore({ path: join(tempDir(), 'outbox.db') });
    stops.push(() => store.close());
    return { store, outbox: new SqliteOutbox(store.database) };
  }

  /** A forwarder (not started) on `outbox` to `url`, 5 ms backoff up to 20 ms unless the options say otherwise; `enqueue` queues a payload for it. */
  function fastForwarder(outbox: SqliteOutbox, url: string, options: Partial<OutboxForwarderOptions> = {}) {
    const attempts: DeliveryAttempt[] = [];
    const forwarder = new OutboxForwarder({
      outbox,
      url,
      initialBackoffMillis: 5,
      maxBackoffMillis: 20,
      onAttempt: (a) => attempts.push(a),
      ...options,
    });
    stops.push(() => forwarder.stop());
    const enqueue = (p: Payload) => outbox.enqueue([url], p.bytes, p.items.length, { signal: p.signal });
    return { forwarder, attempts, enqueue };
  }

  return { stops, openOutbox, fastForwarder };
}
