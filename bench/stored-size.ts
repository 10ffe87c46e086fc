/**
 * Bytes a stored span costs, on the benchmark workload (bench/lib/agent-workload.ts)
 * and on the same workload with long texts, so the price of keeping attributes
 * whole (and of a larger `maxTextLength`) is a number:
 *
 *   npx tsx bench/stored-size.ts [--sessions 100] [--long-chars 32768] [--max-text-length 4096] [--tables]
 *
 * - typical: the workload as it is (120–300 characters of content per model call).
 * - long: the same spans, each model call's input message carrying a
 *   `--long-chars` retrieved context and each tool result `--long-chars / 4`
 *   characters (RAG prompts, big tool outputs).
 *
 * For each: the database file after `VACUUM` (WAL checkpointed) per span, and
 * the bytes per span of the columns that hold text (`attributes`, `raw`, the
 * input/output/reasoning text) as SQLite stores them. With `--tables`, where
 * the bytes go: each table and index's pages per span (SQLite's `dbstat`),
 * with how much of them is payload and how much is left unused.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNormalizer } from '../src/model/normalize.js';
import type { RawSpan } from '../src/model/types.js';
import { SqliteTraceStore } from '../src/store/sqlite/sqlite-trace-store.js';
import { sentence, workload } from './lib/agent-workload.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const SESSIONS = option('sessions', 100);
const LONG_CHARS = option('long-chars', 32_768);
const MAX_TEXT_LENGTH = option('max-text-length', 4096);
const TABLES = process.argv.includes('--tables');

function lengthen(spans: RawSpan[]): RawSpan[] {
  return spans.map((span) => {
    const attributes = { ...span.attributes };
    if (attributes['gen_ai.operation.name'] === 'chat') {
      const context = sentence(LONG_CHARS, LONG_CHARS);
      attributes['gen_ai.input.messages'] = JSON.stringify([
        { role: 'system', parts: [{ type: 'text', content: `Context:\n${context}` }] },
        ...(JSON.parse(attributes['gen_ai.input.messages'] as string) as unknown[]),
      ]);
    } else if (attributes['gen_ai.operation.name'] === 'execute_tool') {
      attributes['gen_ai.tool.call.result'] = JSON.stringify({ status: 'ok', rows: sentence(LONG_CHARS / 4, LONG_CHARS / 4) });
    }
    return { ...span, attributes };
  });
}

async function measure(label: string, spans: RawSpan[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skein-size-'));
  const path = join(dir, 'size.db');
  try {
    const normalize = createNormalizer({ maxTextLength: MAX_TEXT_LENGTH });
    const store = new SqliteTraceStore({ path });
    for (let i = 0; i < spans.length; i += 1000) store.writeSync(spans.slice(i, i + 1000).map(normalize));
    const columns = store.database
      .prepare(
        `SELECT sum(length(CAST(attributes AS BLOB))) AS attributes, sum(length(CAST(raw AS BLOB))) AS raw,
           sum(coalesce(length(CAST(input_text AS BLOB)), 0) + coalesce(length(CAST(output_text AS BLOB)), 0)
             + coalesce(length(CAST(reasoning_text AS BLOB)), 0)) AS content
         FROM spans`,
      )
      .get() as { attributes: number; raw: number; content: number };
    store.database.pragma('wal_checkpoint(TRUNCATE)');
    store.database.exec('VACUUM');
    const tables = TABLES
      ? (store.database
          .prepare(`SELECT name, sum(pgsize) AS bytes, sum(payload) AS payload, sum(unused) AS unused FROM dbstat
            GROUP BY name ORDER BY bytes DESC`)
          .all() as Array<{ name: string; bytes: number; payload: number; unused: number }>)
      : [];
    await store.close();
    const file = statSync(path).size;
    const per = (n: number) => Math.round(n / spans.length);
    console.log(
      `${label.padEnd(8)} ${String(spans.length).padStart(6)} spans  file ${String(per(file)).padStart(7)} B/span` +
        `  attributes ${String(per(columns.attributes)).padStart(7)}  raw ${String(per(columns.raw)).padStart(4)}` +
        `  content ${String(per(columns.content)).padStart(6)}`,
    );
    // Every table and index takes a page at least: the empty ones are left out.
    const shown = tables.filter((t) => t.bytes / spans.length >= 3);
    for (const t of shown) {
      console.log(
        `  ${t.name.padEnd(26)} ${String(per(t.bytes)).padStart(6)} B/span  payload ${String(per(t.payload)).padStart(6)}` +
          `  unused ${String(per(t.unused)).padStart(5)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const spans = workload(SESSIONS);
console.log(`maxTextLength ${MAX_TEXT_LENGTH}, long texts ${LONG_CHARS} characters (model-call context) and ${LONG_CHARS / 4} (tool results)`);
await measure('typical', spans);
await measure('long', lengthen(spans));
