// Outbound sinks implementing the OTel `SpanExporter`. Every export is named explicitly.
export { createOtlpForwardExporter } from './otlp-forward-exporter.js';
export { otlpTracesUrl } from '../src/index.js';
export type { OtlpForwardExporterOptions } from './otlp-forward-exporter.js';
