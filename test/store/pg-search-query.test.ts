/**
 * The FTS5 query language as PostgreSQL tsquery text (src/store/postgres/search-query.ts):
 * FTS5's precedence and column filters, checked against what SQLite's FTS5 answers for the
 * same queries (the expected groupings were read from SQLite, not guessed).
 */

import { describe, expect, it } from 'vitest';
import { InvalidQueryError } from '../../src/store/errors.js';
import { translateSearchText } from '../../src/store/postgres/search-query.js';

const match = (text: string) => translateSearchText(text)?.match;

describe('translateSearchText', () => {
  it('keeps FTS5 precedence: adjacent phrases, then NOT, then AND, then OR', () => {
    expect(match('a b NOT c')).toBe("((('a') & ('b')) & !('c'))");
    expect(match('a NOT b c')).toBe("(('a') & !(('b') & ('c')))");
    expect(match('a OR b NOT c')).toBe("(('a') | (('b') & !('c')))");
    expect(match('a AND b OR c')).toBe("((('a') & ('b')) | ('c'))");
    expect(match('a NOT b NOT c')).toBe("((('a') & !('b')) & !('c'))");
    expect(match('(a OR b) AND c')).toBe("((('a') | ('b')) & ('c'))");
    expect(match('and')).toBe("('and')");
  });

  it('writes column filters as weights, intersecting nested ones, and keeps a phrase inside one column', () => {
    expect(match('name:a')).toBe("('a':A)");
    expect(match('{name input_text}:a')).toBe("('a':AB)");
    expect(match('-name:a')).toBe("('a':BCD)");
    expect(match('name:(a OR input_text:a)')).toBe("('a':A)");
    expect(translateSearchText('input_text:(name:a)')).toBeNull();
    expect(match('"a b"')).toBe("(('a':A <-> 'b':A) | ('a':B <-> 'b':B) | ('a':C <-> 'b':C) | ('a':D <-> 'b':D))");
    expect(match('name:"a b"')).toBe("('a':A <-> 'b':A)");
  });

  it('marks a prefix on the last word only and quotes every word', () => {
    expect(match('wea*')).toBe("('wea':*)");
    expect(match('name:"one tw"*')).toBe("('one':A <-> 'tw':*A)");
    expect(match('name:"it\'s"')).toBe("('it':A <-> 's':A)");
    expect(match('name:"a\\b"')).toBe("('a':A <-> 'b':A)");
  });

  it('ignores an empty phrase beside others; alone it matches nothing', () => {
    expect(match('a ""')).toBe("('a')");
    expect(match('a OR ""')).toBe("('a')");
    expect(translateSearchText('""')).toBeNull();
  });

  it('refuses what FTS5 refuses, and what tsquery cannot say, naming text', () => {
    for (const text of ['"unbalanced', 'AND OR', 'NOT a', 'a NOT', 'a OR', '()', '(a) b', 'a.b', 'foo:a', 'name:', '*', '^a', 'NEAR(a b)']) {
      let error: unknown;
      try {
        translateSearchText(text);
      } catch (caught) {
        error = caught;
      }
      expect(error, text).toBeInstanceOf(InvalidQueryError);
      expect((error as InvalidQueryError).parameter).toBe('text');
    }
  });

  it('lists the wanted phrases (not those after NOT) for the snippet', () => {
    const queries = translateSearchText('name:a NOT b OR c*');
    expect(queries?.anyPhrase).toBe("('a':A) | ('c':*)");
    expect(queries?.phrases).toStrictEqual([[{ text: 'a', prefix: false }], [{ text: 'c', prefix: true }]]);
    expect(queries?.firstWords).toMatch(/^\(\^\|\[.+\]\)\(\[aA[^\]]*\]\(\[.+\]\|\$\)\|\[cC[^\]]*\]\)$/);
  });

  it('splits and folds words as SQLite\'s unicode61 tokenizer (remove_diacritics 2) does', () => {
    // The reviewer's words: dotted names, paths, hosts, emails, snake_case, accents.
    expect(match('generateText')).toBe("('generatetext')");
    expect(match('"ai.generateText"')).toBe("(('ai':A <-> 'generatetext':A) | ('ai':B <-> 'generatetext':B) | ('ai':C <-> 'generatetext':C) | ('ai':D <-> 'generatetext':D))");
    expect(match('gen_ai')).toBe("(('gen':A <-> 'ai':A) | ('gen':B <-> 'ai':B) | ('gen':C <-> 'ai':C) | ('gen':D <-> 'ai':D))");
    expect(match('name:"foo@bar.com"')).toBe("('foo':A <-> 'bar':A <-> 'com':A)");
    expect(match('CAFÉ')).toBe("('cafe')");
    expect(match('Besançon ŁÓDŹ İstanbul straße')).toBe("(((('besancon') & ('łodz')) & ('istanbul')) & ('straße'))");
    // A prefix marks the last word of its string only.
    expect(match('name:"gen_ai.req"*')).toBe("('gen':A <-> 'ai':A <-> 'req':*A)");
    expect(match('東京都 x²y')).toBe("(('東京都') & ('x²y'))");
    // Separators only: no word, as FTS5 (matches nothing alone).
    expect(translateSearchText('"..."')).toBeNull();
  });
});
