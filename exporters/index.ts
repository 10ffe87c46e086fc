// Outbound sinks implementing the OTel `SpanExporter`. Every export is named explicitly.
export { createOtlpForwardExporter } from './otlp-forward-exporter.js';
export { otlpTracesUrl } from './traces-url.js';
export type { OtlpForwardExporterOptions } from './otlp-forward-exporter.js';
