/**
 * Bytes on disk per stored log record, on Claude Code-like events (10
 * resource attributes, ~12 attributes, a 500-character body, 50 records per
 * request, 20 sessions). Not a test: run it by hand.
 *
 *   npx tsx test/store/measure-log-bytes.ts [records] [page size]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { RawLogRecord } from '../../src/model/log-types.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';

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

const words = ('the agent reads src/index.ts then edits the failing test, runs npm test and explains why the ' +
  'assertion about nanosecond timestamps failed; it proposes a fix using BigInt arithmetic').split(' ');
let seed = 1;
const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const text = (n: number) => {
  let s = '';
  while (s.length < n) s += `${words[Math.floor(random() * words.length)]} `;
  return s.slice(0, n);
};
const events = ['user_prompt', 'api_request', 'tool_result', 'tool_decision', 'api_error'];
const sessions = Array.from({ length: 20 }, () => randomUUID());
let time = 1_765_000_000_000_000_000n;
let writeNanos = 0n;
const perRequest = 50;
for (let done = 0; done < total; done += perRequest) {
  // A new request: new resource and scope objects, equal content.
  const resource = {
    attributes: {
      'service.name': 'claude-code', 'service.version': '2.0.14', 'os.type': 'linux', 'os.version': '6.8.0-45-generic',
      'host.arch': 'amd64', 'host.name': 'dev-box-01', 'process.pid': 41234, 'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.language': 'nodejs', 'telemetry.sdk.version': '2.0.1',
    },
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
  const scope = { name: 'com.anthropic.claude_code.events', version: '2.0.14', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
  const session = sessions[(done / perRequest) % sessions.length];
  const batch: RawLogRecord[] = [];
  for (let i = 0; i < perRequest; i++) {
    time += 1_234_567n;
    const event = events[Math.floor(random() * events.length)];
    batch.push({
      timeUnixNano: time,
      observedTimeUnixNano: time + 1_000_000n,
      severityNumber: 9,
      severityText: 'INFO',
      body: text(500),
      attributes: {
        'event.name': event, 'event.timestamp': new Date(Number(time / 1_000_000n)).toISOString(), 'session.id': session,
        'user.id': 'a3f1c9e2b7d4a3f1c9e2b7d4a3f1c9e2b7d4a3f1c9e2b7d4a3f1c9e2b7d4a3f1',
        'organization.id': '6f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b', 'user.email': 'dev@example.com', 'terminal.type': 'vscode',
        model: 'claude-sonnet-4-5-20250929', cost_usd: random() * 0.1, input_tokens: Math.floor(random() * 20000),
        output_tokens: Math.floor(random() * 2000), duration_ms: Math.floor(random() * 9000),
      },
      droppedAttributesCount: 0,
      flags: 0,
      traceId: null,
      spanId: null,
      eventName: `claude_code.${event}`,
      resource,
      scope,
    });
  }
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
  `100 of one event name: ${await timings(() => store.listLogs({ eventName: 'claude_code.api_error', limit: 100 }))}`,
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
