import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeCost, createPriceTable, defaultPriceTable, loadPriceTableFile } from '../../src/model/pricing.js';
import type { ModelPrice } from '../../src/model/pricing.js';

const dir = mkdtempSync(join(tmpdir(), 'skein-prices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeJson(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('shipped price table', () => {
  const shipped = JSON.parse(readFileSync(new URL('../../src/model/prices.json', import.meta.url), 'utf8')) as {
    version: number;
    updated: string;
    models: Record<string, ModelPrice>;
  };

  it('is versioned and dated', () => {
    expect(shipped.version).toBeGreaterThanOrEqual(1);
    expect(Number.isNaN(Date.parse(shipped.updated))).toBe(false);
  });

  it.each([
    'gpt-5', 'gpt-5-mini', 'gpt-4.1', 'gpt-4o', 'gpt-4o-mini', 'o3', 'o4-mini',
    'claude-opus-4-5', 'claude-sonnet-4-5', 'claude-haiku-4-5',
    'gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite',
    'mistral-large', 'mistral-medium', 'mistral-small',
  ])('prices %s', (model) => {
    const price = defaultPriceTable().lookup(model);
    expect(price).toEqual(shipped.models[model]);
    expect(price!.inputPerMTok).toBeGreaterThan(0);
  });

  it('has cache prices where providers discount cached input', () => {
    const table = defaultPriceTable();
    expect(table.lookup('gpt-4o')!.cacheReadPerMTok).toBeLessThan(table.lookup('gpt-4o')!.inputPerMTok);
    const sonnet = table.lookup('claude-sonnet-4-5')!;
    expect(sonnet.cacheReadPerMTok).toBeLessThan(sonnet.inputPerMTok);
    expect(sonnet.cacheWritePerMTok).toBeGreaterThan(sonnet.inputPerMTok);
  });
});

describe('lookup', () => {
  const table = defaultPriceTable();

  it('matches dated and suffixed ids by the longest known prefix', () => {
    expect(table.lookup('gpt-4o-2024-08-06')).toBe(table.lookup('gpt-4o'));
    expect(table.lookup('gpt-4o-mini-2024-07-18')).toBe(table.lookup('gpt-4o-mini'));
    expect(table.lookup('claude-sonnet-4-5-20250929')).toBe(table.lookup('claude-sonnet-4-5'));
    expect(table.lookup('claude-sonnet-4-20250514')).toBe(table.lookup('claude-sonnet-4'));
    expect(table.lookup('claude-sonnet-4-5@20250929')).toBe(table.lookup('claude-sonnet-4-5'));
    expect(table.lookup('gemini-2.5-flash-lite-preview-06-17')).toBe(table.lookup('gemini-2.5-flash-lite'));
  });

  it('an exact id wins over its prefix', () => {
    expect(table.lookup('gpt-4o-2024-05-13')!.inputPerMTok).toBe(5);
    expect(table.lookup('gpt-4o-2024-05-13')).not.toBe(table.lookup('gpt-4o'));
  });

  it('a prefix only matches at a separator', () => {
    expect(table.lookup('gpt-4omega')).toBeUndefined();
    expect(table.lookup('o3x')).toBeUndefined();
  });

  it('ignores case and provider qualifiers', () => {
    expect(table.lookup('GPT-4o')).toBe(table.lookup('gpt-4o'));
    expect(table.lookup('openai/gpt-4o')).toBe(table.lookup('gpt-4o'));
    expect(table.lookup('models/gemini-2.5-pro')).toBe(table.lookup('gemini-2.5-pro'));
    expect(table.lookup('us.anthropic.claude-3-5-haiku-20241022-v1:0')).toBe(table.lookup('claude-3-5-haiku'));
  });

  it('does not know unknown models', () => {
    expect(table.lookup('acme-llm-9000')).toBeUndefined();
    expect(table.lookup('')).toBeUndefined();
    expect(table.lookup('acme-llm-9000')).toBeUndefined();
  });
});

describe('createPriceTable', () => {
  it('overrides a shipped price and extends with new models', () => {
    const table = createPriceTable({
      'gpt-4o': { inputPerMTok: 1, outputPerMTok: 2 },
      'Acme-LLM': { inputPerMTok: 3, outputPerMTok: 4, cacheReadPerMTok: 0.3 },
    });
    expect(table.lookup('gpt-4o-2024-08-06')).toEqual({ inputPerMTok: 1, outputPerMTok: 2 });
    expect(table.lookup('acme-llm-v2')).toEqual({ inputPerMTok: 3, outputPerMTok: 4, cacheReadPerMTok: 0.3 });
    expect(table.lookup('claude-haiku-4-5')).toEqual(defaultPriceTable().lookup('claude-haiku-4-5'));
    // The shipped table is not changed by an override.
    expect(defaultPriceTable().lookup('gpt-4o')!.inputPerMTok).toBe(2.5);
  });

  it('can leave the shipped prices out', () => {
    const table = createPriceTable({ 'acme-llm': { inputPerMTok: 1, outputPerMTok: 1 } }, { includeDefaults: false });
    expect(table.lookup('gpt-4o')).toBeUndefined();
    expect(table.lookup('acme-llm')).toBeDefined();
  });

  it('refuses an invalid price, naming the model', () => {
    expect(() => createPriceTable({ bad: { inputPerMTok: -1, outputPerMTok: 1 } })).toThrow(/"bad".*inputPerMTok/);
    expect(() => createPriceTable({ bad: { inputPerMTok: 1 } as ModelPrice })).toThrow(/outputPerMTok/);
  });
});

describe('loadPriceTableFile', () => {
  it('merges the file over the shipped prices', () => {
    const path = writeJson('prices.json', JSON.stringify({ version: 1, models: { 'acme-llm': { inputPerMTok: 7, outputPerMTok: 8 }, 'gpt-4o': { inputPerMTok: 0.5, outputPerMTok: 0.5 } } }));
    const table = loadPriceTableFile(path);
    expect(table.lookup('acme-llm-2025-01-01')).toEqual({ inputPerMTok: 7, outputPerMTok: 8 });
    expect(table.lookup('gpt-4o')).toEqual({ inputPerMTok: 0.5, outputPerMTok: 0.5 });
    expect(table.lookup('gemini-2.5-pro')).toEqual(defaultPriceTable().lookup('gemini-2.5-pro'));
  });

  it.each([
    ['a missing file', null, /Cannot read price table .*missing\.json/],
    ['invalid JSON', '{"models": {', /Invalid JSON in price table .*invalid-json\.json/],
    ['no models object', '{"version": 1}', /Invalid price table .*no-models-object\.json.*"models"/],
    ['a negative price', '{"models": {"x": {"inputPerMTok": 1, "outputPerMTok": -2}}}', /Invalid price table .*a-negative-price\.json.*models\["x"\].*outputPerMTok/],
    ['a string price', '{"models": {"x": {"inputPerMTok": "1", "outputPerMTok": 2}}}', /a-string-price\.json.*inputPerMTok/],
  ])('names the file on %s', (label, content, message) => {
    const name = label === 'a missing file' ? 'missing.json' : `${label.replace(/ /g, '-').replace(/[^a-z-]/gi, '').toLowerCase()}.json`;
    const path = content === null ? join(dir, name) : writeJson(name, content);
    expect(() => loadPriceTableFile(path)).toThrow(message);
  });
});

describe('computeCost', () => {
  const price: ModelPrice = { inputPerMTok: 2, outputPerMTok: 8, cacheReadPerMTok: 0.5, cacheWritePerMTok: 2.5 };

  it('bills uncached input, cache reads and cache writes each at their price', () => {
    expect(computeCost(price, { input: 1_000_000, cacheRead: 600_000, cacheWrite: 100_000 })).toBeCloseTo(0.3 * 2 + 0.6 * 0.5 + 0.1 * 2.5, 12);
  });

  it('bills cache tokens at the input price when the model has no cache price', () => {
    expect(computeCost({ inputPerMTok: 2, outputPerMTok: 8 }, { input: 1_000_000, cacheRead: 400_000 })).toBeCloseTo(2, 12);
  });

  it('bills reasoning as output unless it has its own price', () => {
    expect(computeCost(price, { output: 1_000_000, reasoning: 400_000 })).toBeCloseTo(8, 12);
    expect(computeCost({ ...price, reasoningPerMTok: 4 }, { output: 1_000_000, reasoning: 400_000 })).toBeCloseTo(0.6 * 8 + 0.4 * 4, 12);
  });

  it('treats reasoning larger than output as reported beside it', () => {
    expect(computeCost(price, { output: 100_000, reasoning: 500_000 })).toBeCloseTo(0.1 * 8 + 0.5 * 8, 12);
  });

  it('is zero for no usage and never negative', () => {
    expect(computeCost(price, {})).toBe(0);
    // Cache reads larger than the input: the input excluded them (Anthropic's count), so all 10 are billed too.
    expect(computeCost(price, { input: 10, cacheRead: 50 })).toBeCloseTo((10 * 2 + 50 * 0.5) / 1e6, 15);
  });
});
