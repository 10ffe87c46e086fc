import { describe, expect, it } from 'vitest';
import { numberOption, optionalNumberOption, OptionValueError } from '../../src/model/option-values.js';

describe('numberOption', () => {
  it('takes the fallback for undefined and null, the value otherwise', () => {
    expect(numberOption('X', 'a', undefined, 5)).toBe(5);
    expect(numberOption('X', 'a', null, 5)).toBe(5);
    expect(numberOption('X', 'a', 0, 5, { min: 0 })).toBe(0);
    expect(optionalNumberOption('X', 'a', undefined)).toBeUndefined();
    expect(optionalNumberOption('X', 'a', 3, { min: 1 })).toBe(3);
  });

  it('refuses NaN, infinities, strings, fractions and out-of-range values, naming the option', () => {
    expect(() => numberOption('OutboxForwarder', 'initialBackoffMillis', Number.NaN, 500)).toThrow(
      'OutboxForwarder: initialBackoffMillis must be a finite number, got NaN',
    );
    expect(() => numberOption('X', 'b', Infinity, 1)).toThrow(OptionValueError);
    expect(() => numberOption('X', 'b', '5' as unknown as number, 1)).toThrow('X: b must be a finite number, got "5"');
    expect(() => numberOption('X', 'c', 1.5, 1, { integer: true })).toThrow('X: c must be a whole number, got 1.5');
    expect(() => numberOption('X', 'd', -1, 1, { min: 0 })).toThrow('X: d must be a finite number of at least 0, got -1');
    expect(() => numberOption('X', 'e', 11, 1, { min: 1, max: 10 })).toThrow('from 1 to 10, got 11');
    expect(() => numberOption('X', 'f', 11, 1, { max: 10 })).toThrow('of at most 10');
  });
});
