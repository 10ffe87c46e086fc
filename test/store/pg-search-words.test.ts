/**
 * The PostgreSQL store's words (src/store/postgres/search-words.ts) against
 * SQLite's FTS5 tokenizer (`unicode61 remove_diacritics 2`, as the SQLite
 * store's index uses), asked for the tokens of the same texts.
 */

import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { searchWords } from '../../src/store/postgres/search-words.js';

const db = new Database(':memory:');
db.exec(`CREATE VIRTUAL TABLE f USING fts5(x, tokenize='unicode61 remove_diacritics 2');
  CREATE VIRTUAL TABLE v USING fts5vocab(f, 'instance');`);
afterAll(() => db.close());

function sqliteTokens(text: string): string[] {
  db.exec('DELETE FROM f');
  db.prepare('INSERT INTO f (x) VALUES (?)').run(text);
  return (db.prepare('SELECT term FROM v ORDER BY offset').all() as Array<{ term: string }>).map((row) => row.term);
}

/**
 * Characters Unicode assigned after 6.1, which SQLite's tables (Unicode 6.1)
 * hold for unassigned, word characters; JavaScript knows them (symbols, a
 * letter with a lower case).
 */
const NEWER: ReadonlyArray<readonly [number, number]> = [
  [0x37f, 0x37f], [0x2066, 0x2069], [0x20ba, 0x20c1], [0x218a, 0x218b], [0x23f4, 0x23ff], [0x2427, 0x2429],
  [0x2700, 0x2700], [0x2b4d, 0x2b4f], [0x2b5a, 0x2b73], [0x2b76, 0x2bff],
];

/** Code points from `low` to `high` that are assigned characters. */
function characters(low: number, high: number): string[] {
  const out: string[] = [];
  for (let code = low; code <= high; code++) {
    const c = String.fromCodePoint(code);
    if (!/\p{Cn}|\p{Cs}/u.test(c)) out.push(c);
  }
  return out;
}

describe('searchWords', () => {
  it('splits the reviewer\'s text as SQLite does', () => {
    const text = 'ai.generateText chat.completions /usr/local/bin/node api.example.com foo@bar.com gen_ai.request.model café x.io/path';
    expect(searchWords(text)).toStrictEqual(sqliteTokens(text));
    expect(searchWords(text)).toContain('generatetext');
  });

  it('folds and splits each Latin, Greek, Cyrillic, accent, punctuation and symbol character as SQLite does', () => {
    const differ: string[] = [];
    let checked = 0;
    const ranges: Array<[number, number]> = [[0x21, 0x7e], [0xa0, 0x36f], [0x370, 0x4ff], [0x1e00, 0x1eff], [0x2000, 0x2bff], [0x3000, 0x303f], [0xff00, 0xff65]];
    for (const [low, high] of ranges) {
      for (const c of characters(low, high)) {
        if (NEWER.some(([a, b]) => (c.codePointAt(0) ?? 0) >= a && (c.codePointAt(0) ?? 0) <= b)) continue;
        checked++;
        const text = `x${c}y ${c}`;
        const [ours, theirs] = [searchWords(text), sqliteTokens(text)];
        if (JSON.stringify(ours) !== JSON.stringify(theirs)) differ.push(`U+${c.codePointAt(0)?.toString(16)} ${c}: ${ours.join('|')} vs ${theirs.join('|')}`);
      }
    }
    expect(differ).toStrictEqual([]);
    expect(checked).toBeGreaterThan(3000);
  });

  it('keeps CJK, Hangul and digits as SQLite does', () => {
    for (const text of ['東京都 中文字 日本語テキスト 한국어', 'v1.2.3 3.14 1e5 gpt-4o x²y ½', 'a😀b a\u00adb a\u200db cafe\u0301']) {
      expect(searchWords(text), text).toStrictEqual(sqliteTokens(text));
    }
  });
});
