/**
 * Texts kept once (issue 15). A span's input, output and reasoning text are
 * rendered from its attributes (`gen_ai.input.messages`, a tool's arguments
 * and result, ...) and stored in their own columns for search and display;
 * the attributes carried the same characters a second time (about 280 of a
 * typical agent span's ~750 bytes of attributes).
 *
 * So before the attributes are stored, each line of each text (at least
 * `MIN_PIECE` characters, without a leading `role: ` that rendering adds) is
 * cut out of the first string attribute that contains it, as it appears
 * there: verbatim, or JSON-escaped inside a JSON-encoded value such as a
 * messages array. A `TextRef` records each cut (which attribute, which part
 * of which text, where), and reading puts the characters back in the reverse
 * order, so the attributes come back byte for byte. A text that is not found
 * (rendered from several values, truncated mid-escape, ...) costs nothing
 * but is simply stored twice, as before.
 */

import type { AttributeValue, Attributes, ContentText } from '../../model/types.js';

/**
 * One cut: [attribute index in key order, text (0 input, 1 output, 2
 * reasoning), start and length of the piece in the text, offset in the
 * attribute value, 1 when the piece was JSON-escaped there].
 */
export type TextRef = [attribute: number, text: number, from: number, length: number, at: number, escaped: number];

/** Shorter pieces are left in place: a ref costs ~15 bytes. */
const MIN_PIECE = 24;

/**
 * Attributes SQL reads with JSON functions, which must stay whole: the
 * session title of a Vercel AI SDK span (session-queries.ts).
 */
export const READ_BY_SQL: ReadonlySet<string> = new Set(['ai.telemetry.functionId']);

/** Characters JSON.stringify escapes (and lone surrogates): most texts have none, and are their own escaped form. */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

const escape = (text: string): string => {
  if (!NEEDS_ESCAPE.test(text)) return text;
  const json = JSON.stringify(text);
  return json.slice(1, json.length - 1);
};

const ROLE = /^[A-Za-z_][\w-]*$/;

/** Where a line's content starts: after a `role: ` prefix (rendering adds one per message), else at the line. */
function contentStart(text: string, lineStart: number, lineEnd: number): number {
  const colon = text.indexOf(': ', lineStart);
  if (colon <= lineStart || colon > lineStart + 32 || colon >= lineEnd) return lineStart;
  return ROLE.test(text.slice(lineStart, colon)) ? colon + 2 : lineStart;
}

/**
 * The attributes with the texts' pieces cut out, and the refs that put them
 * back; `attributes` itself when nothing was cut (the usual object is not copied).
 */
export function cutTexts(
  attributes: Attributes,
  texts: readonly (ContentText | null)[],
): { attributes: Attributes; refs: TextRef[] | undefined } {
  let keys: string[] | undefined;
  let values: AttributeValue[] | undefined;
  let refs: TextRef[] | undefined;
  for (let t = 0; t < texts.length; t++) {
    const content = texts[t];
    if (content === null || content.text.length < MIN_PIECE) continue;
    if (keys === undefined || values === undefined) {
      keys = Object.keys(attributes);
      values = keys.map((key) => attributes[key]);
    }
    const text = content.text;
    let lineStart = 0;
    while (lineStart < text.length) {
      let lineEnd = text.indexOf('\n', lineStart);
      if (lineEnd < 0) lineEnd = text.length;
      const from = contentStart(text, lineStart, lineEnd);
      if (lineEnd - from >= MIN_PIECE) {
        const piece = text.slice(from, lineEnd);
        const escaped = escape(piece);
        for (let a = 0; a < keys.length; a++) {
          const value = values[a];
          if (typeof value !== 'string' || value.length < piece.length || READ_BY_SQL.has(keys[a])) continue;
          let at = value.indexOf(escaped);
          let isEscaped = escaped === piece ? 0 : 1;
          if (at < 0 && isEscaped === 1) {
            at = value.indexOf(piece);
            isEscaped = 0;
          }
          if (at < 0) continue;
          const cut = isEscaped === 1 ? escaped.length : piece.length;
          values[a] = value.slice(0, at) + value.slice(at + cut);
          (refs ??= []).push([a, t, from, piece.length, at, isEscaped]);
          break;
        }
      }
      lineStart = lineEnd + 1;
    }
  }
  if (refs === undefined || keys === undefined || values === undefined) return { attributes, refs: undefined };
  const cut: Attributes = {};
  for (let a = 0; a < keys.length; a++) cut[keys[a]] = values[a];
  return { attributes: cut, refs };
}

/** Puts the pieces `cutTexts` took back (in place), from the texts as stored. */
export function restoreTexts(attributes: Attributes, refs: readonly TextRef[], texts: readonly (string | null)[]): Attributes {
  const keys = Object.keys(attributes);
  for (let i = refs.length - 1; i >= 0; i--) {
    const [a, t, from, length, at, escaped] = refs[i];
    const key = keys[a];
    const value = attributes[key];
    const text = texts[t];
    if (typeof value !== 'string' || text === null || text === undefined) {
      throw new Error(`stored span attributes do not match their text refs (attribute ${a}, text ${t})`);
    }
    const piece = text.slice(from, from + length);
    attributes[key] = value.slice(0, at) + (escaped === 1 ? escape(piece) : piece) + value.slice(at);
  }
  return attributes;
}
