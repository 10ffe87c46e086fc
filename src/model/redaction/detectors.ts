/**
 * The built-in secret detectors: what each looks for, and the cheap check
 * that must pass before its full pattern is worth running.
 *
 * Patterns are written against real token formats, so a word that merely
 * starts like a key (`sk-learn`, "the bearer of bad news", a 16-digit id that
 * fails the Luhn check) is kept.
 *
 * Every detector runs in time linear in the text's length, whatever the text
 * (a hostile client controls it, and the writer thread it holds is shared):
 * - A pattern never fails after an unbounded run it could then retry from a
 *   later start inside that run. Where a token must not be followed by some
 *   character, the run is matched whole and the character checked in
 *   `accept`: a rejected match is consumed, not rescanned from each of its
 *   positions (`xoxb-xoxb-…_` would otherwise cost a scan per `xoxb-`).
 * - A run with a minimum length is written `X{n}X*`, not `X{n,}`: V8 keeps
 *   a backtracking entry per character for the latter and throws "Maximum
 *   call stack size exceeded" on runs of a few megabytes.
 * - The private key and e-mail detectors are scanners (`find`): candidates
 *   found with `indexOf`, each region of the text read a bounded number of
 *   times.
 * test/model/redaction/linear-time.test.ts holds each detector's worst case.
 */

export const DETECTOR_KINDS = [
  'openai-key',
  'anthropic-key',
  'aws-access-key',
  'github-token',
  'google-api-key',
  'slack-token',
  'bearer-token',
  'jwt',
  'private-key',
  'card-number',
  'email',
] as const;

export type DetectorKind = (typeof DETECTOR_KINDS)[number];

/** Off unless asked for: addresses are often the point of a trace (a support agent's customer), not a leak. */
export const DETECTORS_OFF_BY_DEFAULT: readonly DetectorKind[] = ['email'];

interface DetectorBase {
  kind: DetectorKind;
  /**
   * True for every text the pattern can match in (false positives allowed).
   * Mostly `includes` of a literal with an uncommon first character: V8
   * scans for those an order of magnitude faster than any regex walks a
   * string, so a text without secrets costs a few vectorised scans.
   */
  quick: (text: string) => boolean;
  /** Shortest text the pattern can match: shorter strings are not scanned for it. */
  minLength: number;
}

export interface PatternDetector extends DetectorBase {
  /**
   * Global; run only when `quick` says the text may hold a match. Capture group
   * 1, where the pattern has one and it matched, is context kept in front of
   * the redaction marker (`Bearer `, `aws_secret_access_key=`).
   */
  pattern: RegExp;
  /**
   * Rejects matches that look right but are not secrets (a card number failing
   * Luhn, a token followed by a character tokens do not end before). A
   * rejected match is kept and the search goes on after it.
   */
  accept?: (match: string, offset: number, text: string) => boolean;
}

export interface ScanningDetector extends DetectorBase {
  /** Start and end offsets of every match, in order, not overlapping. */
  find: (text: string) => number[];
}

export type Detector = PatternDetector | ScanningDetector;

const BEARER = /bearer\s/i;
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Could hold 13 digits: short ids with a few digits (`gpt-4o-2024-08-06`) are counted, not regex-scanned. */
function mayHoldCardNumber(text: string): boolean {
  let found = false;
  for (const digit of DIGITS) {
    if (text.includes(digit)) {
      found = true;
      break;
    }
  }
  if (!found) return false;
  if (text.length > 64) return true;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57 && ++digits >= 13) return true;
  }
  return false;
}

// The same characters stop every token pattern, so `"sk-…"` inside JSON ends at the quote.
// Only after a run of exactly these characters: the lookahead then cannot fail.
const TOKEN_END = '(?![A-Za-z0-9_-])';
const UNDERSCORE = 95;
/** For a token whose run excludes `_` (but ends before it, as TOKEN_END says): not when `_` follows. */
const notBeforeUnderscore = (match: string, offset: number, text: string): boolean =>
  text.charCodeAt(offset + match.length) !== UNDERSCORE;

const DETECTORS: readonly Detector[] = [
  {
    // Before openai-key: an Anthropic key also starts with `sk-`.
    kind: 'anthropic-key',
    minLength: 32,
    pattern: new RegExp(`\\bsk-ant-(?:api|admin|sid|oat)\\d{2}-[A-Za-z0-9_-]{20}[A-Za-z0-9_-]*${TOKEN_END}`, 'g'),
    quick: (text) => text.includes('k-ant-'),
  },
  {
    kind: 'openai-key',
    minLength: 28,
    // Project, service-account and admin keys carry hyphens; legacy keys are one alphanumeric run
    // (which may not end before `_` or `-`: it cannot hold another `sk-`, so no later start is lost).
    pattern: new RegExp(
      `\\bsk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20}[A-Za-z0-9_-]*${TOKEN_END}|[A-Za-z0-9]{32}[A-Za-z0-9]*${TOKEN_END})`,
      'g',
    ),
    quick: (text) => text.includes('k-'),
  },
  {
    kind: 'aws-access-key',
    minLength: 20,
    // Access key ids are self-describing; a secret access key is only recognisable next to its name.
    pattern: new RegExp(
      '\\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])' +
        '|((?:secret[-_]?access[-_]?key|SECRET[-_]?ACCESS[-_]?KEY|SecretAccessKey)["\']?\\s*[:=]\\s*["\']?)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])',
      'g',
    ),
    quick: (text) => text.includes('IA') || text.includes('ACCA') || text.includes('ccess') || text.includes('CCESS'),
  },
  {
    kind: 'github-token',
    minLength: 40,
    // A run that may not end before `_` or `-` holds no other start: a start needs `_` or a word boundary.
    pattern: new RegExp(`\\b(?:gh[pousr]_[A-Za-z0-9]{36}[A-Za-z0-9]*|github_pat_[A-Za-z0-9_]{60}[A-Za-z0-9_]*)${TOKEN_END}`, 'g'),
    quick: (text) => text.includes('_'),
  },
  {
    kind: 'google-api-key',
    minLength: 35,
    pattern: new RegExp(`\\b(?:AIza[A-Za-z0-9_-]{35}|ya29\\.[A-Za-z0-9_-]{30}[A-Za-z0-9_-]*)${TOKEN_END}`, 'g'),
    quick: (text) => text.includes('AIza') || text.includes('ya29.'),
  },
  {
    kind: 'slack-token',
    minLength: 15,
    // The run holds `-`, so every `-xoxb-` inside it is another start: a lookahead failing at its
    // end (on `_`) would rescan the run from each of them. `accept` checks that character instead.
    pattern: new RegExp(
      '\\bxox[abposre]-[A-Za-z0-9-]{10}[A-Za-z0-9-]*|\\bxapp-\\d-[A-Za-z0-9-]{10}[A-Za-z0-9-]*' +
        '|https://hooks\\.slack\\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20}[A-Za-z0-9/_-]*',
      'g',
    ),
    quick: (text) => text.includes('xox') || text.includes('xapp-') || text.includes('.slack.com'),
    accept: (match, offset, text) => match.startsWith('https:') || notBeforeUnderscore(match, offset, text),
  },
  {
    // Only the credential goes: `Authorization: Bearer [REDACTED:bearer-token]` still reads as what it was.
    kind: 'bearer-token',
    minLength: 23,
    pattern: /\b(bearer\s+)[A-Za-z0-9._~+/-]{16}[A-Za-z0-9._~+/-]*=*/gi,
    // A regex beats indexOf here: it skips ahead on the whole word, case-insensitively.
    quick: (text) => BEARER.test(text),
  },
  {
    kind: 'jwt',
    minLength: 24,
    // Header, then payload and signature as an optional part: a header not followed by them is
    // matched and rejected whole, never rescanned from each `-eyJ` inside it.
    pattern: /\beyJ[A-Za-z0-9_-]{8}[A-Za-z0-9_-]*(?:\.eyJ[A-Za-z0-9_-]{8}[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g,
    // The payload, not the header: `eyJ` alone is common enough in base64 to be worth skipping on.
    quick: (text) => text.includes('.eyJ'),
    accept: (match) => match.includes('.'),
  },
  {
    // A key cut short (by an upstream limit) is removed to where its base64 body ends;
    // `\\n` covers a key written inside a JSON string.
    kind: 'private-key',
    minLength: 26,
    find: findPrivateKeys,
    quick: (text) => text.includes('-----BEGIN'),
  },
  {
    kind: 'card-number',
    minLength: 13,
    // Every layout (4-4-4-4, 4-6-5, unbroken) opens with four digits then two. Not after a digit,
    // `.` or `-` (the tail of a longer number: a version, an id, a decimal); the lookbehind also
    // keeps a long run of digits from being tried ~20 steps deep at each of its positions.
    pattern: /(?<![\d.-])\d\d\d\d[ -]?\d\d(?:[ -]?\d){7,13}(?!\d)/g,
    quick: mayHoldCardNumber,
    accept: (match) => isCardNumber(match),
  },
  {
    kind: 'email',
    minLength: 6,
    find: findEmails,
    quick: (text) => text.includes('@'),
  },
];

export function builtinDetectors(): readonly Detector[] {
  return DETECTORS;
}

const BEGIN = '-----BEGIN';
const END = '-----END';
const DASHES = '-----';
const PRIVATE_KEY = 'PRIVATE KEY';

const isUpperOrDigit = (code: number): boolean => (code >= 65 && code <= 90) || (code >= 48 && code <= 57);

/**
 * Where the header opened by `-----BEGIN`/`-----END` at `at` ends: its run of
 * `[A-Z0-9 ]` must close with `PRIVATE KEY` and be followed by `-----`
 * (`-----BEGIN RSA PRIVATE KEY-----`). -1 when it is another header.
 */
function pemHeaderEnd(text: string, at: number, word: string): number {
  const from = at + word.length;
  let i = from;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (!isUpperOrDigit(code) && code !== 32) break;
    i++;
  }
  if (i - from < PRIVATE_KEY.length || !text.startsWith(PRIVATE_KEY, i - PRIVATE_KEY.length) || !text.startsWith(DASHES, i)) return -1;
  return i + DASHES.length;
}

/** A character of a PEM body: base64, header fields (`Proc-Type: 4,ENCRYPTED`), line breaks. */
function isPemBodyChar(code: number): boolean {
  return (
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    (code >= 48 && code <= 57) ||
    code === 43 || // +
    code === 47 || // /
    code === 61 || // =
    code === 58 || // :
    code === 44 || // ,
    code === 32 ||
    code === 9 ||
    code === 13 ||
    code === 10 ||
    code === 45 // -
  );
}

/**
 * PEM private keys: from `-----BEGIN … PRIVATE KEY-----` to the first
 * `-----END … PRIVATE KEY-----` after it, or, when there is none (a key cut
 * short by an upstream limit), to where its body ends (`\n` written out
 * counts: a key inside a JSON string). The END search is done once per
 * region: after a BEGIN with no END after it, no later BEGIN has one either.
 */
function findPrivateKeys(text: string): number[] {
  const found: number[] = [];
  // The next complete END header: its start (-2 not looked for yet, -1 none left) and end.
  let endStart = -2;
  let endStop = 0;
  let from = 0;
  for (;;) {
    const begin = text.indexOf(BEGIN, from);
    if (begin < 0) break;
    const bodyStart = pemHeaderEnd(text, begin, BEGIN);
    if (bodyStart < 0) {
      from = begin + 1;
      continue;
    }
    if (endStart !== -1 && endStart < bodyStart) {
      endStart = -1;
      for (let at = text.indexOf(END, bodyStart); at >= 0; at = text.indexOf(END, at + 1)) {
        const stop = pemHeaderEnd(text, at, END);
        if (stop >= 0) {
          endStart = at;
          endStop = stop;
          break;
        }
      }
    }
    let stop = endStop;
    if (endStart < 0) {
      stop = bodyStart;
      while (stop < text.length) {
        const code = text.charCodeAt(stop);
        if (isPemBodyChar(code)) stop++;
        else if (code === 92 && isEscapedBreak(text.charCodeAt(stop + 1))) stop += 2;
        else break;
      }
    }
    found.push(begin, stop);
    from = stop;
  }
  return found;
}

/** `n`, `r` or `t` after a backslash: a line break written inside a JSON string. */
const isEscapedBreak = (code: number): boolean => code === 110 || code === 114 || code === 116;

const isWordChar = (code: number): boolean =>
  (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === UNDERSCORE;

/** `[A-Za-z0-9._%+-]`: what the part of an address before `@` is made of. */
const isLocalPartChar = (code: number): boolean =>
  isWordChar(code) || code === 46 || code === 37 || code === 43 || code === 45;

/**
 * After the `@`: labels, then a dot and a top-level domain of letters ending
 * at a word boundary. Labels and their count are bounded as DNS bounds them
 * (63 characters, 127 labels), so a hostile domain is read a bounded number of
 * steps from each `@`, and V8 never needs a backtracking entry per label.
 */
const EMAIL_DOMAIN = /@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,126}\.[A-Za-z]{2,63}\b/y;

/**
 * E-mail addresses, found from each `@`: the part before it is the run of
 * address characters back to the previous `@` or match (from its first word
 * boundary, as `\b` would have it), the part after it is `EMAIL_DOMAIN`.
 * Both parts of consecutive `@`s are disjoint, so the text is read about twice.
 */
function findEmails(text: string): number[] {
  const found: number[] = [];
  let floor = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let runStart = at;
    while (runStart > floor && isLocalPartChar(text.charCodeAt(runStart - 1))) runStart--;
    // The first position of the run at a word boundary.
    let start = runStart;
    while (start < at && isWordChar(text.charCodeAt(start - 1)) === isWordChar(text.charCodeAt(start))) start++;
    if (start < at) {
      EMAIL_DOMAIN.lastIndex = at;
      if (EMAIL_DOMAIN.test(text)) {
        found.push(start, EMAIL_DOMAIN.lastIndex);
        floor = EMAIL_DOMAIN.lastIndex;
        at = floor - 1;
        continue;
      }
    }
    floor = at + 1;
  }
  return found;
}

/**
 * 13–19 digits, with no separators or one kind of separator, starting like an
 * issued card (Amex/Diners 3, Visa 4, Mastercard 2/5, Discover/UnionPay 6),
 * passing Luhn. Nanosecond timestamps start with 1 and are never taken.
 */
export function isCardNumber(text: string): boolean {
  let separator = '';
  let digits = 0;
  let sum = 0;
  // Luhn from the right: every second digit doubled.
  for (let i = text.length - 1; i >= 0; i--) {
    const code = text.charCodeAt(i);
    if (code === 32 || code === 45) {
      const ch = text[i];
      if (separator === '') separator = ch;
      else if (separator !== ch) return false;
      continue;
    }
    let digit = code - 48;
    if (digits % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    digits++;
  }
  if (digits < 13 || digits > 19) return false;
  const first = text.charCodeAt(0) - 48;
  if (first < 2 || first > 6) return false;
  return sum % 10 === 0;
}
