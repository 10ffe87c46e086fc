import { describe, expect, it } from 'vitest';
import { computeCost, createPriceTable, defaultPriceTable, priceTableEntries } from '../../src/model/pricing.js';
import type { ModelPrice } from '../../src/model/pricing.js';

const table = defaultPriceTable();

describe('long-context prices', () => {
  const price: ModelPrice = {
    inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75,
    longContext: { aboveInputTokens: 200_000, inputPerMTok: 6, outputPerMTok: 22.5, cacheReadPerMTok: 0.6, cacheWritePerMTok: 7.5 },
  };

  it('a prompt of up to the threshold is billed at the base prices', () => {
    expect(computeCost(price, { input: 200_000, cacheRead: 150_000, output: 1_000 })).toBeCloseTo((50_000 * 3 + 150_000 * 0.3 + 1_000 * 15) / 1e6, 12);
  });

  it('a prompt over the threshold, cache tokens included, bills every token of the call at the long prices', () => {
    expect(computeCost(price, { input: 200_001, cacheRead: 150_000, cacheWrite: 10_000, output: 1_000 })).toBeCloseTo(
      (40_001 * 6 + 150_000 * 0.6 + 10_000 * 7.5 + 1_000 * 22.5) / 1e6,
      12,
    );
  });

  it('counts the cache toward the threshold even when the input left it out', () => {
    expect(computeCost(price, { input: 1_000, cacheRead: 250_000 })).toBeCloseTo((1_000 * 6 + 250_000 * 0.6) / 1e6, 12);
  });

  it('a long price it does not give is the base one', () => {
    const partial: ModelPrice = { inputPerMTok: 2, outputPerMTok: 12, cacheReadPerMTok: 0.2, longContext: { aboveInputTokens: 200_000, inputPerMTok: 4, outputPerMTok: 18 } };
    expect(computeCost(partial, { input: 300_000, cacheRead: 100_000 })).toBeCloseTo((200_000 * 4 + 100_000 * 0.2) / 1e6, 12);
  });

  it('the shipped Claude Sonnet 4 / 4.5 and Gemini Pro prices have their long tier', () => {
    for (const model of ['claude-sonnet-4-5-20250929[1m]', 'claude-sonnet-4-20250514', 'gemini-2.5-pro', 'gemini-3-pro-preview', 'gemini-3.1-pro-preview']) {
      const long = table.lookup(model)!.longContext;
      expect(long?.aboveInputTokens, model).toBe(200_000);
      expect(long!.inputPerMTok, model).toBeGreaterThan(table.lookup(model)!.inputPerMTok);
    }
    const sonnet = table.lookup('claude-sonnet-4-5-20250929[1m]')!;
    expect(computeCost(sonnet, { input: 300_000, output: 1_000 })).toBeCloseTo((300_000 * 6 + 1_000 * 22.5) / 1e6, 12);
  });

  it('is validated, copied and crosses threads as data', () => {
    expect(() => createPriceTable({ bad: { inputPerMTok: 1, outputPerMTok: 1, longContext: { aboveInputTokens: -1, inputPerMTok: 2, outputPerMTok: 2 } } })).toThrow(
      /"bad".*longContext\.aboveInputTokens/,
    );
    expect(() => createPriceTable({ bad: { inputPerMTok: 1, outputPerMTok: 1, longContext: { aboveInputTokens: 10 } as never } })).toThrow(/longContext\.inputPerMTok/);
    const custom = createPriceTable({ acme: price }, { includeDefaults: false });
    const entries = priceTableEntries(custom)!;
    expect(entries.acme).toEqual(price);
    expect(entries.acme!.longContext).not.toBe(price.longContext);
  });
});
