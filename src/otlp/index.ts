export { OtlpDecodeError, decodeTraceRequest } from './decode.js';
export type { DecodedTraces, OtlpFormat } from './decode.js';
export { encodeExportResponse, encodeTraceRequest } from './encode.js';
export { RPC_CODE, decodeStatus, encodeStatus, readRpcStatus } from './rpc-status.js';
export type { RpcStatus } from './rpc-status.js';
export type { PartialSuccess } from './encode.js';
export { MAX_ANY_VALUE_DEPTH } from './span-rejections.js';
