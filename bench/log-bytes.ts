/**
 * Bytes on disk per stored log record, on Claude Code-like events (10
 * resource attributes, ~12 attributes, a 500-character body, 50 records per
 * request, 20 sessions; bench/lib/agent-events.ts), written straight into
 * the store (no ingest). Run by hand:
 *
 *   npx tsx bench/log-bytes.ts [records] [page size]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteTraceStore } from '../src/store/sqlite/index.js';
import { agentEventsRequest } from './lib/agent-events.js';

const total = Number(process.argv[2] ?? 50_000);
const pageSize = Number(process.argv[3] ?? 0);
const dir = mkdtempSync(join(tmpdir(), 'skein-log-bytes-'));
const path = join(dir, 'skein.db');
if (pageSize > 0) {
  const db = new Database(path);
  db.pragma(`page_size = ${pageSize}`);
  db.exec('VACUUM');
  db.close();
}
const store = new SqliteTraceStore({ path });

const sessions = Array.from({ length: 20 }, () => randomUUID());
let writeNanos = 0n;
const perRequest = 50;
for (let done = 0; done < total; done += perRequest) {
  const session = sessions[(done / perRequest) % sessions.length];
  const batch = agentEventsRequest({ sessionId: session, count: perRequest, startUnixNano: 1_765_000_000_000_000_000n + BigInt(done) * 10_000_000_000n });
  const started = process.hrtime.bigint();
  store.transaction(() => store.writeLogsSync(batch));
  writeNanos += process.hrtime.bigint() - started;
}
const timings = async (query: () => Promise<unknown>) => {
  const ms: number[] = [];
  for (let i = 0; i < 200; i++) {
    const started = process.hrtime.bigint();
    await query();
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return `p50 ${ms[100].toFixed(2)} ms, p99 ${ms[198].toFixed(2)} ms`;
};
const reads = [
  `a session's first 100 records: ${await timings(() => store.listLogs({ sessionId: sessions[3], limit: 100 }))}`,
  `100 of one event name: ${await timings(() => store.listLogs({ eventName: 'claude_code.tool_decision', limit: 100 }))}`,
];
const db = store.database;
db.pragma('wal_checkpoint(TRUNCATE)');
const tables = db
  .prepare(`SELECT name, SUM(pgsize) AS bytes, SUM(payload) AS payload, SUM(unused) AS unused FROM dbstat
    WHERE name LIKE 'log_records%' OR name IN ('changes', 'changes_session') GROUP BY name ORDER BY bytes DESC`)
  .all() as Array<{ name: string; bytes: number; payload: number; unused: number }>;
const text_ = db.prepare('SELECT AVG(LENGTH(body)) AS body, AVG(LENGTH(attributes)) AS attributes FROM log_records').get();
const actualPageSize = db.pragma('page_size', { simple: true });
await store.close();
const size = statSync(path).size;
const per = (n: number) => (n / total).toFixed(0);
console.log(`${total} records, page_size ${String(actualPageSize)}: file ${per(size)} B/record (change feed included)`);
const seconds = Number(writeNanos) / 1e9;
console.log(`  writes: ${(total / seconds).toFixed(0)} records/s (${((seconds * 1e6) / total).toFixed(1)} µs/record, ${perRequest} a transaction)`);
for (const t of tables) console.log(`  ${t.name}: ${per(t.bytes)} B/record (payload ${per(t.payload)}, unused ${per(t.unused)})`);
console.log('  average text per record (body, attribute values):', text_);
for (const line of reads) console.log(`  listLogs, ${line}`);
rmSync(dir, { recursive: true, force: true });
