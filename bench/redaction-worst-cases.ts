/**
 * Each built-in detector on its worst-case inputs
 * (test/model/redaction/worst-cases.ts), from 16 KB doubling to 1 MB (or
 * the size given), one redactor per detector with only that detector on.
 * Prints milliseconds per size: linear code doubles with the size, a
 * backtracking pattern quadruples (the sizes stop once one takes over 4 s).
 *
 *   npx tsx bench/redaction-worst-cases.ts [maxBytes]
 */
import { DETECTOR_KINDS } from '../src/model/redaction/detectors.js';
import type { DetectorKind } from '../src/model/redaction/detectors.js';
import { createRedactor } from '../src/model/redaction/redactor.js';
import { WORST_CASES } from '../test/model/redaction/worst-cases.js';

const max = Number(process.argv[2] ?? 1 << 20);
for (const kind of DETECTOR_KINDS) {
  const redactor = createRedactor({
    detectors: Object.fromEntries(DETECTOR_KINDS.map((k) => [k, k === kind])) as Record<DetectorKind, boolean>,
  });
  for (const c of WORST_CASES[kind]) {
    const row: string[] = [];
    for (let size = 16_384; size <= max; size *= 2) {
      const text = c.build(size);
      const start = performance.now();
      redactor.redactText(text);
      const ms = performance.now() - start;
      row.push(`${size >> 10}K:${ms.toFixed(1)}`);
      if (ms > 4000) break;
    }
    console.log(`${kind.padEnd(15)} ${c.label.padEnd(55)} ${row.join(' ')}`);
  }
}
