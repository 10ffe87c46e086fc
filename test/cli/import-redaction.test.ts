/**
 * `skein import` stores through the same redaction as `skein serve`: a file
 * full of secrets must leave none of them in the database file, and the
 * config file's redaction (`--config`, else ./skein.config.json) applies.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawSpan, StoredSpan } from '../../src/model/types.js';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { tempDir } from '../server/query-api/seed.js';
import { cli } from './run.js';

// Assembled from parts so the repository never holds a string a secret scanner would flag.
const PROJECT_KEY = ['sk', 'proj', 'Q7wE9rT2yU4iO6pA8sD1fG3hJ5kL7zX9cV2bN4mQ6wE8rT0yU2iO4pA'].join('-');
const API_KEY_VALUE = 'house-credential-' + 'Zq7731Xv';
const EMPLOYEE_ID = 'EMP-' + '402117';

let work: { dir: string; cleanup(): void };
beforeAll(() => {
  work = tempDir('skein-import-redaction-');
});
afterAll(() => work.cleanup());

function dbBytes(dbPath: string): Buffer {
  return Buffer.concat([dbPath, `${dbPath}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p)));
}

function secretSpan(conversation: string): RawSpan {
  return makeRawSpan({
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.conversation.id': conversation,
      'app.note': `deploy with ${PROJECT_KEY} tonight`,
      api_key: API_KEY_VALUE,
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: `my key is ${PROJECT_KEY}, badge ${EMPLOYEE_ID}` }] },
      ]),
    },
  });
}

function writeOtlp(name: string, spans: RawSpan[]): string {
  const file = join(work.dir, name);
  writeFileSync(file, encodeTraceRequest(spans, 'json'));
  // The file really holds them: the test would prove nothing otherwise.
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(PROJECT_KEY);
  expect(text).toContain(API_KEY_VALUE);
  return file;
}

async function importOk(argv: string[]): Promise<void> {
  const result = await cli(['import', ...argv]);
  expect(result.code, result.stderr).toBe(0);
}

async function storedSpans(dbPath: string): Promise<StoredSpan[]> {
  const store = new SqliteTraceStore({ path: dbPath, readonly: true });
  try {
    return (await store.getSpans({})).items;
  } finally {
    await store.close();
  }
}

describe('skein import redacts', () => {
  it('keeps secrets in attributes and message content out of the database file', async () => {
    const file = writeOtlp('secrets.otlp.json', [secretSpan('conv-import-secrets')]);
    const db = join(work.dir, 'secrets.db');
    await importOk([file, '--db', db]);

    const bytes = dbBytes(db).toString('latin1');
    expect(bytes).not.toContain(PROJECT_KEY);
    // The key's body alone, in case a prefix was kept.
    expect(bytes).not.toContain(PROJECT_KEY.slice('sk-proj-'.length));
    expect(bytes).not.toContain(API_KEY_VALUE);

    const [span] = await storedSpans(db);
    expect(span.raw.attributes['app.note']).toBe('deploy with [REDACTED:openai-key] tonight');
    expect(span.raw.attributes.api_key).toBe('[REDACTED:denied-key]');
    expect(span.input?.text).toContain('my key is [REDACTED:openai-key]');
    expect(span.counts.redacted).toBe(3);
    // Without a config the custom pattern does not exist.
    expect(span.input?.text).toContain(EMPLOYEE_ID);
  });

  it('applies the redaction of --config', async () => {
    const config = join(work.dir, 'custom.config.json');
    writeFileSync(config, JSON.stringify({ redaction: { patterns: [{ name: 'employee-id', pattern: 'EMP-\\d{6}' }] } }));
    const file = writeOtlp('custom.otlp.json', [secretSpan('conv-import-custom')]);
    const db = join(work.dir, 'custom.db');
    await importOk([file, '--db', db, '--config', config]);

    const bytes = dbBytes(db).toString('latin1');
    expect(bytes).not.toContain(EMPLOYEE_ID);
    expect(bytes).not.toContain(PROJECT_KEY);
    const [span] = await storedSpans(db);
    expect(span.input?.text).toContain('badge [REDACTED:employee-id]');
    expect(span.input?.text).toContain('[REDACTED:openai-key]');
  });

  it('reads ./skein.config.json when there is no --config', async () => {
    const dir = join(work.dir, 'cwd');
    mkdirSync(dir);
    writeFileSync(join(dir, 'skein.config.json'), JSON.stringify({ redaction: { denyKeys: ['app.note'] } }));
    const file = writeOtlp('default.otlp.json', [secretSpan('conv-import-default')]);
    const db = join(work.dir, 'default.db');
    const before = process.cwd();
    process.chdir(dir);
    try {
      await importOk([file, '--db', db]);
    } finally {
      process.chdir(before);
    }
    const [span] = await storedSpans(db);
    expect(span.raw.attributes['app.note']).toBe('[REDACTED:denied-key]');
  });

  it('refuses a bad config file before writing anything, naming the file and field', async () => {
    const config = join(work.dir, 'bad.config.json');
    writeFileSync(config, JSON.stringify({ redaction: { patterns: [{ name: 'empty', pattern: 'x*' }] } }));
    const file = writeOtlp('bad.otlp.json', [secretSpan('conv-import-bad')]);
    const db = join(work.dir, 'bad.db');
    const result = await cli(['import', file, '--db', db, '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(config);
    expect(result.stderr).toContain('redaction.patterns');
    expect(existsSync(db)).toBe(false);
  });

  it("computes cost from the config's prices", async () => {
    const config = join(work.dir, 'prices.config.json');
    writeFileSync(config, JSON.stringify({ prices: { models: { 'house-model': { inputPerMTok: 1_000_000, outputPerMTok: 2_000_000 } } } }));
    const span = makeRawSpan({
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'house-model',
        'gen_ai.conversation.id': 'conv-import-prices',
        'gen_ai.usage.input_tokens': 2,
        'gen_ai.usage.output_tokens': 3,
      },
    });
    const file = join(work.dir, 'prices.otlp.json');
    writeFileSync(file, encodeTraceRequest([span], 'json'));
    const db = join(work.dir, 'prices.db');
    await importOk([file, '--db', db, '--config', config]);
    const [stored] = await storedSpans(db);
    expect(stored.cost).toEqual({ usd: 8, source: 'computed' });
  });

  it('stores everything as it arrived with redaction turned off in the config', async () => {
    const config = join(work.dir, 'off.config.json');
    writeFileSync(config, JSON.stringify({ redaction: { enabled: false } }));
    const file = writeOtlp('off.otlp.json', [secretSpan('conv-import-off')]);
    const db = join(work.dir, 'off.db');
    await importOk([file, '--db', db, '--config', config]);
    const [span] = await storedSpans(db);
    expect(span.raw.attributes.api_key).toBe(API_KEY_VALUE);
    expect(span.counts.redacted).toBe(0);
  });
});
