/** A full-text search's row as both stores select it, and as the hit `search` returns. */

import type { SearchHit } from '../../model/query.js';
import type { StepType } from '../../model/types.js';

export interface SearchHitRow {
  session_id: string;
  trace_id: string;
  span_id: string;
  name: string;
  step_type: string;
  start_ns: bigint;
  snippet: string;
}

export function searchHitOf(row: SearchHitRow): SearchHit {
  return {
    sessionId: row.session_id,
    traceId: row.trace_id,
    spanId: row.span_id,
    name: row.name,
    stepType: row.step_type as StepType,
    startTimeUnixNano: row.start_ns,
    snippet: row.snippet,
  };
}
