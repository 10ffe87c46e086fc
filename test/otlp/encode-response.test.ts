import { describe, expect, it } from 'vitest';
import { encodeExportResponse } from '../../src/otlp/index.js';
import { opentelemetry } from '../oracle/otlp/generated/otlp.js';

const ExportTraceServiceResponse = opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('encodeExportResponse', () => {
  it('full success leaves partial_success unset', () => {
    expect(encodeExportResponse('protobuf')).toEqual(new Uint8Array(0));
    expect(ExportTraceServiceResponse.decode(encodeExportResponse('protobuf')).partialSuccess ?? null).toBeNull();
    expect(text(encodeExportResponse('json'))).toBe('{}');
    expect(text(encodeExportResponse('json', { rejectedSpans: 0, errorMessage: '' }))).toBe('{}');
  });

  it('partial success carries rejected_spans and the message', () => {
    const message = '1 span rejected: resourceSpans[0].scopeSpans[0].spans[1]: spanId must be 8 bytes, got 4';
    const decoded = ExportTraceServiceResponse.decode(encodeExportResponse('protobuf', { rejectedSpans: 1, errorMessage: message }));
    expect(decoded.partialSuccess?.rejectedSpans?.toString()).toBe('1');
    expect(decoded.partialSuccess?.errorMessage).toBe(message);
    // int64 is a decimal string in OTLP/JSON
    expect(JSON.parse(text(encodeExportResponse('json', { rejectedSpans: 1, errorMessage: message })))).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: message },
    });
  });

  it('a warning: nothing rejected but a message', () => {
    const decoded = ExportTraceServiceResponse.decode(encodeExportResponse('protobuf', { rejectedSpans: 0, errorMessage: 'slow down' }));
    expect(decoded.partialSuccess?.errorMessage).toBe('slow down');
    expect(text(encodeExportResponse('json', { rejectedSpans: 0, errorMessage: 'slow down' }))).toBe(
      '{"partialSuccess":{"errorMessage":"slow down"}}',
    );
  });
});
