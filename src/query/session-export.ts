/** A session in one of the export formats; used by `GET /api/sessions/:id/export` and `skein export`. */

import { stepsToJsonl } from '../model/export-formats.js';
import { sessionTranscript } from '../model/transcript.js';
import { encodeTraceRequest } from '../otlp/index.js';
import type { TraceStore } from '../store/trace-store.js';
import { spanKey } from './json-views.js';
import { sessionSpans } from './store-reads.js';

export const EXPORT_FORMATS = ['otlp', 'jsonl', 'md'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  otlp: 'application/json',
  jsonl: 'application/x-ndjson',
  md: 'text/markdown; charset=utf-8',
};

export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = { otlp: '.otlp.json', jsonl: '.jsonl', md: '.md' };

export interface SessionExport {
  body: string;
  contentType: string;
  /** A file name that says what it holds: `<session>.otlp.json`. */
  fileName: string;
  spanCount: number;
}

/**
 * - `otlp`: one OTLP/JSON `ExportTraceServiceRequest` with every span as it
 *   arrived, importable by Skein and by any OTLP/HTTP receiver.
 * - `jsonl`: Skein step lines (see `model/export-formats.ts`).
 * - `md`: the Markdown transcript.
 * Throws `SessionNotFoundError`.
 */
export async function exportSession(store: TraceStore, sessionId: string, format: ExportFormat): Promise<SessionExport> {
  const spans = await sessionSpans(store, sessionId);
  let body: string;
  if (format === 'otlp') {
    body = new TextDecoder().decode(encodeTraceRequest(spans.map((s) => s.raw), 'json'));
  } else {
    const steps = await store.getTimeline(sessionId);
    if (format === 'jsonl') {
      body = stepsToJsonl(spans, steps);
    } else {
      const session = await store.getSession(sessionId);
      body = sessionTranscript({ session, steps, spans: new Map(spans.map((s) => [spanKey(s.traceId, s.spanId), s])) });
    }
  }
  return {
    body,
    contentType: EXPORT_CONTENT_TYPES[format],
    fileName: `${sessionId.replace(/[^\w.-]+/g, '_')}${EXPORT_EXTENSIONS[format]}`,
    spanCount: spans.length,
  };
}
