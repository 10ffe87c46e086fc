/**
 * A search hit's snippet, made here from the part of the column the server
 * sends (span-search.ts): the words split and folded as the index has them
 * (search-words.ts), so it marks what the index matched, on the stored text,
 * as the SQLite store's FTS5 snippet does: about SNIPPET_WORDS words around
 * the first match, each instance of a query phrase marked as one, an
 * ellipsis for words left out on either side.
 */

import { SNIPPET_ELLIPSIS, SNIPPET_MATCH_END, SNIPPET_MATCH_START } from '../common/store-defaults.js';
import type { SearchWord } from './search-query.js';
import { textWords } from './search-words.js';
import type { TextWord } from './search-words.js';

/** Words of a snippet: SQLite's 16 tokens. */
export const SNIPPET_WORDS = 16;

export interface SnippetSource {
  /** A part of the column's stored text. */
  text: string;
  /** Whether the column has text before `text` (its first word may be cut) or after it (its last word may be). */
  cutBefore: boolean;
  cutAfter: boolean;
}

function wordMatches(word: TextWord, wanted: SearchWord): boolean {
  return wanted.prefix ? word.folded.startsWith(wanted.text) : word.folded === wanted.text;
}

/** A phrase found: which one, its first word and its number of words. */
interface Instance {
  phrase: number;
  start: number;
  size: number;
}

function instancesOf(words: readonly TextWord[], phrases: readonly (readonly SearchWord[])[]): Instance[] {
  const found: Instance[] = [];
  phrases.forEach((phrase, index) => {
    if (phrase.length === 0) return;
    for (let i = 0; i + phrase.length <= words.length; i++) {
      if (phrase.every((wanted, k) => wordMatches(words[i + k], wanted))) found.push({ phrase: index, start: i, size: phrase.length });
    }
  });
  return found.sort((a, b) => a.start - b.start || a.phrase - b.phrase);
}

/** The instances marked: [first, last] word, overlapping ones as one (FTS5's coalesced instances). */
function marked(found: readonly Instance[]): Array<[number, number]> {
  const merged: Array<[number, number]> = [];
  for (const { start, size } of found) {
    const previous = merged[merged.length - 1];
    if (previous !== undefined && start <= previous[1]) previous[1] = Math.max(previous[1], start + size - 1);
    else merged.push([start, start + size - 1]);
  }
  return merged;
}

/** Words starting a sentence, as FTS5 finds them: the first, and each after `.` or `:` and a space. */
function sentenceStarts(text: string, words: readonly TextWord[], first: boolean): number[] {
  const starts = first ? [0] : [];
  for (let i = 1; i < words.length; i++) {
    const gap = text.slice(words[i - 1].end, words[i].start);
    if (/[.:] +$/.test(gap)) starts.push(i);
  }
  return starts;
}

/**
 * The first word of the snippet, as FTS5's snippet() picks it: for each
 * instance, the window of SNIPPET_WORDS words from its sentence's start (a
 * bonus) and the window centred on it and the instances after it that fit,
 * scored 1000 for each phrase found and 1 for each repeat; the best first.
 */
function bestStart(found: readonly Instance[], starts: readonly number[], size: number, columnStart: boolean): number {
  const score = (from: number, centre: boolean): { score: number; at: number } => {
    const seen = new Set<number>();
    let total = 0;
    let first = -1;
    let last = 0;
    for (const instance of found) {
      if (instance.start < from || instance.start >= from + SNIPPET_WORDS) continue;
      total += seen.has(instance.phrase) ? 1 : 1000;
      seen.add(instance.phrase);
      if (first < 0) first = instance.start;
      last = instance.start + instance.size;
    }
    if (!centre) return { score: total, at: from };
    let at = first - Math.trunc((SNIPPET_WORDS - (last - first)) / 2);
    if (at + SNIPPET_WORDS > size) at = size - SNIPPET_WORDS;
    return { score: total, at: Math.max(at, 0) };
  };
  let best = { score: 0, at: 0 };
  for (const instance of found) {
    let sentence = -1;
    for (const start of starts) if (start <= instance.start) sentence = start;
    if (sentence >= 0 && sentence < instance.start) {
      const fromSentence = score(sentence, false);
      fromSentence.score += sentence === 0 && columnStart ? 120 : 100;
      if (fromSentence.score > best.score) best = fromSentence;
    }
    const centred = score(instance.start, true);
    if (centred.score > best.score) best = centred;
  }
  return best.at;
}

export function snippetOf(source: SnippetSource, phrases: readonly (readonly SearchWord[])[]): string {
  let words = textWords(source.text);
  // A word at a cut edge may be part of one: left out.
  if (source.cutBefore && words.length > 0 && words[0].start === 0) words = words.slice(1);
  if (source.cutAfter && words.length > 0 && words[words.length - 1].end === source.text.length) words = words.slice(0, -1);
  if (words.length === 0) return source.cutBefore || source.cutAfter ? SNIPPET_ELLIPSIS : source.text;
  const found = instancesOf(words, phrases);
  // The column's size in words, as far as this part tells: no end when cut after it.
  const size = source.cutAfter ? Number.MAX_SAFE_INTEGER : words.length;
  const first = bestStart(found, sentenceStarts(source.text, words, !source.cutBefore), size, !source.cutBefore);
  const last = Math.min(words.length, first + SNIPPET_WORDS) - 1;
  const atStart = first === 0 && !source.cutBefore;
  const atEnd = last === words.length - 1 && !source.cutAfter;
  let out = atStart ? '' : SNIPPET_ELLIPSIS;
  let at = atStart ? 0 : words[first].start;
  for (const [start, end] of marked(found)) {
    if (end < first || start > last) continue;
    const from = words[Math.max(start, first)].start;
    const to = words[Math.min(end, last)].end;
    out += `${source.text.slice(at, from)}${SNIPPET_MATCH_START}${source.text.slice(from, to)}${SNIPPET_MATCH_END}`;
    at = to;
  }
  out += source.text.slice(at, atEnd ? source.text.length : words[last].end);
  return atEnd ? out : out + SNIPPET_ELLIPSIS;
}
