import { beforeEach, describe, expect, it } from 'vitest';
import { decodeTraceRequest } from '../../src/otlp/index.js';
import { EXPORT_FORMATS, exportSession } from '../../src/query/session-export.js';
import { sessionSpans } from '../../src/query/store-reads.js';
import { SessionNotFoundError } from '../../src/store/errors.js';
import type { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { ALPHA, useSeededStore } from '../server/query-api/seed.js';

describe('exportSession', () => {
  const seeded = useSeededStore();
  let store: SqliteTraceStore;
  beforeEach(() => {
    store = seeded.store();
  });

  it('writes OTLP/JSON that decodes back to every span of the session, as it arrived', async () => {
    const spans = await sessionSpans(store, ALPHA.sessionId);
    const exported = await exportSession(store, ALPHA.sessionId, 'otlp');
    expect(exported).toMatchObject({ contentType: 'application/json', fileName: 'sess-alpha.otlp.json', spanCount: spans.length });
    const decoded = decodeTraceRequest(new TextEncoder().encode(exported.body), 'json');
    expect(decoded.rejectedSpans).toBe(0);
    expect(decoded.spans.map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanId).sort());
  });

  it('writes one JSON line per step, and a Markdown transcript with the conversation', async () => {
    const jsonl = await exportSession(store, ALPHA.sessionId, 'jsonl');
    const lines = jsonl.body.trim().split('\n');
    expect(lines).toHaveLength(jsonl.spanCount);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ sessionId: ALPHA.sessionId });
    expect(jsonl.fileName).toBe('sess-alpha.jsonl');

    const md = await exportSession(store, ALPHA.sessionId, 'md');
    expect(md.contentType).toBe('text/markdown; charset=utf-8');
    expect(md.body).toContain(ALPHA.question);
    expect(md.body).toContain(ALPHA.answer);
  });

  it('refuses an unknown session in every format', async () => {
    for (const format of EXPORT_FORMATS) {
      await expect(exportSession(store, 'no-such-session', format)).rejects.toBeInstanceOf(SessionNotFoundError);
    }
  });
});
