import { describe, expect, it } from 'vitest';
import { normalizeSpan } from '../../src/model/normalize.js';
import { expectedRecord, loadDialectFixture } from './dialect-fixture.js';

const DIALECTS = ['otel-genai', 'openinference', 'traceloop', 'langfuse', 'vercel-ai'] as const;

describe.each(DIALECTS)('dialect fixture %s', (name) => {
  const { dialect, cases } = loadDialectFixture(name);

  it('is the dialect it claims and holds an agent, a model call and a tool call', () => {
    expect(dialect).toBe(name);
    const steps = cases.map((c) => c.expected.stepType);
    expect(steps).toContain('agent');
    expect(steps).toContain('llm');
    expect(steps).toContain('tool');
  });

  it.each(cases.map((c) => [c.raw.name, c] as const))('normalizes %s field by field', (_name, { raw, expected }) => {
    const record = normalizeSpan(raw);
    const want = expectedRecord(raw, expected);
    if (want.cost === null) {
      expect(record.cost).toBeNull();
    } else {
      expect(record.cost?.source).toBe(want.cost.source);
      expect(record.cost?.usd).toBeCloseTo(want.cost.usd, 12);
    }
    expect({ ...record, cost: null }).toEqual({ ...want, cost: null });
    // Nothing was cut, so the raw span is the one that arrived.
    expect(record.raw).toBe(raw);
    expect(record.truncatedLengths).toBeUndefined();
  });
});
