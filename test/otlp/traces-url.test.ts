import { describe, expect, it } from 'vitest';
import { otlpTracesUrl } from '../../src/otlp/traces-url.js';

describe('otlpTracesUrl', () => {
  it('appends /v1/traces to a bare base endpoint and keeps a URL with a path as given', () => {
    expect(otlpTracesUrl('http://collector:4318')).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl('https://gw.example/otel/traces')).toBe('https://gw.example/otel/traces');
    expect(otlpTracesUrl('http://collector:4318/v1/traces')).toBe('http://collector:4318/v1/traces');
    expect(() => otlpTracesUrl('not a url')).toThrow();
  });
});
