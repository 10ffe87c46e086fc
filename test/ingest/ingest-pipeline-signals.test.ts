/**
 * The one pipeline takes every signal: spans, log records and metrics of
 * concurrent requests share one group commit, on the writer thread (a real
 * file) or on this thread (`:memory:`), through the same redaction and keep
 * filter, stored and queued for each upstream (one payload per signal) in
 * the same transaction. Real SQLite, real worker thread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createIngestPipeline } from '../../src/ingest/ingest-pipeline.js';
import type { IngestPipeline } from '../../src/ingest/ingest-pipeline.js';
import type { CommitOutcome } from '../../src/ingest/ingest-commit.js';
import { resolveIngestSettings } from '../../src/ingest/ingest-settings.js';
import type { IngestStoreMode } from '../../src/ingest/ingest-settings.js';
import { decodeLogsRequest, decodeMetricsRequest, decodeTraceRequest } from '../../src/otlp/index.js';
import { openWritableStore } from '../../src/store/sqlite/database-file.js';
import { SqliteOutbox } from '../../src/store/sqlite/sqlite-outbox.js';
import type { SqliteTraceStore } from '../../src/store/sqlite/sqlite-trace-store.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { makeRawLog, makeRawSum } from './raw-signals.js';

const UPSTREAM = 'http://upstream.example:4318';
const SECRET = 'sk-proj-' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function open(where: 'file' | 'memory', storeMode: IngestStoreMode = 'all') {
  let dbPath = ':memory:';
  if (where === 'file') {
    const dir = mkdtempSync(join(tmpdir(), 'skein-pipeline-signals-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    dbPath = join(dir, 'skein.db');
  }
  const store: SqliteTraceStore = openWritableStore({ path: dbPath });
  cleanups.push(() => store.close());
  const outbox = new SqliteOutbox(store.database);
  const outcomes: CommitOutcome[] = [];
  const pipeline: IngestPipeline = createIngestPipeline({
    dbPath,
    store,
    outbox,
    settings: resolveIngestSettings({ upstreams: [UPSTREAM], storeMode }),
    afterCommit: (outcome) => outcomes.push(outcome),
  });
  cleanups.push(() => pipeline.close());
  return { store, outbox, pipeline, outcomes };
}

describe.each(['file', 'memory'] as const)('the ingest pipeline with every signal (%s)', (where) => {
  it('commits concurrent spans, log records and metrics together, stored and queued per signal, secrets redacted', async () => {
    const { store, outbox, pipeline, outcomes } = open(where);
    const span = makeRawSpan();
    const log = makeRawLog({ body: `my key is ${SECRET}`, traceId: span.traceId, spanId: span.spanId });
    const metric = makeRawSum(3);
    expect(pipeline.pending).toBe(0);
    const all = Promise.all([pipeline.ingest([span]), pipeline.ingestLogs([log, makeRawLog()]), pipeline.ingestMetrics([metric])]);
    expect(pipeline.pending).toBe(1 + 2 + 3);
    await all;
    expect(pipeline.pending).toBe(0);

    // One commit for the three requests.
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0].enqueued.map(({ signal, count }) => [signal, count])).toEqual([['traces', 1], ['logs', 2], ['metrics', 3]]);

    const logs = (await store.listLogs({})).items;
    expect(logs).toHaveLength(2);
    const stored = logs.find((r) => r.spanId === span.spanId);
    expect(String(stored?.body)).not.toContain(SECRET);
    expect(String(stored?.body)).toContain('my key is');
    expect(stored?.sessionId).toBe('sess-1');
    const points = (await store.listMetricPoints({ name: 'gen_ai.client.token.usage' })).items;
    expect(points.map((p) => p.value)).toEqual([100n, 101n, 102n]);
    expect((await store.getSpans({ limit: 10 })).items.map((s) => s.spanId)).toEqual([span.spanId]);

    // Queued in the same commit, one payload per signal, each decodable, the log's secret redacted there too.
    const entries = outbox.dueEntries(UPSTREAM, 10);
    expect(entries.map((e) => [e.signal, e.spanCount])).toEqual([['traces', 1], ['logs', 2], ['metrics', 3]]);
    const [traces, logsEntry, metricsEntry] = entries;
    expect(decodeTraceRequest(traces.payload, 'protobuf').spans.map((s) => s.spanId)).toEqual([span.spanId]);
    const forwarded = decodeLogsRequest(logsEntry.payload, 'protobuf').records;
    expect(forwarded).toHaveLength(2);
    expect(JSON.stringify(forwarded.map((r) => r.body))).not.toContain(SECRET);
    expect(decodeMetricsRequest(metricsEntry.payload, 'protobuf').dataPoints).toBe(3);
    // The outbox bound counts what the writer thread queued through its own connection too.
    expect(outbox.depth()).toEqual([
      expect.objectContaining({ upstream: UPSTREAM, entries: 3, spans: 6, bytes: entries.reduce((n, e) => n + e.payload.byteLength, 0) }),
    ]);
  });

  it('--store genai keeps GenAI log records and metrics only, and forwards everything', async () => {
    const { store, outbox, pipeline } = open(where, 'genai');
    const plainLog = makeRawLog({ eventName: '', attributes: { 'http.route': '/health' }, body: 'GET /health 200' });
    const genaiLog = makeRawLog();
    const plainMetric = makeRawSum(1, { name: 'http.server.request.duration' });
    await Promise.all([pipeline.ingestLogs([plainLog, genaiLog]), pipeline.ingestMetrics([plainMetric, makeRawSum(1)])]);
    expect((await store.listLogs({})).items.map((r) => r.eventName)).toEqual(['gen_ai.user.message']);
    expect((await store.listMetricPoints({})).items.map((p) => p.name)).toEqual(['gen_ai.client.token.usage']);
    const entries = outbox.dueEntries(UPSTREAM, 10);
    expect(entries.map((e) => [e.signal, e.spanCount])).toEqual([['logs', 2], ['metrics', 2]]);
  });
});
