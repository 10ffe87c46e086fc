/**
 * Words as the SQLite store's full-text index splits and folds them (FTS5
 * `unicode61 remove_diacritics 2`): every punctuation, symbol, space, control,
 * format or combining character separates words (so `ai.generateText`, a
 * path, a host or an email is several words, as `gen_ai` is two), accented
 * Latin letters lose their accents, and letters fold their case. PostgreSQL's own parser
 * keeps hosts, paths, emails and versions whole and keeps accents, and its
 * character classes and lower() follow the database's locale (under `C`, no
 * letter past ASCII is alphanumeric or upper case).
 *
 * So the writer folds each searched column here (searchText) and the server
 * indexes the result, split at its spaces: folding in the database costs
 * its CPU ~0.3 µs a character for the split (regexp_replace) and more for the
 * accents (translate looks through its table for each character), where
 * the writer's regular expressions cost a fraction of that. The query words
 * are folded the same way (search-query.ts). Migration 002 rebuilds rows
 * stored before with the same separators and tables in SQL
 * (skein_search_words): the tables hold the Latin, Greek and Cyrillic
 * capitals, which a `C` locale's lower() leaves. Unicode past 6.1 (SQLite's
 * tables) differs a little: test/store/pg-search-words.test.ts.
 */

/**
 * Combining accents removed (a word goes on across one) as SQLite removes
 * them: those its table knows (of Latin letters); other marks separate words.
 */
const ACCENTS: ReadonlyArray<readonly [number, number]> = [
  [0x300, 0x304], [0x306, 0x30c], [0x30f, 0x30f], [0x311, 0x311], [0x31b, 0x31b], [0x323, 0x328], [0x32d, 0x32e], [0x330, 0x331],
];
const isAccent = (code: number) => ACCENTS.some(([low, high]) => code >= low && code <= high);

/**
 * Code point ranges of the separators: Unicode punctuation, symbols, spaces,
 * controls, format characters and marks other than ACCENTS.
 */
function separatorRanges(): Array<[number, number]> {
  const separator = /[\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}\p{M}]/u;
  const ranges: Array<[number, number]> = [];
  for (let code = 1; code < 0x110000; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue;
    if (!separator.test(String.fromCodePoint(code)) || isAccent(code)) continue;
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last[1] === code - 1) last[1] = code;
    else ranges.push([code, code]);
  }
  return ranges;
}

const SEPARATOR_RANGES = separatorRanges();

/**
 * The Latin letters the fold rewrites (accented, or upper case past ASCII),
 * in tiers, each translated only when the text holds one of its letters:
 * translate looks through its whole table for each character, so a text of
 * common accents (Latin-1) should not pay for the rarer ones' longer table.
 */
const FOLD_TIERS: ReadonlyArray<ReadonlyArray<readonly [number, number]>> = [
  [
    [0xb5, 0xb5],
    [0xc0, 0xff],
  ],
  [[0x100, 0x17f]],
  [
    [0x180, 0x24f],
    [0x1e00, 0x1eff],
    [0x212a, 0x212b],
  ],
  [
    [0x370, 0x3ff],
    [0x400, 0x52f],
  ],
];

/** Letters SQLite's table leaves their accents (their first decomposition's base is itself accented): only their case folds. */
const KEEP_ACCENTS = new Set(['\u01e0', '\u01e1']);

/** A letter's case fold (µ and μ, ς and σ, ſ and s are one), one letter for one; ı has none (but Turkish). */
function caseFold(letter: string): string {
  const upper = letter === '\u0131' ? letter : letter.toUpperCase();
  return [...upper].length === 1 ? upper.toLowerCase() : letter.toLowerCase();
}

interface FoldTier {
  ranges: ReadonlyArray<readonly [number, number]>;
  /** Each letter that folds, and its folded letter, one for one. */
  from: string;
  to: string;
}

function foldTier(ranges: ReadonlyArray<readonly [number, number]>): FoldTier {
  let from = '';
  let to = '';
  for (const [low, high] of ranges) {
    for (let code = low; code <= high; code++) {
      const letter = String.fromCodePoint(code);
      if (!/\p{L}/u.test(letter)) continue;
      // Accents go where the letter is left an ASCII one, as SQLite's table (æ, ø keep theirs: ǣ, ǿ).
      const base = caseFold(letter.normalize('NFD').replace(/\p{M}/gu, ''));
      const folded = /^[a-z]$/.test(base) && !KEEP_ACCENTS.has(letter) ? base : caseFold(letter);
      if (folded === letter || [...folded].length !== 1) continue;
      from += letter;
      to += folded;
    }
  }
  return { ranges, from, to };
}

const FOLD = FOLD_TIERS.map(foldTier);

/** Each letter of the fold tables and its folded letter. */
const FOLD_MAP = new Map<string, string>();
/** Each folded letter and the letters that fold to it. */
const UNFOLD_MAP = new Map<string, string[]>();
for (const tier of FOLD) {
  const from = [...tier.from];
  const to = [...tier.to];
  from.forEach((letter, index) => {
    FOLD_MAP.set(letter, to[index]);
    UNFOLD_MAP.set(to[index], [...(UNFOLD_MAP.get(to[index]) ?? []), letter]);
  });
}

function pgCodePoint(code: number): string {
  return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\U${code.toString(16).padStart(8, '0')}`;
}

function jsCodePoint(code: number): string {
  return `\\u{${code.toString(16)}}`;
}

function bracket(ranges: ReadonlyArray<readonly [number, number]>, write: (code: number) => string): string {
  return `[${ranges.map(([low, high]) => (low === high ? write(low) : `${write(low)}-${write(high)}`)).join('')}]`;
}

/** One separator, as a PostgreSQL regular expression. */
const PG_SEPARATOR = bracket(SEPARATOR_RANGES, pgCodePoint);
/** A run of separators, as a JavaScript regular expression. */
const JS_SEPARATORS = new RegExp(`${bracket(SEPARATOR_RANGES, jsCodePoint)}+`, 'gu');
/** A word: a run of other characters. */
const JS_WORD = new RegExp(`[^${bracket(SEPARATOR_RANGES, jsCodePoint).slice(1)}+`, 'gu');
/** A letter of the fold tables that lower case leaves for them. */
const JS_FOLDED = new RegExp(`[${[...FOLD_MAP.keys()].filter((letter) => letter.toLowerCase() === letter).join('')}]`, 'gu');
/** Combining accents. */
const JS_ACCENTS = new RegExp(bracket(ACCENTS, jsCodePoint), 'gu');
/**
 * Where a word may start or end in a PostgreSQL regular expression: ASCII
 * separators and the common Unicode punctuation (the full class costs a
 * compile for each query's expression).
 */
const PG_WORD_EDGE = bracket(
  SEPARATOR_RANGES.filter(([low]) => low < 0xc0 || (low >= 0x2000 && low <= 0x206f) || (low >= 0x3000 && low <= 0x303f)),
  pgCodePoint,
);

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The fold (accents and case) of `text`, an SQL expression, the checks made
 * on `t` (which holds the same letters): a tier's table is used only when
 * `t` holds one of its letters (an empty table costs a copy).
 */
function foldSql(text: string): string {
  let folded = text;
  for (const tier of FOLD) {
    const holds = `t ~ ${sqlString(bracket(tier.ranges, pgCodePoint))}`;
    folded = `translate(${folded}, CASE WHEN ${holds} THEN ${sqlString(tier.from)} ELSE '' END, CASE WHEN ${holds} THEN ${sqlString(tier.to)} ELSE '' END)`;
  }
  return `lower(${folded})`;
}

/**
 * searchText in SQL, for migration 002 (a function of the session only:
 * pg_temp.skein_search_words; nothing is left in the schema). A run of
 * separators is a space, as in searchText.
 */
export const SEARCH_WORDS_FUNCTION = `
CREATE OR REPLACE FUNCTION pg_temp.skein_search_words(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $fn$ SELECT ${foldSql(`regexp_replace(regexp_replace(t, ${sqlString(bracket(ACCENTS, pgCodePoint))}, '', 'g'), ${sqlString(`${PG_SEPARATOR}+`)}, ' ', 'g')`)} $fn$;
`;

/** `text` as the `fts` column indexes it: each run of separators a space, the letters folded. */
export function searchText(text: string): string {
  return foldWord(text).replace(JS_SEPARATORS, ' ');
}

/** Accents and case folded, nothing split. */
function foldWord(text: string): string {
  const lower = text.toLowerCase();
  if (!NON_ASCII.test(lower)) return lower;
  // Lower case first: it may write an accent apart (İ is i and a dot above).
  return lower.replace(JS_ACCENTS, '').replace(JS_FOLDED, (letter) => FOLD_MAP.get(letter) ?? letter);
}

const NON_ASCII = /[\u0080-\uffff]/;

/** The folded words of `text`. */
export function searchWords(text: string): string[] {
  return searchText(text).split(' ').filter((word) => word !== '');
}

/** A word of `text`: where it is (UTF-16 offsets) and its folded form. */
export interface TextWord {
  start: number;
  end: number;
  folded: string;
}

export function textWords(text: string): TextWord[] {
  return [...text.matchAll(JS_WORD)].map((match) => ({
    start: match.index,
    end: match.index + match[0].length,
    folded: foldWord(match[0]),
  }));
}

/**
 * A PostgreSQL regular expression for any of `words` (folded) in stored
 * text, at a word start (and end, unless a prefix): each letter matches the
 * letters that fold to it.
 */
export function storedWordsPattern(words: ReadonlyArray<{ text: string; prefix: boolean }>): string {
  const letter = (folded: string) => {
    const upper = folded.toUpperCase();
    const all = new Set([folded, ...([...upper].length === 1 ? [upper] : []), ...(UNFOLD_MAP.get(folded) ?? [])]);
    return all.size === 1 ? folded : `[${[...all].join('')}]`;
  };
  const alternatives = words.map(({ text, prefix }) => `${[...text].map(letter).join('')}${prefix ? '' : `(${PG_WORD_EDGE}|$)`}`);
  return `(^|${PG_WORD_EDGE})(${alternatives.join('|')})`;
}
