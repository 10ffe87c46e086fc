/**
 * OTLP/JSON allows 64-bit integers as JSON numbers (the spec: "either numbers
 * or strings are accepted when decoding"), and the published examples send
 * timestamps such as 1544712660000000000 unquoted. JSON.parse would round
 * them to the nearest double, so before parsing, every integer literal that is
 * not a safe integer is turned into a string literal holding the same digits.
 * That is lossless under the proto3 JSON mapping, where every numeric field
 * also accepts its decimal string form.
 */

/** Cheap pre-check: a run of 16+ digits right after `:`, `[` or `,`. False positives only cost the exact scan. */
const CANDIDATE = /[:[,]\s*-?\d{16,}/;
const INTEGER_LITERAL = /^-?\d+$/;

export function quoteUnsafeIntegers(text: string): string {
  if (!CANDIDATE.test(text)) return text;
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string literal: skip it, escapes included
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i += 2;
        else {
          i++;
          if (d === 0x22) break;
        }
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        // digits, '.', 'e', 'E', '+', '-'
        if ((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) i++;
        else break;
      }
      const token = text.slice(start, i);
      if (token.length >= 16 && INTEGER_LITERAL.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(copiedUpTo, start)}"${token}"`;
        copiedUpTo = i;
      }
    } else i++;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}
