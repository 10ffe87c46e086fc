import { describe, expect, it } from 'vitest';
import { decodeStorable, encodeStorable } from '../../src/model/attributes-codec.js';
import type { Attributes } from '../../src/model/types.js';

describe('attributes codec', () => {
  it('round-trips every attribute value type exactly', () => {
    const attributes: Attributes = {
      s: 'text',
      i: 42,
      d: 0.1,
      big: 2n ** 63n - 1n,
      negBig: -(2n ** 63n),
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      ninf: Number.NEGATIVE_INFINITY,
      negZero: -0,
      t: true,
      bytes: new Uint8Array([0, 127, 128, 255]),
      none: null,
      list: [1, 'two', [3n, new Uint8Array([4])], { k: 'v' }],
      map: { a: { b: { c: 1n } } },
    };
    const decoded = decodeStorable<Attributes>(encodeStorable(attributes));
    expect(decoded).toStrictEqual(attributes);
    expect(Object.is(decoded.negZero, -0)).toBe(true);
    expect(decoded.bytes).toBeInstanceOf(Uint8Array);
  });

  it('does not mistake user objects that look like tags for tagged values', () => {
    const attributes: Attributes = {
      fakeInt: { $i: '5' },
      fakeBytes: { $b: 'AAE=' },
      fakeWrapper: { $o: { x: 1 } },
      dollarOther: { $custom: 'x' },
      twoKeys: { $i: '5', other: 1 },
    };
    expect(decodeStorable(encodeStorable(attributes))).toStrictEqual(attributes);
  });

  it('writes plain JSON for plain values, so SQL JSON functions can read them', () => {
    expect(encodeStorable({ a: 'x', b: 1, c: true, d: [1, 2] })).toBe('{"a":"x","b":1,"c":true,"d":[1,2]}');
    expect(encodeStorable({ big: 1n })).toBe('{"big":{"$i":"1"}}');
  });

  it('round-trips events with nanosecond times', () => {
    const events = [{ name: 'e', timeUnixNano: 1_700_000_000_123_456_789n, attributes: { k: 'v' }, droppedAttributesCount: 0 }];
    expect(decodeStorable(encodeStorable(events))).toStrictEqual(events);
  });

  it('finds tags written with JSON escapes, and reads a __proto__ key as it always has (no own key)', () => {
    // Texts without a `$` skip the tag walk; these must still take it.
    expect(decodeStorable('{"a":{"\\u0024i":"5"},"b":[{"\\u0024d":"NaN"}]}')).toStrictEqual({ a: 5n, b: [Number.NaN] });
    const decoded = decodeStorable<Record<string, unknown>>('{"__proto__":"x","k":"v"}');
    expect(Object.keys(decoded)).toStrictEqual(['k']);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  });

  it('rejects text that is not JSON', () => {
    expect(() => decodeStorable('{not json')).toThrow(SyntaxError);
  });
});
