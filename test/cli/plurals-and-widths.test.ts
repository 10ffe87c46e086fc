import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeLeftovers } from '../../src/forward/forwarding-health.js';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { ALPHA, BETA, seedStore, tempDir } from '../server/query-api/seed.js';
import type { Seeded } from '../server/query-api/seed.js';
import { runCli } from '../../src/cli/run-cli.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { SqliteOutbox } from '../../src/store/sqlite/sqlite-outbox.js';
import { makeLlmRecord, makeRecord, opened } from '../helpers/records.js';
import { Capture, cli } from './run.js';

let seeded: Seeded;
let work: { dir: string; cleanup(): void };
const LONG_ID = `long-${'x'.repeat(295)}`;

beforeAll(async () => {
  seeded = await seedStore();
  work = tempDir('skein-widths-');
});
afterAll(() => {
  seeded.cleanup();
  work.cleanup();
});

function chat(sessionId: string) {
  return makeRawSpan({ attributes: { 'gen_ai.conversation.id': sessionId, 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' } });
}

describe('counts of one are singular', () => {
  it('skein show: 1 error, 1 model call', async () => {
    const alpha = (await cli(['show', ALPHA.sessionId, '--db', seeded.dbPath])).stdout;
    expect(alpha).toMatch(/· 1 error$/m);
    const beta = (await cli(['show', BETA.sessionId, '--db', seeded.dbPath])).stdout;
    expect(beta).toContain('· 1 model call ·');
    expect(beta).not.toMatch(/\b1 (errors|model calls|steps|tool calls)\b/);
  });

  it('skein import: 1 span', async () => {
    const file = join(work.dir, 'one.otlp.json');
    writeFileSync(file, encodeTraceRequest([chat('one-span')], 'json'));
    const { code, stdout } = await cli(['import', file, '--db', join(work.dir, 'one.db')]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${file}: 1 span (otlp-json)\nimported 1 span from 1 file\n`);
  });
});

describe('redacted values', () => {
  it('skein show counts them in its summary and in --json', async () => {
    const db = join(work.dir, 'redacted.db');
    const store = new SqliteTraceStore({ path: db });
    try {
      const record = makeLlmRecord({ sessionId: 'secretive' });
      record.counts.redacted = 1;
      store.writeSync([record, makeLlmRecord({ sessionId: 'plain' })]);
    } finally {
      store.closeSync();
    }
    expect((await cli(['show', 'secretive', '--db', db])).stdout).toMatch(/· 1 value redacted$/m);
    expect((await cli(['show', 'plain', '--db', db])).stdout).not.toContain('redacted');
    const json = JSON.parse((await cli(['show', 'secretive', '--json', '--db', db])).stdout) as { session: { redactedCount: number } };
    expect(json.session.redactedCount).toBe(1);
  });
});

describe('a very long session id', () => {
  it('is cut with an ellipsis in the table, whole in --json', async () => {
    const db = join(work.dir, 'long.db');
    const file = join(work.dir, 'long.otlp.json');
    writeFileSync(file, encodeTraceRequest([chat(LONG_ID), chat('short')], 'json'));
    expect((await cli(['import', file, '--db', db])).code).toBe(0);
    const table = (await cli(['sessions', '--db', db])).stdout;
    const lines = table.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.length).toBeLessThan(200);
    expect(table).toContain(`${LONG_ID.slice(0, 20)}`);
    expect(table).toContain('…');
    expect(table).not.toContain(LONG_ID);
    const json = JSON.parse((await cli(['sessions', '--json', '--db', db])).stdout) as { items: { sessionId: string }[] };
    expect(json.items.map((s) => s.sessionId)).toContain(LONG_ID);
  });
});

describe('skein serve start-up lines', () => {
  it('leftover forwarding queues: 1 span, 1 queued request', () => {
    const line = describeLeftovers([{ upstream: 'http://old:4318', entries: 1, spans: 1, deadLetters: 1 }]);
    expect(line).toContain('http://old:4318: 1 queued request (1 span), 1 dead letter');
  });
});

describe('tail, stats, spans and outbox', () => {
  const LONG_AGENT = `agent-${'y'.repeat(294)}`;
  const LONG_UPSTREAM = `http://collector.example/${'z'.repeat(280)}`;
  let db: string;

  beforeAll(async () => {
    db = join(work.dir, 'wide.db');
    const store = new SqliteTraceStore({ path: db });
    try {
      store.writeSync([
        makeLlmRecord({ sessionId: LONG_ID, agentName: LONG_AGENT, name: `chat ${'n'.repeat(295)}` }),
        makeLlmRecord({ sessionId: 'short', agentName: 'short-agent' }),
      ]);
      store.writeSync([opened(makeRecord({ sessionId: LONG_ID, name: 'hung' }))]);
      // Another connection judges the writer silent, as in tail.test.ts.
      const judge = new SqliteTraceStore({ path: db });
      try {
        const wroteAt = Date.now();
        while (Date.now() === wroteAt) await new Promise((r) => setTimeout(r, 1));
        expect(judge.markInterrupted({ silentForMillis: 0 })).toBe(1);
      } finally {
        judge.closeSync();
      }
      new SqliteOutbox(store.database).enqueue([LONG_UPSTREAM, 'http://short:4318'], new Uint8Array([1, 2, 3]), 1);
    } finally {
      store.closeSync();
    }
  });

  const expectNarrow = (text: string) => {
    for (const line of text.trimEnd().split('\n')) expect(line.length, line).toBeLessThan(200);
  };

  it('skein tail: 1 open step, and a long session id cut on every line', async () => {
    const stdout = new Capture(false);
    const stderr = new Capture(false);
    let stop!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    const done = runCli(['tail', '--db', db, '--from-start'], { stdout, stderr, env: { HOME: '/nonexistent-skein-home' }, stopSignal });
    const deadline = Date.now() + 30_000;
    while (!stdout.text.includes('interrupted') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    stop();
    expect(await done).toBe(0);
    expect(stdout.text).toMatch(/interrupted: 1 open step will never end$/m);
    expect(stdout.text).toContain(LONG_ID.slice(0, 30));
    expect(stdout.text).not.toContain(LONG_ID);
    expectNarrow(stdout.text);
  });

  it('skein stats: a long agent name does not widen every row', async () => {
    const { code, stdout } = await cli(['stats', '--by', 'agent', '--db', db]);
    expect(code).toBe(0);
    expect(stdout).toContain('short-agent');
    expect(stdout).toContain('…');
    expectNarrow(stdout);
    const json = JSON.parse((await cli(['stats', '--by', 'agent', '--json', '--db', db])).stdout) as { rows: { key: string }[] };
    expect(json.rows.map((r) => r.key)).toContain(LONG_AGENT);
  });

  it('skein spans: a long session id and name are cut', async () => {
    const { code, stdout } = await cli(['spans', '--db', db]);
    expect(code).toBe(0);
    expect(stdout).toContain(LONG_ID.slice(0, 30));
    expect(stdout).not.toContain(LONG_ID);
    expectNarrow(stdout);
  });

  it('skein outbox: a long upstream URL is cut in the table; 1 span stays singular', async () => {
    const { code, stdout } = await cli(['outbox', '--db', db]);
    expect(code).toBe(0);
    expect(stdout).toContain('http://short:4318');
    expect(stdout).not.toContain(LONG_UPSTREAM);
    expectNarrow(stdout);
    const drop = await cli(['outbox', 'drop', 'http://short:4318', '--yes', '--db', db]);
    expect(drop.stdout).toBe('dropped 1 queued request (1 span, 3 B) for http://short:4318\n');
  });
});
