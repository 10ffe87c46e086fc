import { describe, expect, it } from 'vitest';
import { jsonSafe, preview, spanKey, statusName } from '../../src/query/json-views.js';

describe('json views', () => {
  it('makes any stored value exact in JSON: 64-bit integers as decimal strings, bytes as base64', () => {
    const value = { big: 2n ** 63n - 1n, bytes: new Uint8Array([1, 2, 255]), list: [1n, 'x', null], nested: { ok: true } };
    expect(JSON.stringify(jsonSafe(value))).toBe(
      '{"big":"9223372036854775807","bytes":"AQL/","list":["1","x",null],"nested":{"ok":true}}',
    );
    const view = new Uint8Array([9, 1, 2, 3]).subarray(1, 3);
    expect(jsonSafe(view)).toBe('AQI=');
  });

  it('previews content on one line, cut with an ellipsis', () => {
    const content = { text: 'line one\n\n  line   two', originalLength: 22, truncated: false };
    expect(preview(content)).toBe('line one line two');
    expect(preview(content, 8)).toBe('line on…');
    expect(preview(null)).toBeNull();
  });

  it('names status codes and keys spans by trace and span id', () => {
    expect([0, 1, 2].map(statusName)).toEqual(['unset', 'ok', 'error']);
    expect(spanKey('t', 's')).toBe('t/s');
  });
});
