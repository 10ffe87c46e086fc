import { describe, expect, it } from 'vitest';
import { AGENT_TABLES } from '../../src/model/agents/index.js';
import { computeCost, defaultPriceTable } from '../../src/model/pricing.js';
import { TOKEN_CONVENTIONS, tokenUsageFromProvider } from '../../src/model/usage.js';

const table = defaultPriceTable();

describe('tokenUsageFromProvider', () => {
  it('Anthropic: input_tokens excludes cache reads and writes, so they are added to input', () => {
    // A Claude Code api_request: input_tokens 12, cache_read_tokens 40_000, cache_creation_tokens 2_000, output_tokens 300.
    expect(tokenUsageFromProvider({ input: 12, cacheRead: 40_000, cacheWrite: 2_000, output: 300 }, 'anthropic')).toEqual({
      input: 42_012,
      cacheRead: 40_000,
      cacheWrite: 2_000,
      output: 300,
    });
  });

  it('OpenAI: input_tokens / prompt_tokens already include cached tokens and output includes reasoning', () => {
    // A Codex response.completed: input 10_000 of which cached 8_000, output 900 of which reasoning 600.
    const counts = { input: 10_000, cacheRead: 8_000, output: 900, reasoning: 600 };
    expect(tokenUsageFromProvider(counts, 'openai')).toEqual(counts);
  });

  it('Gemini: promptTokenCount includes cached content, candidatesTokenCount excludes thoughts', () => {
    expect(tokenUsageFromProvider({ input: 10_000, cacheRead: 4_000, output: 500, reasoning: 1_500 }, 'gemini')).toEqual({
      input: 10_000,
      cacheRead: 4_000,
      output: 2_000,
      reasoning: 1_500,
    });
  });

  it('takes a convention object and leaves absent counts absent', () => {
    expect(tokenUsageFromProvider({ cacheRead: 5 }, { inputIncludesCache: false, outputIncludesReasoning: true })).toEqual({ input: 5, cacheRead: 5 });
    expect(tokenUsageFromProvider({ output: 7 }, TOKEN_CONVENTIONS.gemini)).toEqual({ output: 7 });
    expect(tokenUsageFromProvider({}, 'anthropic')).toEqual({});
  });
});

describe('cost under both conventions', () => {
  const sonnet = table.lookup('claude-sonnet-4-5-20250929')!;
  const expected = (2_000 * 3 + 8_000 * 0.3 + 1_000 * 3.75 + 500 * 15) / 1e6;

  it('the same call costs the same whether reported Anthropic- or OpenAI-style', () => {
    // 2_000 uncached input, 8_000 cache reads, 1_000 cache writes, 500 output.
    const anthropic = tokenUsageFromProvider({ input: 2_000, cacheRead: 8_000, cacheWrite: 1_000, output: 500 }, 'anthropic');
    const openai = tokenUsageFromProvider({ input: 11_000, cacheRead: 8_000, cacheWrite: 1_000, output: 500 }, 'openai');
    expect(computeCost(sonnet, anthropic)).toBeCloseTo(expected, 12);
    expect(computeCost(sonnet, openai)).toBeCloseTo(expected, 12);
  });

  it('cache reads are billed at the cache rate only, never also at the input rate', () => {
    const gpt = table.lookup('gpt-5.1-codex')!;
    const usd = computeCost(gpt, tokenUsageFromProvider({ input: 100_000, cacheRead: 90_000, output: 0 }, 'openai'));
    expect(usd).toBeCloseTo((10_000 * 1.25 + 90_000 * 0.125) / 1e6, 12);
  });

  it('Gemini thoughts reported beside the output are billed as output once', () => {
    const flash = table.lookup('gemini-2.5-flash')!;
    const usd = computeCost(flash, tokenUsageFromProvider({ input: 1_000, output: 500, reasoning: 1_500 }, 'gemini'));
    expect(usd).toBeCloseTo((1_000 * 0.3 + 2_000 * 2.5) / 1e6, 12);
  });

  it('Anthropic counts that reach computeCost unconverted (cache larger than input) still bill the input', () => {
    // input_tokens 2_000 beside 8_000 cache reads can only mean input excluded them.
    expect(computeCost(sonnet, { input: 2_000, cacheRead: 8_000, cacheWrite: 1_000, output: 500 })).toBeCloseTo(expected, 12);
  });
});

describe("an agent table names its provider's convention (declared once, in usage.ts)", () => {
  it('Claude Code counts the Anthropic way, Codex the OpenAI way, Gemini CLI the Gemini way', () => {
    expect(AGENT_TABLES.map((t) => [t.name, t.tokenConvention])).toStrictEqual([
      ['claude-code', 'anthropic'],
      ['codex', 'openai'],
      ['gemini-cli', 'gemini'],
    ]);
    for (const t of AGENT_TABLES) expect(Object.keys(TOKEN_CONVENTIONS)).toContain(t.tokenConvention);
  });

  it("an agent's usage events are read in its table's convention", () => {
    const joins = AGENT_TABLES.filter((t) => t.usageJoin !== undefined);
    expect(joins.map((t) => t.name)).toStrictEqual(['gemini-cli']);
    for (const t of joins) expect(t.usageJoin?.convention).toBe(t.tokenConvention);
  });

});
