// Outbound sinks implementing the OTel `SpanExporter`. Every export is named explicitly.
export { createOtlpForwardExporter, otlpTracesUrl } from './otlp-forward-exporter.js';
export type { OtlpForwardExporterOptions } from './otlp-forward-exporter.js';
