/** The one place where errors become HTTP responses of the query API. */

import { HTTPException } from 'hono/http-exception';
import { InvalidQueryError, SessionNotFoundError, TraceNotFoundError } from '../../store/errors.js';
import { BadParameterError } from './params.js';

export type ApiErrorCode = 'bad_request' | 'session_not_found' | 'trace_not_found' | 'not_found' | 'internal';

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; parameter?: string };
}

export interface ApiError {
  status: 400 | 404 | 500 | 413 | 401;
  body: ApiErrorBody;
}

/** Store query fields → the API parameter a client sent, so a 400 names what the client can fix. */
const STORE_TO_API_PARAMETER: Record<string, string> = {
  fromUnixNano: 'from',
  toUnixNano: 'to',
  agentName: 'agent',
  userId: 'user',
  minCostUsd: 'minCost',
  minDurationNanos: 'minDuration',
  isError: 'error',
  sessionId: 'session',
  traceId: 'trace',
  attributes: 'attr.*',
  groupBy: 'by',
  text: 'q',
};

export function apiError(error: unknown): ApiError {
  if (error instanceof BadParameterError) {
    return { status: 400, body: { error: { code: 'bad_request', message: error.message, parameter: error.parameter } } };
  }
  if (error instanceof InvalidQueryError) {
    const body: ApiErrorBody = { error: { code: 'bad_request', message: error.message } };
    if (error.parameter !== undefined) body.error.parameter = STORE_TO_API_PARAMETER[error.parameter] ?? error.parameter;
    return { status: 400, body };
  }
  if (error instanceof SessionNotFoundError) {
    return { status: 404, body: { error: { code: 'session_not_found', message: error.message } } };
  }
  if (error instanceof TraceNotFoundError) {
    return { status: 404, body: { error: { code: 'trace_not_found', message: error.message } } };
  }
  if (error instanceof HTTPException && [400, 401, 404, 413].includes(error.status)) {
    const code: ApiErrorCode = error.status === 404 ? 'not_found' : 'bad_request';
    return { status: error.status as ApiError['status'], body: { error: { code, message: error.message } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error; see the server log' } } };
}
