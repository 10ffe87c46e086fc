/**
 * The OTLP requests captured from the real coding agents (Claude Code, Codex CLI, Gemini CLI, the OTel
 * OpenAI instrumentation: test/fixtures/agents/) replayed to a real collector over the transport each
 * was sent on (OTLP/HTTP protobuf or JSON, gzip or not; OTLP/gRPC, gzip or not). Every request must be
 * accepted and everything in it stored: the expected numbers are what Skein's decoders read in the
 * fixture itself, not numbers copied from a run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RunningCollector } from '../../src/collector/start-collector.js';
import Database from 'better-sqlite3';
import { ATTR_SKEIN_DERIVED_FROM } from '../../src/model/agents/index.js';
import { createRedactor } from '../../src/model/redaction/redactor.js';
import { decodeTraceRequest } from '../../src/otlp/index.js';
import { SHARED_MIN_LENGTH } from '../../src/store/sqlite/span-values.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import { fixtureCounts, listRequests, listScenarios, replayScenario, requestBodies } from '../fixtures/agents/replay.js';

interface Totals {
  spans: number;
  logRecords: number;
  metricPoints: number;
}

/** Counts the items of a page-by-page listing that `keep` accepts. */
async function countPages<T>(
  list: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  keep: (item: T) => boolean = () => true,
): Promise<number> {
  let total = 0;
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    total += page.items.filter(keep).length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return total;
}

/**
 * Every span that arrived, log record and metric point the store holds, read through its own API.
 * Steps Skein derives from an agent's log events (marked `skein.derived_from`) did not arrive: left out.
 */
async function storedTotals(store: TraceStore): Promise<Totals> {
  return {
    spans: await countPages((cursor) => store.getSpans({ limit: 1000, cursor }), (s) => s.raw.attributes[ATTR_SKEIN_DERIVED_FROM] === undefined),
    logRecords: await countPages((cursor) => store.listLogs({ limit: 1000, cursor })),
    metricPoints: await countPages((cursor) => store.listMetricPoints({ limit: 1000, cursor })),
  };
}

const scenarios = listScenarios();

describe('the fixtures themselves', () => {
  it('hold every program, on both transports (gzipped and not), each scenario with requests in capture order', () => {
    expect(new Set(scenarios.map((s) => s.program))).toEqual(new Set(['claude-code', 'codex', 'gemini-cli', 'sdk-otel-openai']));
    const all = scenarios.flatMap((s) => listRequests(s.dir));
    expect(new Set(all.map((r) => r.transport))).toEqual(new Set(['http', 'grpc']));
    expect(new Set(all.map((r) => r.format))).toEqual(new Set(['protobuf', 'json']));
    expect(all.some((r) => r.transport === 'grpc' && r.contentEncoding === 'gzip')).toBe(true);
    expect(all.some((r) => r.transport === 'http' && r.contentEncoding === 'gzip')).toBe(true);
    for (const scenario of scenarios) {
      const times = listRequests(scenario.dir).map((r) => r.receivedAt);
      expect(times.length, scenario.dir).toBeGreaterThan(0);
      expect(times, scenario.dir).toEqual([...times].sort());
    }
  });
});

describe('captures from the real agents, replayed to a collector', () => {
  let dir: string;
  let collector: RunningCollector;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-agent-fixtures-'));
    collector = await startCollector({ dbPath: join(dir, 'agents.db'), port: 0, grpcPort: 0 });
  });
  afterAll(async () => {
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(scenarios)('$program/$scenario: every request is accepted and every item in it stored', async ({ dir: scenarioDir }) => {
    const requests = listRequests(scenarioDir);
    const expected = fixtureCounts(requests);
    // Skein's decoders read the real programs' output whole.
    expect(expected.rejected).toBe(0);
    expect(expected.spans + expected.logRecords + expected.metricPoints).toBeGreaterThan(0);

    const before = await storedTotals(collector.store);
    const answers = await replayScenario(scenarioDir, { httpUrl: collector.url, grpcPort: collector.grpcPort });
    expect(answers.map((a) => ({ file: a.file, status: a.httpStatus, grpc: a.grpcCodes.every((code) => code === 0) }))).toEqual(
      requests.map((r) => ({ file: r.file, status: 200, grpc: true })),
    );
    const after = await storedTotals(collector.store);
    expect({
      spans: after.spans - before.spans,
      logRecords: after.logRecords - before.logRecords,
      metricPoints: after.metricPoints - before.metricPoints,
    }).toEqual({ spans: expected.spans, logRecords: expected.logRecords, metricPoints: expected.metricPoints });
  });

  it('the long values an agent repeats on every call (Gemini CLI: system instructions, tool definitions) read back whole, stored once', async () => {
    // Every long string attribute the captures hold, as redaction leaves it, by span and key.
    const redactor = createRedactor();
    const expected = new Map<string, string>();
    for (const scenario of scenarios) {
      for (const request of listRequests(scenario.dir).filter((r) => r.signal === 'traces')) {
        for (const body of requestBodies(request)) {
          for (const span of decodeTraceRequest(body, request.format).spans) {
            for (const [key, value] of Object.entries(span.attributes)) {
              if (typeof value === 'string' && value.length >= SHARED_MIN_LENGTH) {
                expected.set(`${span.traceId}/${span.spanId} ${key}`, redactor.redactText(value).text);
              }
            }
          }
        }
      }
    }
    expect(expected.size).toBeGreaterThan(2);
    const stored = new Map<string, unknown>();
    let cursor: string | undefined;
    do {
      const page = await collector.store.getSpans({ limit: 1000, cursor });
      for (const span of page.items) {
        for (const [key, value] of Object.entries(span.raw.attributes)) stored.set(`${span.traceId}/${span.spanId} ${key}`, value);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    for (const [where, value] of expected) expect(stored.get(where), where).toBe(value);
    // Fewer stored values than spans carrying them: the repeats are kept once.
    const db = new Database(join(dir, 'agents.db'), { readonly: true });
    try {
      const values = (db.prepare('SELECT count(*) AS n FROM span_values').get() as { n: number }).n;
      expect(values).toBeGreaterThan(0);
      expect(values).toBeLessThanOrEqual(new Set(expected.values()).size);
      expect(values).toBeLessThan(expected.size);
    } finally {
      db.close();
    }
  });
});
