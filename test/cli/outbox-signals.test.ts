import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutboxSignalCount } from '../../src/store/sqlite/sqlite-outbox.js';
import { SqliteOutbox } from '../../src/store/sqlite/sqlite-outbox.js';
import { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { payloadOf } from '../forward/upstreams.js';
import type { Payload } from '../forward/upstreams.js';
import { cli } from './run.js';
import { cleanup, tempDir } from './serve/helpers.js';

const UP = 'http://otel-collector.example:4318';
const GRPC = 'collector.example:4317';

let db: string[];
let logsDead: { id: number; payload: Payload };
let metricsDead: { id: number; payload: Payload };

afterEach(() => cleanup());

/**
 * UP has a logs request (3 records) and a traces request (2 spans) queued and
 * a refused metrics request (2 points); GRPC a refused logs request (2 records).
 */
beforeEach(async () => {
  const dbPath = join(tempDir(), 'skein.db');
  const store = new SqliteTraceStore({ path: dbPath });
  const outbox = new SqliteOutbox(store.database);
  const kill = (upstream: string, payload: Payload, status: number, answer: string) => {
    outbox.enqueue([upstream], payload.bytes, payload.items.length, { signal: payload.signal });
    outbox.deadLetter(outbox.dueEntries(upstream, 100).at(-1)!.id, status, answer);
    return { id: outbox.listDeadLetters({ upstream, limit: 1 })[0].id, payload };
  };
  metricsDead = kill(UP, payloadOf('metrics', 2), 400, 'HTTP 400: bad metric');
  logsDead = kill(GRPC, payloadOf('logs', 2), 3, 'gRPC INVALID_ARGUMENT (3): bad severity');
  outbox.enqueue([UP], payloadOf('logs', 3).bytes, 3, { signal: 'logs' });
  outbox.enqueue([UP], payloadOf('traces', 2).bytes, 2);
  await store.close();
  db = ['--db', dbPath];
});

describe('skein outbox with logs and metrics queued', () => {
  it('list counts items and shows the requests per signal; --json adds the counts by signal', async () => {
    const { code, stdout } = await cli(['outbox', ...db]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^UPSTREAM\s+QUEUED\s+ITEMS\s+BYTES\s+OLDEST\s+DEAD\s+SIGNALS$/);
    expect(lines.find((l) => l.startsWith(UP))).toMatch(/\s2\s+5\s+.*\s1\s+logs 1 · metrics 1 · traces 1$/);
    expect(lines.find((l) => l.startsWith(GRPC))).toMatch(/\s1\s+logs 1$/);
    const json = JSON.parse((await cli(['outbox', '--json', ...db])).stdout) as { bySignal: OutboxSignalCount[] };
    expect(json.bySignal).toEqual([
      { upstream: GRPC, signal: 'logs', entries: 0, items: 0, deadLetters: 1, deadItems: 2 },
      { upstream: UP, signal: 'logs', entries: 1, items: 3, deadLetters: 0, deadItems: 0 },
      { upstream: UP, signal: 'metrics', entries: 0, items: 0, deadLetters: 1, deadItems: 2 },
      { upstream: UP, signal: 'traces', entries: 1, items: 2, deadLetters: 0, deadItems: 0 },
    ]);
  });

  it('dead shows the signal of each dead letter, and the gRPC status', async () => {
    const { code, stdout } = await cli(['outbox', 'dead', ...db]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\s*ID\s+UPSTREAM\s+SIGNAL\s+ITEMS\s+ATTEMPTS\s+FAILED\s+STATUS\s+ANSWER$/);
    expect(lines[1]).toMatch(new RegExp(`^\\s*${logsDead.id}\\s+${GRPC}\\s+logs\\s+2\\s+1\\s.*\\s3\\s+gRPC INVALID_ARGUMENT \\(3\\): bad severity$`));
    expect(lines[2]).toMatch(new RegExp(`^\\s*${metricsDead.id}\\s+${UP}\\s+metrics\\s+2\\s`));
    const json = JSON.parse((await cli(['outbox', 'dead', '--json', ...db])).stdout) as { deadLetters: Array<{ signal: string }> };
    expect(json.deadLetters.map((d) => d.signal)).toEqual(['logs', 'metrics']);
  });

  it('show names the signal and lists the log records or metrics of the payload', async () => {
    const logs = await cli(['outbox', 'show', String(logsDead.id), ...db]);
    expect(logs.stderr).toBe('');
    expect(logs.stdout).toContain(`upstream   ${GRPC}\nsignal     logs\nitems      2 log records (`);
    expect(logs.stdout).toMatch(/status {5}3\n/);
    for (const body of logsDead.payload.items) expect(logs.stdout).toMatch(new RegExp(`\\n  \\d{4}-.*  ${body}\\n`));

    const metrics = await cli(['outbox', 'show', String(metricsDead.id), '--json', ...db]);
    const parsed = JSON.parse(metrics.stdout) as { signal: string; spans: unknown; items: Array<{ id: string; name: string }> };
    expect(parsed.signal).toBe('metrics');
    expect(parsed.spans).toBeNull();
    expect(parsed.items.map((i) => i.name)).toEqual(metricsDead.payload.items.map((name) => `${name} (1 point)`));
  });

  it('replay names the items by signal, and drop counts items, not spans', async () => {
    const replayed = await cli(['outbox', 'replay', '--all', ...db]);
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toContain(`replayed 1 dead letter (2 metric data points) into the queue for ${UP}: ${metricsDead.id}\n`);
    expect(replayed.stdout).toContain(`replayed 1 dead letter (2 log records) into the queue for ${GRPC}: ${logsDead.id}\n`);
    const dropped = await cli(['outbox', 'drop', UP, '--yes', ...db]);
    expect(dropped.stdout).toMatch(new RegExp(`^dropped 3 queued requests \\(7 items, [\\d.]+ (B|KiB)\\) for ${UP}\\n$`));
  });
});
