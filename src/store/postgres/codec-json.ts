/**
 * Reading the codec's JSON texts (attributes, resource bodies) with
 * PostgreSQL's `json` operators. The codec (`JSON.stringify`) escapes a NUL
 * as `\u0000`, which PostgreSQL refuses to parse ("unsupported Unicode
 * escape sequence"): one such span would fail every read that parses its
 * row. So a text holding that escape is parsed with each NUL escape turned
 * into `\u0008`, an escape `JSON.stringify` never writes (it writes `\b`):
 * the change is one to one, applied alike to what a text is compared with
 * (`codecJsonOf`) and undone on what is read back (`restoreNulEscapes`).
 */

import { InvalidQueryError } from '../errors.js';

/**
 * The SQL `json` of a codec JSON text column (see above). E'' strings: the
 * same backslashes whatever `standard_conforming_strings` says. The pattern
 * is a `\u0000` escape after an even run of backslashes (a real escape, not
 * an escaped backslash followed by `u0000`).
 */
export function codecJsonSql(column: string): string {
  return String.raw`(CASE WHEN strpos(${column}, E'\\u0000') = 0 THEN ${column}
    ELSE regexp_replace(${column}, E'(?<!\\\\)((?:\\\\\\\\)*)\\\\u0000', E'\\1\\\\u0008', 'g') END)::json`;
}

const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;
const NUL_STANDIN = /(?<!\\)((?:\\\\)*)\\u0008/g;

/** `value` as the codec writes it, with the change `codecJsonSql` makes: compared with its `json` values as text. */
export function codecJsonOf(value: string | number | boolean): string {
  return JSON.stringify(value).replace(NUL_ESCAPE, '$1\\u0008');
}

/** A JSON text read from `codecJsonSql` with its NUL escapes back. */
export function restoreNulEscapes(json: string): string {
  return json.includes('\\u0008') ? json.replace(NUL_STANDIN, '$1\\u0000') : json;
}

/**
 * A key to look up with `->`, which compares keys as parsed: PostgreSQL text
 * holds no NUL, and a backspace would also find a key whose NUL was turned
 * into one, so keys with either cannot be asked exactly.
 */
export function codecKeyParam(key: string, parameter: string): string {
  if (key.includes('\u0000') || key.includes('\b')) {
    throw new InvalidQueryError(`${parameter} keys cannot hold a NUL or backspace character`, parameter);
  }
  return key;
}
