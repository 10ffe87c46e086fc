import { describe, expect, it } from 'vitest';
import { BadParameterError, duration, integer, oneOf, parseAttributeValue, parseQuery, required, text, time } from '../../../src/server/query-api/params.js';
import { formatUnixNano, parseDurationNanos, parseTimeUnixNano } from '../../../src/server/query-api/time-values.js';

describe('time values', () => {
  it('parses RFC 3339 to the nanosecond, exactly', () => {
    expect(parseTimeUnixNano('2025-01-31T12:00:00.123456789Z')).toBe(1738324800123456789n);
    expect(parseTimeUnixNano('2025-01-31T13:00:00.123456789+01:00')).toBe(1738324800123456789n);
    expect(parseTimeUnixNano('2025-01-31')).toBe(1738281600000000000n);
    expect(formatUnixNano(1738324800123456789n)).toBe('2025-01-31T12:00:00.123456789Z');
  });

  it('takes Unix nanoseconds and ages before now', () => {
    expect(parseTimeUnixNano('1738324800123456789')).toBe(1738324800123456789n);
    const now = 1_700_000_000_000;
    expect(parseTimeUnixNano('24h', now)).toBe(BigInt(now) * 1_000_000n - 86_400_000_000_000n);
    expect(parseTimeUnixNano('1.5s', now)).toBe(BigInt(now) * 1_000_000n - 1_500_000_000n);
  });

  it('refuses what is not a time, or past signed 64-bit nanoseconds', () => {
    for (const bad of ['yesterday', '2025-13-01T00:00:00Z', '2999-01-01', '99999999999999999999', '', '12:00']) {
      expect(parseTimeUnixNano(bad), bad).toBeNull();
    }
  });

  it('parses durations with units, fractions and plain nanoseconds', () => {
    expect(parseDurationNanos('250ms')).toBe(250_000_000n);
    expect(parseDurationNanos('1.5s')).toBe(1_500_000_000n);
    expect(parseDurationNanos('30d')).toBe(30n * 86_400_000_000_000n);
    expect(parseDurationNanos('42')).toBe(42n);
    expect(parseDurationNanos('2us')).toBe(2_000n);
    for (const bad of ['1.5', 'fast', '-1s', '1 week', '1e3s']) expect(parseDurationNanos(bad), bad).toBeNull();
  });
});

describe('parseQuery', () => {
  const shape = {
    params: {
      name: required(text('A name.')),
      limit: integer('Page size.', { min: 1, max: 10 }),
      kind: oneOf(['a', 'b'] as const, 'A kind.'),
      since: time('Since.'),
      longer: duration('Longer.'),
    },
    prefixed: { prefix: 'attr.', description: 'Attributes.', schema: { type: 'string' } },
  };

  it('types and parses every value, and collects prefixed ones', () => {
    const { values, prefixed } = parseQuery(shape, new URLSearchParams('name=x&limit=3&kind=b&since=10&longer=1ms&attr.k.v=1'));
    expect(values).toEqual({ name: 'x', limit: 3, kind: 'b', since: 10n, longer: 1_000_000n });
    expect(prefixed).toEqual({ 'k.v': '1' });
  });

  const refused: [string, string, RegExp][] = [
    ['name=x&other=1', 'other', /unsupported parameter 'other': this endpoint takes name, limit, kind, since, longer, attr\.<key>/],
    ['name=x&name=y', 'name', /given more than once/],
    ['limit=3', 'name', /name is required/],
    ['name=x&limit=11', 'limit', /limit: expected an integer from 1 to 10, got '11'/],
    ['name=x&limit=2.5', 'limit', /expected an integer/],
    ['name=x&kind=c', 'kind', /kind: expected one of a, b, got 'c'/],
    ['name=', 'name', /expected a non-empty string/],
    ['name=x&attr.=1', 'attr.', /unsupported parameter/],
  ];
  for (const [search, parameter, message] of refused) {
    it(`refuses ${search}`, () => {
      let caught: unknown;
      try {
        parseQuery(shape, new URLSearchParams(search));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(BadParameterError);
      expect((caught as BadParameterError).parameter).toBe(parameter);
      expect((caught as BadParameterError).message).toMatch(message);
    });
  }

  it('reads attribute values by type unless quoted', () => {
    expect(parseAttributeValue('42')).toBe(42);
    expect(parseAttributeValue('-1.5')).toBe(-1.5);
    expect(parseAttributeValue('true')).toBe(true);
    expect(parseAttributeValue('"42"')).toBe('42');
    expect(parseAttributeValue('search')).toBe('search');
  });
});
