import { describe, expect, it } from 'vitest';
import { GrpcDelivery, parseGrpcTarget } from '../../src/forward/grpc-delivery.js';
import { otlpSignalUrl } from '../../src/otlp/otlp-endpoints.js';
import { otlpTracesUrl } from '../../src/otlp/traces-url.js';

describe('otlpSignalUrl: where each signal goes on an OTLP/HTTP upstream', () => {
  const all = (endpoint: string) => (['traces', 'logs', 'metrics'] as const).map((s) => otlpSignalUrl(endpoint, s));

  it('gives a bare base /v1/<signal>', () => {
    expect(all('http://collector:4318')).toEqual([
      'http://collector:4318/v1/traces',
      'http://collector:4318/v1/logs',
      'http://collector:4318/v1/metrics',
    ]);
    expect(all('https://collector:4318/')[1]).toBe('https://collector:4318/v1/logs');
  });

  it('sends each signal to the sibling of a URL given with a signal path, prefix and query kept', () => {
    expect(all('https://gw.example/otlp/v1/traces?t=1')).toEqual([
      'https://gw.example/otlp/v1/traces?t=1',
      'https://gw.example/otlp/v1/logs?t=1',
      'https://gw.example/otlp/v1/metrics?t=1',
    ]);
    expect(otlpSignalUrl('http://c:4318/v1/logs', 'metrics')).toBe('http://c:4318/v1/metrics');
  });

  it('uses any other path as given for traces (as before) and as a base for logs and metrics', () => {
    expect(all('https://gw.example/otlp/')).toEqual([
      otlpTracesUrl('https://gw.example/otlp/'),
      'https://gw.example/otlp/v1/logs',
      'https://gw.example/otlp/v1/metrics',
    ]);
    expect(otlpSignalUrl('https://gw.example/otlp', 'traces')).toBe('https://gw.example/otlp');
  });
});

describe('parseGrpcTarget', () => {
  it('reads host:port, http:// (plaintext) and https:// (TLS); the port defaults to 4317', () => {
    expect(parseGrpcTarget('collector:4317')).toEqual({ address: 'collector:4317', tls: false });
    expect(parseGrpcTarget('http://127.0.0.1:5000')).toEqual({ address: '127.0.0.1:5000', tls: false });
    expect(parseGrpcTarget('https://otel.example')).toEqual({ address: 'otel.example:4317', tls: true });
    expect(parseGrpcTarget('https://otel.example:443/')).toEqual({ address: 'otel.example:443', tls: true });
    expect(parseGrpcTarget('[::1]:4317')).toEqual({ address: '[::1]:4317', tls: false });
  });

  it('refuses a path, another scheme and what does not parse, naming the problem', () => {
    expect(() => parseGrpcTarget('collector:4317/v1/traces')).toThrow('a gRPC upstream has no path');
    expect(() => parseGrpcTarget('unix:///tmp/sock')).toThrow("a gRPC upstream is plaintext (http:// or none) or TLS (https://), got 'unix:'");
    expect(() => parseGrpcTarget('http://')).toThrow('a gRPC upstream is host:port, http://host:port or https://host:port');
  });
});

describe('gRPC metadata from the configured headers', () => {
  it('refuses a header grpc-js cannot send, naming it', () => {
    const settings = { url: 'collector:4317', timeoutMillis: 1000, gzip: false };
    const reconnect = { initialBackoffMillis: 500, maxBackoffMillis: 60_000 };
    expect(() => new GrpcDelivery({ ...settings, headers: { 'bad key': 'x' } }, reconnect)).toThrow("header 'bad key' cannot be sent as gRPC metadata");
    const ok = new GrpcDelivery({ ...settings, headers: { 'X-Tenant': 'acme', 'trace-bin': 'raw' } }, reconnect);
    ok.close();
  });
});
