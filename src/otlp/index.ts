export { OtlpDecodeError, decodeTraceRequest } from './decode.js';
export type { DecodedTraces, OtlpFormat } from './decode.js';
export { encodeExportResponse, encodeStatus, encodeTraceRequest } from './encode.js';
export type { PartialSuccess } from './encode.js';
export { MAX_ANY_VALUE_DEPTH } from './span-rejections.js';
