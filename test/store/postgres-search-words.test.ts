/**
 * The PostgreSQL store's full-text search splits and folds words as the
 * SQLite store's FTS5 (`unicode61 remove_diacritics 2`) does: the same spans
 * written to both stores, the same queries must find the same spans. And a
 * database whose `fts` column is still migration 001's finds them after
 * migration 002 rebuilds it.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresTraceStore } from '../../src/store/postgres/index.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import type { TraceStore } from '../../src/store/trace-store.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { BASE_TIME_UNIX_NANO, SECOND, makeRecord } from '../helpers/records.js';

const REVIEWER = 'ai.generateText chat.completions /usr/local/bin/node api.example.com foo@bar.com gen_ai.request.model café x.io/path';

/** Span id, name, input text. */
const TEXTS: ReadonlyArray<readonly [string, string, string]> = [
  ['s01', 'ai.generateText', REVIEWER],
  ['s02', 'chat gpt-4o', 'version v1.2.3 costs 3.14 USD, 1e5 tokens; snake_case_name and camelCaseName'],
  ['s03', 'tool call', 'Le CAFÉ était fermé à Besançon; ŁÓDŹ İstanbul Ærø straße naïve'],
  ['s04', 'cjk', '東京都 中文字 日本語テキスト 한국어 x²y a€b a😀b a\u00adb a\u2014b'],
  ['s06', 'greek', 'ΣΊΣΥΦΟΣ Привет µ ſ İ e\u0301te\u0301 Å'],
  ['s05', 'plain', 'the weather in Paris: rain, then sun (20°C) — see https://weather.example.org/paris?q=1'],
];

/** FTS5 queries; each must find the same spans in both stores. */
const QUERIES = [
  'generatetext', 'generateText', 'completions', 'example', 'node', 'bar', 'request', 'path', 'cafe', 'café',
  'CAFE', 'ai', 'gen*', '"chat completions"', '"gen_ai.request"', '"ai.generateText"', 'gen_ai', 'generate*',
  '"usr local"*', 'camelcasename', 'camel*', 'snake', 'case', 'v1', '3', '14', '1e5', '4o', 'gpt', 'etait',
  'besancon', 'lodz', 'istanbul', 'ærø', 'strasse', 'straße', 'naive', '東京都', '한국어', 'x²y', 'a', 'b',
  'name:ai', 'input_text:ai', 'weather OR tokens', 'paris NOT rain', 'example AND com', '"x io"', 'usr*',
  'io', 'q', '20', 'c', 'σίσυφοσ', 'ΣΊΣΥΦΟΣ', 'σισυφοσ', 'привет', 'ПРИВЕТ', 'μ', 's', 'i', 'ete', 'å',
];

/** The queries whose spans differ between the two stores: none expected. */
async function differences(sqlite: TraceStore, postgres: TraceStore): Promise<string[]> {
  const differ: string[] = [];
  for (const query of QUERIES) {
    const [a, b] = [await found(sqlite, query), await found(postgres, query)];
    if (JSON.stringify(a) !== JSON.stringify(b)) differ.push(`${query}: sqlite ${a.join(',')} pg ${b.join(',')}`);
  }
  return differ;
}

const server = usePostgres();
let folder: string;
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'skein-search-words-'));
});
afterAll(() => {
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
});

async function writeAll(store: TraceStore): Promise<void> {
  const spans = TEXTS.map(([spanId, name, text], index) =>
    makeRecord({
      traceId: 't1'.padEnd(32, '0'),
      spanId,
      sessionId: 'a',
      name,
      input: { text, originalLength: text.length, truncated: false },
      startTimeUnixNano: BASE_TIME_UNIX_NANO + BigInt(index + 1) * SECOND,
    }),
  );
  await store.write(spans);
}

async function found(store: TraceStore, text: string): Promise<string[]> {
  return (await store.search({ text, limit: 100 })).map((hit) => hit.spanId).sort();
}

describe('PostgreSQL search words', () => {
  it('finds the same spans as SQLite for each query', async () => {
    const sqlite = SqliteTraceStore.open({ path: join(folder, 'same.db') });
    const postgres = await PostgresTraceStore.open({ url: await server.createDatabase() });
    try {
      await writeAll(sqlite);
      await writeAll(postgres);
      expect(await differences(sqlite, postgres)).toStrictEqual([]);
      // The reviewer's words, each found in the reviewer's span, and its snippet marks the word on the stored text.
      for (const word of ['generatetext', 'completions', 'example', 'node', 'bar', 'request', 'path', 'cafe']) {
        expect(await found(postgres, word), word).toContain('s01');
      }
      // Whole hits, snippets too, where both stores make the snippet from the same column.
      for (const query of ['cafe', 'request', 'path', '"chat completions"', 'example', 'etait', 'lodz', 'snake', 'q', '한국어']) {
        expect(await postgres.search({ text: query }), query).toStrictEqual(await sqlite.search({ text: query }));
      }
    } finally {
      await sqlite.close();
      await postgres.close();
    }
  });

  it('rebuilds the words of a database written before migration 002', async () => {
    const url = await server.createDatabase();
    let store = await PostgresTraceStore.open({ url });
    await writeAll(store);
    await store.close();
    // Back to migration 001's column: the vector PostgreSQL's parser makes.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`ALTER TABLE spans DROP COLUMN fts;
        ALTER TABLE spans ADD COLUMN fts tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('simple', name), 'A') ||
          setweight(to_tsvector('simple', coalesce(input_text, '')), 'B') ||
          setweight(to_tsvector('simple', coalesce(output_text, '')), 'C') ||
          setweight(to_tsvector('simple', coalesce(reasoning_text, '')), 'D')) STORED;
        CREATE INDEX spans_fts ON spans USING gin (fts);
        UPDATE skein_schema SET version = 1;`);
      const old = await client.query<{ found: boolean }>(
        "SELECT fts @@ to_tsquery('simple', 'generatetext') AS found FROM spans WHERE span_id = 's01'",
      );
      expect(old.rows[0].found).toBe(false);
    } finally {
      await client.end();
    }
    // Migration 002 folds the stored rows in SQL: they must be found as the writer's rows are.
    store = await PostgresTraceStore.open({ url });
    const sqlite = SqliteTraceStore.open({ path: join(folder, 'upgrade.db') });
    try {
      await writeAll(sqlite);
      expect(await found(store, 'generatetext')).toStrictEqual(['s01']);
      expect(await found(store, 'cafe')).toStrictEqual(['s01', 's03']);
      expect(await differences(sqlite, store)).toStrictEqual([]);
    } finally {
      await sqlite.close();
      await store.close();
    }
  });
});
