/**
 * Every built-in detector runs in time linear in the length of the value,
 * on the input built to make it slowest (test/model/redaction/worst-cases.ts):
 * a 1.1 KB gzip request once held the collector's writer thread for 28 s
 * with `'x.eyJ ' + 'eyJaaaaaaaa-'.repeat(k)`.
 *
 * No wall-clock limits: each redaction is compared with a plain scan of the
 * same value timed in the same test (a char loop), and with itself at a
 * sixteenth of the size. The fastest of several interleaved runs is kept, and a
 * case is measured up to three times, so a garbage collection or a busy
 * neighbour on a shared machine does not decide the outcome: linear code gets
 * within the bounds in one of the rounds, quadratic code in none.
 */
import { describe, expect, it } from 'vitest';
import { DETECTOR_KINDS, builtinDetectors } from '../../../src/model/redaction/detectors.js';
import type { DetectorKind } from '../../../src/model/redaction/detectors.js';
import { createRedactor } from '../../../src/model/redaction/redactor.js';
import { WORST_CASES } from './worst-cases.js';

const SMALL = 64 * 1024;
const LARGE = 1024 * 1024;
/**
 * Redacting 1 MB may cost this many plain scans of it. Linear detectors stay
 * under 40 here; a quadratic one costs thousands (the JWT case took 10 s at 256 KB).
 */
const MAX_SCANS = 250;
/**
 * 16× the text: 16× the time when linear, 256× when quadratic. Linear code was
 * measured at 13–38× on a busy 2-core machine (64 KB fits the caches and V8's
 * young generation, 1 MB does not). With 256 KB against 1 MB (4×: 4× linear,
 * 16× quadratic) the JWT detector measured 10.3–11.7× in CI, too close to the
 * quadratic figure to tell them apart.
 */
const MAX_GROWTH = 64;
const ROUNDS = 3;

function time(work: () => unknown): number {
  const start = performance.now();
  work();
  // A timer's resolution: a run too fast to measure counts as one tick.
  return Math.max(performance.now() - start, 0.005);
}

interface Measured {
  small: number;
  large: number;
  scan: number;
}

/**
 * Fastest of 5 interleaved runs of each: redact 64 KB, redact 1 MB, plain scan of 1 MB. Each
 * redaction by a redactor made for it, before the clock starts: a redactor remembers the long
 * texts it has redacted (redactor.ts), and a text found again is not scanned.
 */
function measure(fresh: () => (text: string) => unknown, small: string, large: string): Measured {
  const best: Measured = { small: Infinity, large: Infinity, scan: Infinity };
  for (let i = 0; i < 5; i++) {
    const redactSmall = fresh();
    best.small = Math.min(best.small, time(() => redactSmall(small)));
    const redactLarge = fresh();
    best.large = Math.min(best.large, time(() => redactLarge(large)));
    best.scan = Math.min(best.scan, time(() => plainScan(large)));
  }
  return best;
}

let sink = 0;
/** The cheapest thing that reads every character of `value`. */
function plainScan(value: string): void {
  let sum = 0;
  for (let i = 0; i < value.length; i++) sum = (sum + value.charCodeAt(i)) | 0;
  sink ^= sum;
}

const only = (kind: DetectorKind) =>
  createRedactor({ detectors: Object.fromEntries(DETECTOR_KINDS.map((k) => [k, k === kind])) as Record<DetectorKind, boolean> });

describe('every built-in detector runs in linear time on its worst case', () => {
  const cases = DETECTOR_KINDS.flatMap((kind) => WORST_CASES[kind].map((c) => [kind, c.label, c] as const));

  it('each detector has worst cases, and each of them gets past its quick check to the full scan', () => {
    for (const kind of DETECTOR_KINDS) expect(WORST_CASES[kind].length, kind).toBeGreaterThan(0);
    for (const [kind, label, c] of cases) {
      const detector = builtinDetectors().find((d) => d.kind === kind)!;
      expect(detector.quick(c.build(SMALL)), `${kind}: ${label}`).toBe(true);
    }
  });

  it.each(cases)('%s: %s', (kind, _label, c) => {
    const fresh = () => {
      const redactor = only(kind);
      return (text: string) => redactor.redactText(text);
    };
    const small = c.build(SMALL);
    const large = c.build(LARGE);
    // Warm up the regular expressions and the scan loop (V8 compiles both on first use).
    fresh()(small.slice(0, 65_536));
    plainScan(large);

    const rounds: string[] = [];
    let scans = Infinity;
    let growth = Infinity;
    for (let round = 0; round < ROUNDS && (scans > MAX_SCANS || growth > MAX_GROWTH); round++) {
      const m = measure(fresh, small, large);
      scans = Math.min(scans, m.large / m.scan);
      growth = Math.min(growth, m.large / m.small);
      rounds.push(`redact 64 KB ${m.small.toFixed(2)} ms, 1 MB ${m.large.toFixed(2)} ms; plain scan of 1 MB ${m.scan.toFixed(2)} ms`);
    }
    const measured = rounds.join('\n');
    expect(scans, measured).toBeLessThanOrEqual(MAX_SCANS);
    expect(growth, measured).toBeLessThanOrEqual(MAX_GROWTH);
  }, 120_000);

  it('a run of 16 MB after a token prefix is redacted, not refused by V8 ("Maximum call stack size exceeded")', () => {
    const run = 'a'.repeat(16 * 1024 * 1024);
    const texts: Array<[DetectorKind, string, string]> = [
      ['anthropic-key', `sk-ant-api03-${run}`, '[REDACTED:anthropic-key]'],
      ['openai-key', `sk-proj-${run}`, '[REDACTED:openai-key]'],
      ['openai-key', `sk-${run}_`, `sk-${run}_`],
      ['github-token', `ghp_${run}_`, `ghp_${run}_`],
      ['private-key', `-----BEGIN PRIVATE KEY-----\n${run}`, '[REDACTED:private-key]'],
    ];
    for (const [kind, text, expected] of texts) {
      const result = only(kind).redactText(text);
      expect(result.text === expected, kind).toBe(true);
    }
    expect(typeof sink).toBe('number');
  }, 120_000);
});
