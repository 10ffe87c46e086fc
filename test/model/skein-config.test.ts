import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetConfigError } from '../../src/model/budgets.js';
import { RedactionConfigError } from '../../src/model/redaction/redaction-pattern.js';
import { SkeinConfigError, loadSkeinConfigFile, parseSkeinConfig } from '../../src/model/skein-config.js';

describe('skein.config.json', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, value: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };

  it('reads every section; a prices path is relative to the config file', () => {
    write('my-prices.json', { models: { 'house-model': { inputPerMTok: 1, outputPerMTok: 2 } } });
    const file = write('skein.config.json', {
      $schema: 'https://example.invalid/skein.schema.json',
      budgets: { session: { maxTokens: 10 } },
      redaction: { enabled: false },
      prices: './my-prices.json',
      interruptAfterSeconds: 30,
      maxTextLength: 65536,
    });
    const config = loadSkeinConfigFile(file);
    expect(config.source).toBe(file);
    expect(config.budgets).toEqual({ session: { maxTokens: 10 } });
    expect(config.redaction).toEqual({ enabled: false });
    expect(config.interruptAfterSeconds).toBe(30);
    expect(config.maxTextLength).toBe(65536);
    expect(config.prices?.lookup('house-model')).toEqual({ inputPerMTok: 1, outputPerMTok: 2 });
    // Over the shipped table, not instead of it.
    expect(config.prices?.lookup('gpt-4o')).toBeDefined();
  });

  it('takes an inline price table', () => {
    const config = parseSkeinConfig({ prices: { models: { 'inline-model': { inputPerMTok: 3, outputPerMTok: 4 } } } }, 'cfg.json', dir);
    expect(config.prices?.lookup('inline-model')).toEqual({ inputPerMTok: 3, outputPerMTok: 4 });
    expect(config).not.toHaveProperty('budgets');
  });

  it.each([
    [[1], SkeinConfigError, 'cfg.json: must be a JSON object'],
    [{ budgets: { session: { maxTokens: 'many' } } }, BudgetConfigError, 'cfg.json: budgets.session.maxTokens'],
    [{ redaction: { detectors: { nope: true } } }, RedactionConfigError, 'cfg.json: redaction.detectors.nope'],
    [{ prices: 42 }, SkeinConfigError, 'cfg.json: prices: must be a path to a price file or { "models"'],
    [{ prices: { models: { m: { inputPerMTok: -1, outputPerMTok: 1 } } } }, SkeinConfigError, 'cfg.json: prices.models: Invalid price for model "m"'],
    [{ interruptAfterSeconds: -1 }, SkeinConfigError, 'cfg.json: interruptAfterSeconds: must be a number of seconds'],
    [{ maxTextLength: 0 }, SkeinConfigError, 'cfg.json: maxTextLength: must be a whole number from 1 to 1073741824 (characters), got 0'],
    [{ maxTextLength: 40.5 }, SkeinConfigError, 'cfg.json: maxTextLength: must be a whole number'],
    [{ maxTextLength: '64k' }, SkeinConfigError, 'cfg.json: maxTextLength: must be a whole number from 1 to 1073741824 (characters), got "64k"'],
    [{ maxTextLength: 2 ** 31 }, SkeinConfigError, 'cfg.json: maxTextLength: must be a whole number'],
    [{ colour: true }, SkeinConfigError, 'cfg.json: colour: unknown field'],
  ])('refuses %j with an error naming the file and field', (json, type, message) => {
    expect(() => parseSkeinConfig(json, 'cfg.json', dir)).toThrow(type);
    expect(() => parseSkeinConfig(json, 'cfg.json', dir)).toThrow(message);
  });

  it('names the file when it cannot be read or parsed', () => {
    expect(() => loadSkeinConfigFile(join(dir, 'missing.json'))).toThrow(`cannot read config file ${join(dir, 'missing.json')}`);
    const broken = write('broken.json', '{"budgets": }');
    expect(() => loadSkeinConfigFile(broken)).toThrow(`${broken}: invalid JSON`);
    const badPrices = write('bad-prices.json', { prices: './nope.json' });
    expect(() => loadSkeinConfigFile(badPrices)).toThrow(`${badPrices}: prices: Cannot read price table ${join(dir, 'nope.json')}`);
  });
});
