import { describe, expect, it } from 'vitest';
import { BadParameterError, duration, integer, oneOf, parseQuery, required, text, time } from '../../../src/server/query-api/params.js';

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
});
