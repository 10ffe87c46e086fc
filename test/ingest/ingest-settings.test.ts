import { describe, expect, it } from 'vitest';
import { createIngest, crossesThreads, resolveIngestSettings } from '../../src/ingest/ingest-settings.js';
import { createPriceTable } from '../../src/model/pricing.js';
import { makeRawSpan } from '../helpers/raw-spans.js';

const HOUSE = { 'house-model': { inputPerMTok: 1_000_000, outputPerMTok: 0 } };
const houseCall = () =>
  makeRawSpan({ attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'house-model', 'gen_ai.usage.input_tokens': 2 } });

describe('resolveIngestSettings', () => {
  it('takes each option over the config file\'s section, field by field', () => {
    const settings = resolveIngestSettings({
      config: { redaction: { denyKeys: ['file.*'] }, maxTextLength: 100, budgets: { session: { maxCostUsd: 1 } } },
      maxTextLength: 50,
      upstreams: ['http://up.example/v1/traces'],
    });
    expect(settings).toEqual({
      redaction: { denyKeys: ['file.*'] },
      maxTextLength: 50,
      prices: undefined,
      budgets: { session: { maxCostUsd: 1 } },
      storeMode: 'all',
      upstreams: ['http://up.example/v1/traces'],
    });
  });

  it('drops a budget config without any limit', () => {
    expect(resolveIngestSettings({ budgets: { warnAtFraction: 0.5 } }).budgets).toBeUndefined();
  });

  it('carries a table made by createPriceTable as data, which survives structured clone and prices the same', () => {
    const settings = resolveIngestSettings({ prices: createPriceTable(HOUSE) });
    expect(crossesThreads(settings)).toBe(true);
    const copy = structuredClone(settings);
    expect(createIngest(copy).normalize(houseCall()).cost).toMatchObject({ usd: 2, source: 'computed' });
  });

  it("keeps a table of the app's own making on this thread only", () => {
    const own = { lookup: (model: string) => (model === 'house-model' ? HOUSE['house-model'] : undefined) };
    const settings = resolveIngestSettings({ prices: own });
    expect(crossesThreads(settings)).toBe(false);
    expect(settings.prices).toBeUndefined();
    expect(createIngest(settings).normalize(houseCall()).cost).toMatchObject({ usd: 2, source: 'computed' });
  });
});

describe('createIngest', () => {
  it('redacts while normalizing, and keeps only GenAI records in genai store mode', () => {
    const ingest = createIngest(resolveIngestSettings({ storeMode: 'genai' }));
    const record = ingest.normalize(makeRawSpan({ attributes: { 'app.token': `sk-proj-${'x1Y2'.repeat(12)}` } }));
    expect(String(record.raw.attributes['app.token'])).toMatch(/^\[REDACTED:/);
    expect(record.counts.redacted).toBe(1);
    expect(ingest.keep?.(record)).toBe(false);
    expect(ingest.keep?.(ingest.normalize(houseCall()))).toBe(true);
    expect(createIngest(resolveIngestSettings({})).keep).toBeUndefined();
  });

  it('refuses a maxTextLength that is not a positive integer', () => {
    expect(() => createIngest(resolveIngestSettings({ maxTextLength: 0 }))).toThrow(RangeError);
  });
});
