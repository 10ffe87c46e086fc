import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeLeftovers } from '../../src/forward/forwarding-health.js';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { ALPHA, BETA, seedStore, tempDir } from '../server/query-api/seed.js';
import type { Seeded } from '../server/query-api/seed.js';
import { cli } from './run.js';

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
