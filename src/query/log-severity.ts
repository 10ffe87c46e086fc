/**
 * OTLP log severities as people name them, for the API's `minSeverity` and the
 * CLI's `--severity`: a level name stands for the lowest number of its range
 * (`warn` is 13, so `minSeverity=warn` keeps WARN…WARN4 and everything worse).
 */

import type { SeverityNumber } from '../model/log-types.js';

/** Level name → the first `SeverityNumber` of its range (logs data model: 1-4 TRACE … 21-24 FATAL). */
export const SEVERITY_LEVELS = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 } as const;
export type SeverityLevel = keyof typeof SEVERITY_LEVELS;
export const SEVERITY_NAMES = Object.keys(SEVERITY_LEVELS) as SeverityLevel[];

/** The largest `SeverityNumber` (FATAL4). */
export const MAX_SEVERITY = 24;

/** What a valid value looks like, in the words of an error message. */
export const SEVERITY_EXPECTED = `a severity number from 0 to ${MAX_SEVERITY} or one of ${SEVERITY_NAMES.join(', ')}`;

/** `warn`, `WARN` or `13` → 13; null when it is none of those. */
export function parseSeverity(raw: string): SeverityNumber | null {
  const value = raw.trim().toLowerCase();
  if (/^\d{1,2}$/.test(value)) {
    const n = Number(value);
    return n <= MAX_SEVERITY ? n : null;
  }
  return Object.hasOwn(SEVERITY_LEVELS, value) ? SEVERITY_LEVELS[value as SeverityLevel] : null;
}

/**
 * The label a reader sees: the level name of the number (`WARN`, `ERROR2`, as
 * the data model's short names), else the sender's own text, else `-`.
 */
export function severityLabel(severityNumber: SeverityNumber, severityText: string): string {
  if (severityNumber >= 1 && severityNumber <= MAX_SEVERITY) {
    const index = Math.floor((severityNumber - 1) / 4);
    const step = (severityNumber - 1) % 4;
    const name = SEVERITY_NAMES[index].toUpperCase();
    return step === 0 ? name : `${name}${step + 1}`;
  }
  return severityText !== '' ? severityText : '-';
}
