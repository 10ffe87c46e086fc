/**
 * The built-in secret detectors: what each looks for, and the cheap check
 * that must pass before its full pattern is worth running.
 *
 * Patterns are written against real token formats, so a word that merely
 * starts like a key (`sk-learn`, "the bearer of bad news", a 16-digit id that
 * fails the Luhn check) is kept.
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

export interface Detector {
  kind: DetectorKind;
  /**
   * Global; run only when `quick` says the text may hold a match. Capture group
   * 1, where the pattern has one and it matched, is context kept in front of
   * the redaction marker (`Bearer `, `aws_secret_access_key=`).
   */
  pattern: RegExp;
  /**
   * True for every text the pattern can match in (false positives allowed).
   * Mostly `includes` of a literal with an uncommon first character: V8
   * scans for those an order of magnitude faster than any regex walks a
   * string, so a text without secrets costs a few vectorised scans.
   */
  quick: (text: string) => boolean;
  /** Rejects matches that look right but are not secrets (a card number failing Luhn). */
  accept?: (match: string, offset: number, text: string) => boolean;
  /** Shortest text the pattern can match: shorter strings are not scanned for it. */
  minLength: number;
}

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
const TOKEN_END = '(?![A-Za-z0-9_-])';

const DETECTORS: readonly Detector[] = [
  {
    // Before openai-key: an Anthropic key also starts with `sk-`.
    kind: 'anthropic-key',
    minLength: 32,
    pattern: new RegExp(`\\bsk-ant-(?:api|admin|sid|oat)\\d{2}-[A-Za-z0-9_-]{20,}${TOKEN_END}`, 'g'),
    quick: (text) => text.includes('k-ant-'),
  },
  {
    kind: 'openai-key',
    minLength: 28,
    // Project, service-account and admin keys carry hyphens; legacy keys are one alphanumeric run.
    pattern: new RegExp(
      `\\bsk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}${TOKEN_END}|[A-Za-z0-9]{32,}${TOKEN_END})`,
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
    pattern: new RegExp(`\\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})${TOKEN_END}`, 'g'),
    quick: (text) => text.includes('_'),
  },
  {
    kind: 'google-api-key',
    minLength: 35,
    pattern: new RegExp(`\\b(?:AIza[A-Za-z0-9_-]{35}|ya29\\.[A-Za-z0-9_-]{30,})${TOKEN_END}`, 'g'),
    quick: (text) => text.includes('AIza') || text.includes('ya29.'),
  },
  {
    kind: 'slack-token',
    minLength: 15,
    pattern: new RegExp(
      `\\bxox[abposre]-[A-Za-z0-9-]{10,}${TOKEN_END}|\\bxapp-\\d-[A-Za-z0-9-]{10,}${TOKEN_END}` +
        '|https://hooks\\.slack\\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,}',
      'g',
    ),
    quick: (text) => text.includes('xox') || text.includes('xapp-') || text.includes('.slack.com'),
  },
  {
    // Only the credential goes: `Authorization: Bearer [REDACTED:bearer-token]` still reads as what it was.
    kind: 'bearer-token',
    minLength: 23,
    pattern: /\b(bearer\s+)[A-Za-z0-9._~+/-]{16,}=*/gi,
    // A regex beats indexOf here: it skips ahead on the whole word, case-insensitively.
    quick: (text) => BEARER.test(text),
  },
  {
    kind: 'jwt',
    minLength: 24,
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
    // The payload, not the header: `eyJ` alone is common enough in base64 to be worth skipping on.
    quick: (text) => text.includes('.eyJ'),
  },
  {
    // A key cut short (by an upstream limit) is removed to where its base64 body ends;
    // `\\n` covers a key written inside a JSON string.
    kind: 'private-key',
    minLength: 26,
    pattern:
      /-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY-----|(?:[A-Za-z0-9+/=:, \t\r\n-]|\\[nrt])*)/g,
    quick: (text) => text.includes('-----BEGIN'),
  },
  {
    kind: 'card-number',
    minLength: 13,
    // Every layout (4-4-4-4, 4-6-5, unbroken) opens with four digits then two; no lookbehind in
    // the pattern (it would run at every position): what precedes a match is checked in `accept`.
    pattern: /\d\d\d\d[ -]?\d\d(?:[ -]?\d){7,13}(?!\d)/g,
    quick: mayHoldCardNumber,
    accept: (match, offset, text) => !continuesNumber(text, offset) && isCardNumber(match),
  },
  {
    kind: 'email',
    minLength: 6,
    pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g,
    quick: (text) => text.includes('@'),
  },
];

export function builtinDetectors(): readonly Detector[] {
  return DETECTORS;
}

/** A match right after a digit, `.` or `-` is the tail of a longer number (a version, an id, a decimal). */
function continuesNumber(text: string, offset: number): boolean {
  if (offset === 0) return false;
  const code = text.charCodeAt(offset - 1);
  return (code >= 48 && code <= 57) || code === 46 || code === 45;
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
