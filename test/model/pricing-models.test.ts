import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeCost, createPriceTable, defaultPriceTable, normalizeModelId } from '../../src/model/pricing.js';
import type { ModelPrice } from '../../src/model/pricing.js';

const shipped = JSON.parse(readFileSync(new URL('../../src/model/prices.json', import.meta.url), 'utf8')) as {
  models: Record<string, ModelPrice>;
  sources: Record<string, string>;
};
const table = defaultPriceTable();

describe('coding-agent models are priced', () => {
  it.each([
    // Anthropic: every 4.x id, with cache read and write (5-minute) rates.
    'claude-opus-4-8', 'claude-opus-4-7', 'claude-opus-4-6', 'claude-opus-4-5', 'claude-opus-4-1', 'claude-opus-4', 'claude-opus-4-0',
    'claude-sonnet-4-6', 'claude-sonnet-4-5', 'claude-sonnet-4', 'claude-sonnet-4-0', 'claude-haiku-4-5',
    'claude-opus-5', 'claude-sonnet-5',
  ])('%s has input, output, cache-read and cache-write prices', (model) => {
    const price = table.lookup(model)!;
    expect(price).toEqual(shipped.models[model]);
    expect(price.cacheReadPerMTok).toBeCloseTo(price.inputPerMTok / 10, 12);
    expect(price.cacheWritePerMTok).toBeCloseTo(price.inputPerMTok * 1.25, 12);
    expect(price.outputPerMTok).toBe(price.inputPerMTok * 5);
  });

  it.each([
    'gpt-5', 'gpt-5-codex', 'gpt-5.1', 'gpt-5.1-codex', 'gpt-5.1-codex-max', 'gpt-5.1-codex-mini',
    'gpt-5.2', 'gpt-5.2-codex', 'gpt-5.3-codex', 'gpt-5.4', 'gpt-5.4-mini', 'gpt-5.5', 'codex-mini-latest',
  ])('%s has input, output and cached-input prices', (model) => {
    const price = table.lookup(model)!;
    expect(price).toEqual(shipped.models[model]);
    expect(price.cacheReadPerMTok).toBeLessThan(price.inputPerMTok);
    expect(price.outputPerMTok).toBeGreaterThan(price.inputPerMTok);
  });

  it.each([
    'gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite',
    'gemini-3-pro-preview', 'gemini-3-flash-preview', 'gemini-3.1-pro-preview', 'gemini-3.1-flash-lite-preview',
  ])('%s has input and output prices', (model) => {
    const price = table.lookup(model)!;
    expect(price).toEqual(shipped.models[model]);
    expect(price.outputPerMTok).toBeGreaterThan(price.inputPerMTok);
  });

  it('codex variants have their own prices, not their base model\'s', () => {
    expect(table.lookup('gpt-5.1-codex-mini')!.inputPerMTok).toBe(0.25);
    expect(table.lookup('gpt-5.3-codex')!.outputPerMTok).toBe(14);
    expect(table.lookup('codex-mini-latest')!.cacheReadPerMTok).toBe(0.375);
  });

  it('names a source for every shipped model of these families', () => {
    const families = /^(claude-(opus|sonnet|haiku)-[45]|gpt-5|codex-mini|gemini-(2\.5|3))/;
    for (const model of Object.keys(shipped.models).filter((id) => families.test(id))) {
      const prefixes = Object.keys(shipped.sources).filter((prefix) => model.startsWith(prefix));
      const longest = prefixes.sort((a, b) => b.length - a.length)[0];
      expect(longest && shipped.sources[longest], model).toMatch(/^https:\/\//);
    }
  });
});

describe('normalizeModelId', () => {
  it.each([
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['gpt-5-2025-08-07', 'gpt-5'],
    ['claude-opus-4-6[1m]', 'claude-opus-4-6'],
    ['claude-sonnet-4-5-20250929[1m]', 'claude-sonnet-4-5'],
    ['claude-3-5-sonnet-latest', 'claude-3-5-sonnet'],
    ['models/gemini-2.5-pro', 'gemini-2.5-pro'],
    ['openai/gpt-5', 'gpt-5'],
    ['anthropic/claude-haiku-4-5', 'claude-haiku-4-5'],
    ['anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5'],
    ['us.anthropic.claude-opus-4-1-20250805-v1:0', 'claude-opus-4-1'],
    ['global.anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5'],
    ['claude-sonnet-4-5@20250929', 'claude-sonnet-4-5'],
    ['  GPT-5.1-Codex  ', 'gpt-5.1-codex'],
    ['gpt-5.1-codex-mini', 'gpt-5.1-codex-mini'],
  ])('%s → %s', (raw, normalized) => {
    expect(normalizeModelId(raw)).toBe(normalized);
  });

  it('every form looks up the same price', () => {
    expect(table.lookup('claude-sonnet-4-5-20250929[1m]')).toBe(table.lookup('claude-sonnet-4-5'));
    expect(table.lookup('claude-opus-4-6[1m]')).toBe(table.lookup('claude-opus-4-6'));
    expect(table.lookup('gpt-5-codex-2025-09-15')).toBe(table.lookup('gpt-5-codex'));
    expect(table.lookup('openai/gpt-5.1-codex-max')).toBe(table.lookup('gpt-5.1-codex-max'));
    expect(table.lookup('models/gemini-3-pro-preview')).toBe(table.lookup('gemini-3-pro-preview'));
    expect(table.lookup('anthropic.claude-opus-4-1-20250805-v1:0')).toBe(table.lookup('claude-opus-4-1'));
    expect(table.lookup('claude-haiku-4-5-latest')).toBe(table.lookup('claude-haiku-4-5'));
  });

  it('an id whose own entry has a date or -latest keeps it', () => {
    expect(table.lookup('gpt-4o-2024-05-13')!.inputPerMTok).toBe(5);
    expect(table.lookup('chatgpt-4o-latest')!.inputPerMTok).toBe(5);
    expect(table.lookup('openai/gpt-4o-2024-05-13')!.inputPerMTok).toBe(5);
  });
});

describe('a known id does not price a different model', () => {
  it('a newer minor version is unpriced, not priced as its major version', () => {
    expect(table.lookup('claude-opus-4-9')).toBeUndefined();
    expect(table.lookup('claude-sonnet-4-9-20270101')).toBeUndefined();
    // A date after the id is still the same model.
    expect(table.lookup('claude-opus-4-20250514')).toBe(table.lookup('claude-opus-4'));
  });

  it('a smaller or larger tier is unpriced, not priced as the base model', () => {
    expect(table.lookup('gpt-5.4-nano')).toBeUndefined();
    expect(table.lookup('gpt-5-codex-mini')).toBeUndefined();
    expect(table.lookup('gpt-5.2-pro')).toBeUndefined();
    expect(table.lookup('gpt-5.3-codex-spark')).toBeUndefined();
    expect(table.lookup('gemini-3-pro-image-preview')).toBeUndefined();
  });

  it('a suffix that is neither still shares the price', () => {
    expect(table.lookup('gemini-2.5-flash-preview-09-2025')).toBe(table.lookup('gemini-2.5-flash'));
    expect(table.lookup('gemini-2.0-flash-001')).toBe(table.lookup('gemini-2.0-flash'));
    const custom = createPriceTable({ 'acme-llm': { inputPerMTok: 1, outputPerMTok: 1 } }, { includeDefaults: false });
    expect(custom.lookup('acme-llm-v2')).toBeDefined();
  });
});

describe('cost of coding-agent calls', () => {
  it('Claude Code call: Anthropic counts (input excludes cache) billed once each', () => {
    const sonnet = table.lookup('claude-sonnet-4-5-20250929[1m]')!;
    // input_tokens 12, cache_read_tokens 40_000, cache_creation_tokens 2_000, output_tokens 300
    const usd = computeCost(sonnet, { input: 12 + 40_000 + 2_000, cacheRead: 40_000, cacheWrite: 2_000, output: 300 });
    expect(usd).toBeCloseTo((12 * 3 + 40_000 * 0.3 + 2_000 * 3.75 + 300 * 15) / 1e6, 12);
  });

  it('Codex call: OpenAI counts (input includes cached, output includes reasoning)', () => {
    const codex = table.lookup('gpt-5.1-codex-max')!;
    const usd = computeCost(codex, { input: 10_000, cacheRead: 8_000, output: 900, reasoning: 600 });
    expect(usd).toBeCloseTo((2_000 * 1.25 + 8_000 * 0.125 + 900 * 10) / 1e6, 12);
  });
});
