import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { tempDir } from '../server/query-api/seed.js';
import { cli } from './run.js';

let work: { dir: string; cleanup(): void };
let db: string;

beforeAll(async () => {
  work = tempDir('skein-export-names-');
  db = join(work.dir, 'names.db');
  // Two sessions whose ids become the same file name once made safe: a_b.jsonl.
  const spans = ['a/b', 'a:b'].map((id) =>
    makeRawSpan({ attributes: { 'gen_ai.conversation.id': id, 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' } }),
  );
  const file = join(work.dir, 'two.otlp.json');
  writeFileSync(file, encodeTraceRequest(spans, 'json'));
  expect((await cli(['import', file, '--db', db])).code).toBe(0);
});
afterAll(() => work.cleanup());

describe('skein export -o dir/ with ids that map to one file name', () => {
  it('writes one file per session and says so', async () => {
    const out = join(work.dir, 'out');
    const { code, stderr } = await cli(['export', 'a/b', 'a:b', '--format', 'jsonl', '-o', `${out}/`, '--db', db]);
    expect(code).toBe(0);
    const files = readdirSync(out).sort();
    expect(files).toEqual(['a_b-2.jsonl', 'a_b.jsonl']);
    expect(readFileSync(join(out, 'a_b.jsonl'), 'utf8')).toContain('"a/b"');
    expect(readFileSync(join(out, 'a_b-2.jsonl'), 'utf8')).toContain('"a:b"');
    expect(stderr).toContain(`wrote 2 files to ${out}/`);
    expect(stderr).toContain("session 'a:b' written as a_b-2.jsonl (a_b.jsonl is session 'a/b')");
  });

  it('the same id twice is exported once', async () => {
    const out = join(work.dir, 'twice');
    const { code, stderr } = await cli(['export', 'a/b', 'a/b', '--format', 'md', '-o', `${out}/`, '--db', db]);
    expect(code).toBe(0);
    expect(readdirSync(out)).toEqual(['a_b.md']);
    expect(stderr).toContain(`wrote 1 file to ${out}/`);
  });
});
