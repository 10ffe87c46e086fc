/**
 * Bytes on disk per span with real text: the spans the real agents sent
 * (test/fixtures/agents/: Claude Code, Codex CLI, Gemini CLI, the OTel OpenAI
 * instrumentation), not the bench vocabulary of bench/lib/agent-workload.ts.
 *
 *   npx tsx bench/real-text-size.ts [--spans 5000] [--json]
 *
 * Each program's captured spans (every scenario) are committed again and
 * again, each copy under fresh trace ids, until `--spans` are stored,
 * through the commit `skein serve` runs (redaction, normalization, agent
 * enrichment; 100 spans per commit); then the file, checkpointed and
 * vacuumed, over the spans. The captures are short sessions, so a program's
 * system prompts and tool definitions weigh as they do in real use: once
 * per model call.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngest, resolveIngestSettings } from '../src/ingest/ingest-settings.js';
import { createIngestCommit } from '../src/ingest/ingest-commit.js';
import type { RawSpan } from '../src/model/types.js';
import { decodeTraceRequest } from '../src/otlp/index.js';
import { SqliteTraceStore } from '../src/store/sqlite/sqlite-trace-store.js';
import { listRequests, listScenarios, requestBodies } from '../test/fixtures/agents/replay.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const SPANS = option('spans', 5000);
const PER_COMMIT = 100;

export interface RealTextSize {
  program: string;
  spans: number;
  bytesPerSpan: number;
  /** Input, output and reasoning text the spans hold, per span (UTF-8 bytes). */
  contentBytesPerSpan: number;
}

function capturedSpans(): Map<string, RawSpan[]> {
  const byProgram = new Map<string, RawSpan[]>();
  for (const { program, dir } of listScenarios()) {
    for (const request of listRequests(dir)) {
      if (request.signal !== 'traces') continue;
      for (const body of requestBodies(request)) {
        const spans = byProgram.get(program) ?? [];
        spans.push(...decodeTraceRequest(body, request.format).spans);
        byProgram.set(program, spans);
      }
    }
  }
  return byProgram;
}

/** Copy `n` of a trace id: distinct per copy, stable across runs. */
function copyTraceId(traceId: string, n: number): string {
  return createHash('sha256').update(`${traceId}/${n}`).digest('hex').slice(0, 32);
}

function measure(program: string, captured: readonly RawSpan[]): RealTextSize {
  const dir = mkdtempSync(join(tmpdir(), 'skein-real-size-'));
  const path = join(dir, 'real.db');
  try {
    const store = new SqliteTraceStore({ path });
    const commit = createIngestCommit({ store, ingest: createIngest(resolveIngestSettings({})) });
    let pending: RawSpan[] = [];
    for (let copy = 0, written = 0; written < SPANS; copy++) {
      for (const span of captured) {
        if (written++ >= SPANS) break;
        pending.push({ ...span, traceId: copyTraceId(span.traceId, copy) });
        if (pending.length === PER_COMMIT) {
          commit(pending);
          pending = [];
        }
      }
    }
    if (pending.length > 0) commit(pending);
    const { spans, content } = store.database
      .prepare(
        `SELECT count(*) AS spans, sum(coalesce(length(CAST(input_text AS BLOB)), 0)
           + coalesce(length(CAST(output_text AS BLOB)), 0) + coalesce(length(CAST(reasoning_text AS BLOB)), 0)) AS content
         FROM spans`,
      )
      .get() as { spans: number; content: number };
    store.database.pragma('wal_checkpoint(TRUNCATE)');
    store.database.exec('VACUUM');
    store.closeSync();
    return { program, spans, bytesPerSpan: statSync(path).size / spans, contentBytesPerSpan: content / spans };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: RealTextSize[] = [];
for (const [program, spans] of capturedSpans()) {
  if (spans.length === 0) continue;
  results.push(measure(program, spans));
}
console.log(`Bytes per span with the real agents' text (${SPANS} spans each, captured spans replayed under fresh trace ids)\n`);
console.log('| program | spans stored | bytes/span | of which content text |');
console.log('|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.program} | ${r.spans} | ${r.bytesPerSpan.toFixed(0)} | ${r.contentBytesPerSpan.toFixed(0)} |`);
}
if (process.argv.includes('--json')) console.log(`RESULT ${JSON.stringify({ spans: SPANS, results })}`);
