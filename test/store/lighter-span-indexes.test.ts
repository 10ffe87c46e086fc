/**
 * Migration 011 (narrow session index, full-text index without column sizes)
 * on a file of the version before: it upgrades in place, and search gives the
 * same hits and snippets, the timeline the same steps, as on the old layout;
 * text written after the upgrade is indexed and forgotten as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SearchQuery } from '../../src/model/query.js';
import { SCHEMA_VERSION, SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { SpanSearch } from '../../src/store/sqlite/span-search.js';
import { BASE_TIME_UNIX_NANO, SECOND, makeLlmRecord, makeRecord, opened } from '../helpers/records.js';
import { downgradeTo } from './schema-downgrade.js';

const text = (value: string) => ({ text: value, originalLength: value.length, truncated: false });
const t = (s: number) => BASE_TIME_UNIX_NANO + BigInt(s) * SECOND;

const QUERIES: SearchQuery[] = [
  { text: 'weather' },
  { text: '"gpt-4o"' }, // a phrase: what plain-text search makes of a word with punctuation
  { text: 'weath*' },
  { text: 'cafe' }, // diacritics removed
  { text: 'output_text:sunny' },
  { text: 'lyon OR rain' },
  { text: 'weather NOT lyon' },
  { text: 'weather', sessionId: 'b' },
  { text: 'weather', limit: 1 },
  { text: 'draft' },
];

const indexColumns = (db: Database.Database, name: string): string[] =>
  (db.prepare('SELECT name FROM pragma_index_info(?)').pluck().all(name) as string[]);
const tableExists = (db: Database.Database, name: string): boolean =>
  db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = ?").pluck().get(name) === 1;

describe('migration 011: lighter span indexes', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-011-'));
    path = join(dir, 'traces.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('upgrades a version 10 file in place: the same search hits and snippets, the same timelines', async () => {
    const store = new SqliteTraceStore({ path });
    const rewritten = makeLlmRecord({ sessionId: 'b', output: text('draft: Sunny in Lyon'), startTimeUnixNano: t(4) });
    store.writeSync([
      makeRecord({ sessionId: 'a', name: 'fetch weather', toolName: 'weather_tool', stepType: 'tool', startTimeUnixNano: t(1) }),
      makeLlmRecord({ sessionId: 'b', input: text('Is the weather nice in Lyon today? Ask gpt-4o.'), startTimeUnixNano: t(2) }),
      makeLlmRecord({ sessionId: 'b', reasoning: text('thinking about rain near the café'), startTimeUnixNano: t(3) }),
      opened(rewritten),
    ]);
    store.writeSync([{ ...rewritten, output: text('Sunny, 21°C in Lyon; the weather holds') }]);
    const timelines = { a: await store.getTimeline('a'), b: await store.getTimeline('b') };
    await store.close();

    const old = new Database(path);
    downgradeTo(old, 10);
    expect(indexColumns(old, 'spans_session_start')).toHaveLength(20);
    expect(tableExists(old, 'spans_fts_docsize')).toBe(true);
    const search = new SpanSearch(old);
    const before = QUERIES.map((query) => search.search(query));
    old.close();
    // The queries find something, so an empty index after the upgrade could not pass.
    expect(before.map((hits) => hits.length)).toStrictEqual([3, 3, 3, 1, 1, 3, 1, 2, 1, 0]);
    expect(before[0][0].snippet).toContain('[[weather]]');

    const upgraded = new SqliteTraceStore({ path });
    try {
      const db = upgraded.database;
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(indexColumns(db, 'spans_session_start')).toStrictEqual(['resolved_session_id', 'start_ns']);
      expect(tableExists(db, 'spans_fts_docsize')).toBe(false);
      for (const [i, query] of QUERIES.entries()) expect({ query, hits: await upgraded.search(query) }).toStrictEqual({ query, hits: before[i] });
      expect(await upgraded.getTimeline('a')).toStrictEqual(timelines.a);
      expect(await upgraded.getTimeline('b')).toStrictEqual(timelines.b);

      // Written after the upgrade: indexed, replaced text forgotten, deleted spans forgotten.
      const late = makeLlmRecord({ sessionId: 'c', output: text('a provisional forecast'), startTimeUnixNano: t(5) });
      upgraded.writeSync([opened(late)]);
      expect((await upgraded.search({ text: 'provisional' })).map((h) => h.sessionId)).toStrictEqual(['c']);
      upgraded.writeSync([{ ...late, output: text('the final forecast: weather holds') }]);
      expect(await upgraded.search({ text: 'provisional' })).toStrictEqual([]);
      const hits = await upgraded.search({ text: 'final' });
      expect(hits.map((h) => h.snippet)).toStrictEqual(['the [[final]] forecast: weather holds']);
      await upgraded.deleteSession('c');
      expect(await upgraded.search({ text: 'final' })).toStrictEqual([]);
      // The index agrees with the text in spans (an error, SQLITE_CORRUPT_VTAB, if not).
      expect(() => db.exec("INSERT INTO spans_fts (spans_fts, rank) VALUES ('integrity-check', 1)")).not.toThrow();
    } finally {
      upgraded.closeSync();
    }
  });
});
