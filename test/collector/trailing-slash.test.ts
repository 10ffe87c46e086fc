import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import { encodeTraceRequest } from '../../src/otlp/index.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { cli } from '../cli/run.js';
import { cleanup, tempDir } from '../cli/serve/helpers.js';

afterEach(cleanup);

describe('POST /v1/traces/ (a trailing slash, as the OTel Collector accepts)', () => {
  it('is received like /v1/traces; other methods still get 405', async () => {
    const db = join(tempDir(), 'slash.db');
    const collector = await startCollector({ dbPath: db, port: 0 });
    try {
      const span = makeRawSpan({ attributes: { 'gen_ai.conversation.id': 'slash-session', 'gen_ai.operation.name': 'chat' } });
      const res = await fetch(`${collector.url}/v1/traces/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: encodeTraceRequest([span], 'json'),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({});
      const get = await fetch(`${collector.url}/v1/traces/`);
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
    } finally {
      await collector.close();
    }
    const listed = JSON.parse((await cli(['sessions', '--db', db, '--json'])).stdout) as { items: { sessionId: string }[] };
    expect(listed.items.map((s) => s.sessionId)).toEqual(['slash-session']);
  });
});
