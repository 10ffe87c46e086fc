/**
 * The search API's query language is FTS5's (the SQLite store's): terms,
 * "phrases" (and a + b), prefix*, AND / OR / NOT, column filters (name:,
 * {name input_text}:, -name:). This parses it as FTS5 does (NOT binds
 * tighter than AND, AND than OR; adjacent phrases are ANDed tighter than
 * NOT; a column filter inside another keeps the columns both name) and
 * writes it as PostgreSQL tsquery text for `to_tsquery('simple', ...)`:
 * each string split into words and folded as the document was
 * (search-words.ts), each word a quoted lexeme, phrases with `<->`,
 * prefixes with `:*`, and the column filters as the weights the `fts`
 * column gives each column (span-writer.ts).
 * NEAR groups and `^` (first token of a column) have no exact tsquery form
 * and are refused.
 */

import { InvalidQueryError } from '../errors.js';
import { searchWords, storedWordsPattern } from './search-words.js';

/** The searched columns in `fts` weight order: name A, input B, output C, reasoning D. */
export const SEARCH_COLUMNS = ['name', 'input_text', 'output_text', 'reasoning_text'] as const;
const WEIGHTS = 'ABCD';
/** Every column: a bit per column of SEARCH_COLUMNS. */
const ALL_COLUMNS = 0b1111;

export interface SearchTsQueries {
  /** What a span must match. */
  match: string;
  /** Any phrase the query looks for (not the ones after NOT), in the columns it names: picks the snippet's column. */
  anyPhrase: string;
  /** Those phrases' words: what a snippet marks. */
  phrases: SearchWord[][];
  /**
   * A PostgreSQL regular expression for the first word of any of those
   * phrases in the stored text: where in a long column the snippet is made.
   */
  firstWords: string;
}

/** A folded word of a query; `prefix`: any word starting with it. */
export interface SearchWord {
  text: string;
  prefix: boolean;
}

type Node =
  | { kind: 'phrase'; words: SearchWord[]; columns: number }
  | { kind: 'and' | 'or' | 'not'; left: Node; right: Node }
  | { kind: 'nothing' }
  | { kind: 'empty' };

type Token =
  | { kind: 'string'; text: string; bare: boolean; at: number }
  | { kind: '(' | ')' | ':' | '*' | '+' | '-' | '^' | '{' | '}' | ','; at: number }
  | { kind: 'end'; at: number };

function malformed(message: string): InvalidQueryError {
  return new InvalidQueryError(`malformed search query: ${message}`, 'text');
}

/** FTS5's bareword characters: ASCII letters, digits, `_`, 0x1A, and anything past ASCII. */
function isBareword(code: number): boolean {
  return (
    code >= 0x80 ||
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 95 ||
    code === 0x1a
  );
}

const PUNCTUATION = new Set(['(', ')', ':', '*', '+', '-', '^', '{', '}', ',']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw malformed('unterminated string');
        if (text[j] === '"') {
          if (text[j + 1] !== '"') break;
          value += '"';
          j += 2;
        } else {
          value += text[j++];
        }
      }
      tokens.push({ kind: 'string', text: value, bare: false, at: i });
      i = j + 1;
    } else if (PUNCTUATION.has(c)) {
      tokens.push({ kind: c as '(', at: i });
      i++;
    } else if (isBareword(text.charCodeAt(i))) {
      let j = i + 1;
      while (j < text.length && isBareword(text.charCodeAt(j))) j++;
      tokens.push({ kind: 'string', text: text.slice(i, j), bare: true, at: i });
      i = j;
    } else {
      throw malformed(`syntax error near "${c}"`);
    }
  }
  tokens.push({ kind: 'end', at: text.length });
  return tokens;
}

class Parser {
  private at = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  parse(): Node {
    const node = this.or();
    if (this.peek().kind !== 'end') throw this.syntaxError();
    return node;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.at + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    return this.tokens[this.at++];
  }

  private syntaxError(): InvalidQueryError {
    const token = this.peek();
    return malformed(`syntax error near "${this.text.slice(token.at, token.at + 10)}"`);
  }

  private isKeyword(word: 'AND' | 'OR' | 'NOT', offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'string' && token.bare && token.text === word;
  }

  private or(): Node {
    let node = this.and();
    while (this.isKeyword('OR')) {
      this.next();
      node = { kind: 'or', left: node, right: this.and() };
    }
    return node;
  }

  private and(): Node {
    let node = this.not();
    while (this.isKeyword('AND')) {
      this.next();
      node = { kind: 'and', left: node, right: this.not() };
    }
    return node;
  }

  private not(): Node {
    let node = this.unit();
    while (this.isKeyword('NOT')) {
      this.next();
      node = { kind: 'not', left: node, right: this.unit() };
    }
    return node;
  }

  /** `( query )`, `columns : ( query )`, or adjacent phrases (implicit AND). */
  private unit(): Node {
    if (this.peek().kind === '(') return this.group(ALL_COLUMNS);
    let columns = ALL_COLUMNS;
    if (this.startsColumns()) {
      columns = this.columns();
      if (this.peek().kind === '(') return this.group(columns);
    }
    let node = this.phrase(columns);
    while (this.startsPhrase()) {
      columns = ALL_COLUMNS;
      if (this.startsColumns()) {
        columns = this.columns();
        if (this.peek().kind === '(') throw this.syntaxError();
      }
      node = { kind: 'and', left: node, right: this.phrase(columns) };
    }
    return node;
  }

  private group(columns: number): Node {
    this.next();
    const node = this.or();
    if (this.next().kind !== ')') {
      this.at--;
      throw this.syntaxError();
    }
    return restrict(node, columns);
  }

  private startsColumns(): boolean {
    const token = this.peek();
    if (token.kind === '-' || token.kind === '{') return true;
    return token.kind === 'string' && token.bare && this.peek(1).kind === ':';
  }

  private startsPhrase(): boolean {
    const token = this.peek();
    if (token.kind === '-' || token.kind === '{' || token.kind === '^') return true;
    return token.kind === 'string' && !this.isKeyword('AND') && !this.isKeyword('OR') && !this.isKeyword('NOT');
  }

  /** `name:`, `{name input_text}:`, `-name:`, `-{...}:` as a bit set of columns. */
  private columns(): number {
    const negated = this.peek().kind === '-';
    if (negated) this.next();
    let set = 0;
    if (this.peek().kind === '{') {
      this.next();
      while (this.peek().kind === 'string') set |= this.column(this.next());
      if (set === 0 || this.next().kind !== '}') {
        this.at--;
        throw this.syntaxError();
      }
    } else {
      const token = this.next();
      if (token.kind !== 'string' || !token.bare) {
        this.at--;
        throw this.syntaxError();
      }
      set = this.column(token);
    }
    if (this.next().kind !== ':') {
      this.at--;
      throw this.syntaxError();
    }
    return negated ? ALL_COLUMNS & ~set : set;
  }

  private column(token: Token): number {
    if (token.kind !== 'string') throw this.syntaxError();
    const index = SEARCH_COLUMNS.indexOf(token.text.toLowerCase() as (typeof SEARCH_COLUMNS)[number]);
    if (index < 0) throw new InvalidQueryError(`no such column in a search query: ${token.text} (columns: ${SEARCH_COLUMNS.join(', ')})`, 'text');
    return 1 << index;
  }

  /** `string [*] (+ string [*])*`; refuses `^` and `NEAR(...)`. */
  private phrase(columns: number): Node {
    if (this.peek().kind === '^') throw malformed('^ (first token of a column) is not supported');
    const first = this.peek();
    if (first.kind === 'string' && first.bare && first.text === 'NEAR' && this.peek(1).kind === '(') {
      throw malformed('NEAR groups are not supported');
    }
    const words: SearchWord[] = [];
    for (;;) {
      const token = this.next();
      if (token.kind !== 'string' || this.isKeywordToken(token)) {
        this.at--;
        throw this.syntaxError();
      }
      const prefix = this.peek().kind === '*';
      if (prefix) this.next();
      words.push(...stringWords(token.text, prefix));
      if (this.peek().kind !== '+') break;
      this.next();
    }
    return { kind: 'phrase', words, columns };
  }

  private isKeywordToken(token: Token): boolean {
    return token.kind === 'string' && token.bare && (token.text === 'AND' || token.text === 'OR' || token.text === 'NOT');
  }
}

/** The words of one FTS5 string, split as the document was (search-words.ts); a prefix marks the last word only, as in FTS5. */
function stringWords(text: string, prefix: boolean): SearchWord[] {
  const words = searchWords(text);
  return words.map((word, index) => ({ text: word, prefix: prefix && index === words.length - 1 }));
}

/** A column filter over a subquery: each phrase keeps the columns both name (FTS5 intersects nested filters). */
function restrict(node: Node, columns: number): Node {
  if (columns === ALL_COLUMNS) return node;
  switch (node.kind) {
    case 'phrase':
      return { ...node, columns: node.columns & columns };
    case 'nothing':
    case 'empty':
      return node;
    default:
      return { kind: node.kind, left: restrict(node.left, columns), right: restrict(node.right, columns) };
  }
}

/**
 * Folds away phrases with no column left (they match nothing) and phrases
 * of no word (FTS5 ignores them beside others; alone they match nothing).
 */
function simplify(node: Node): Node {
  switch (node.kind) {
    case 'phrase':
      if (node.columns === 0) return { kind: 'nothing' };
      return node.words.length === 0 ? { kind: 'empty' } : node;
    case 'nothing':
    case 'empty':
      return node;
    default: {
      const left = simplify(node.left);
      const right = simplify(node.right);
      if (node.kind === 'and' && (left.kind === 'nothing' || right.kind === 'nothing')) return { kind: 'nothing' };
      if (node.kind === 'or' && (left.kind === 'nothing' || left.kind === 'empty')) return right;
      if (node.kind === 'not' && (left.kind === 'nothing' || left.kind === 'empty')) return left;
      if (right.kind === 'nothing' || right.kind === 'empty') return left;
      if (left.kind === 'empty') return right;
      return { kind: node.kind, left, right };
    }
  }
}

/** A word as a quoted tsquery operand: quotes and backslashes doubled. */
function lexeme(word: SearchWord, weights: string): string {
  const quoted = `'${word.text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  const label = `${word.prefix ? '*' : ''}${weights}`;
  return label === '' ? quoted : `${quoted}:${label}`;
}

function weightsOf(columns: number): string {
  if (columns === ALL_COLUMNS) return '';
  return [...WEIGHTS].filter((_, index) => (columns & (1 << index)) !== 0).join('');
}

/**
 * A phrase as tsquery text, in its columns. The columns are one vector, so a
 * phrase of several words is matched in each column alone: adjacent across
 * two columns is no phrase.
 */
function phraseText(node: Extract<Node, { kind: 'phrase' }>): string {
  const inColumns = (weights: string) => `(${node.words.map((word) => lexeme(word, weights)).join(' <-> ')})`;
  if (node.words.length === 1) return inColumns(weightsOf(node.columns));
  const each = [...WEIGHTS].filter((_, index) => (node.columns & (1 << index)) !== 0).map(inColumns);
  return each.length === 1 ? each[0] : `(${each.join(' | ')})`;
}

function tsquery(node: Node): string {
  switch (node.kind) {
    case 'phrase':
      return phraseText(node);
    case 'and':
      return `(${tsquery(node.left)} & ${tsquery(node.right)})`;
    case 'or':
      return `(${tsquery(node.left)} | ${tsquery(node.right)})`;
    case 'not':
      return `(${tsquery(node.left)} & !${tsquery(node.right)})`;
    case 'nothing':
    case 'empty':
      throw new Error(`unreachable: ${node.kind} is folded away before`);
  }
}

/** The phrases a match looks for: every one but those after NOT. */
function wantedPhrases(node: Node, into: Array<Extract<Node, { kind: 'phrase' }>>): void {
  if (node.kind === 'phrase') into.push(node);
  else if (node.kind !== 'nothing' && node.kind !== 'empty') {
    wantedPhrases(node.left, into);
    if (node.kind !== 'not') wantedPhrases(node.right, into);
  }
}

/**
 * The tsquery texts of an FTS5 query, or null when it can match nothing (a
 * column filter inside another that names other columns, no word). A malformed
 * query is an InvalidQueryError naming `text`.
 */
export function translateSearchText(text: string): SearchTsQueries | null {
  const node = simplify(new Parser(tokenize(text), text).parse());
  if (node.kind === 'nothing' || node.kind === 'empty') return null;
  const phrases: Array<Extract<Node, { kind: 'phrase' }>> = [];
  wantedPhrases(node, phrases);
  return {
    firstWords: storedWordsPattern(phrases.map(({ words: [first] }) => first)),
    match: tsquery(node),
    anyPhrase: phrases.map((phrase) => phraseText(phrase)).join(' | '),
    phrases: phrases.map((phrase) => phrase.words),
  };
}
