import { describe, expect, it } from 'vitest';
import { parseAttributeValue } from '../../src/query/attribute-value.js';

describe('parseAttributeValue', () => {
  it('reads attribute values by type unless quoted', () => {
    expect(parseAttributeValue('42')).toBe(42);
    expect(parseAttributeValue('-1.5')).toBe(-1.5);
    expect(parseAttributeValue('true')).toBe(true);
    expect(parseAttributeValue('"42"')).toBe('42');
    expect(parseAttributeValue('search')).toBe('search');
  });
});
