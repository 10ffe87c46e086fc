/**
 * A real file written by the store at schema version 8 (before the compact
 * span rows of migration 010), opened by this code: it migrates in place and
 * every read gives what the code that wrote it read back
 * (test/fixtures/store/write-upgrade-fixture.ts made both files); fields
 * the read API gained since are allowed, every old value must be there.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNormalizer } from '../../src/model/normalize.js';
import { createRedactor } from '../../src/model/redaction/redactor.js';
import { SCHEMA_VERSION, SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { fixtureRecords, readEverything, toJson } from '../fixtures/store/upgrade-fixture-data.js';

const FIXTURES = new URL('../fixtures/store/', import.meta.url);

describe('upgrading a version 8 file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-upgrade-'));
    path = join(dir, 'traces.db');
    writeFileSync(path, gunzipSync(readFileSync(new URL('v8-spans.db.gz', FIXTURES))));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every session, timeline, tree, span, search hit, stat and log record back as the old code did', async () => {
    const expected = JSON.parse(readFileSync(new URL('v8-spans.reads.json', FIXTURES), 'utf8')) as Record<string, unknown>;
    const store = new SqliteTraceStore({ path });
    try {
      expect(store.database.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const actual = toJson(await readEverything(store)) as Record<string, unknown>;
      expect(Object.keys(actual)).toStrictEqual(Object.keys(expected));
      // Every value the old code read, unchanged; a field the read API gained since may be added.
      for (const key of Object.keys(expected)) {
        const value = expected[key];
        if (value !== null && typeof value === 'object') expect({ key, value: actual[key] }).toMatchObject({ key, value });
        else expect({ key, value: actual[key] }).toStrictEqual({ key, value });
      }
    } finally {
      store.closeSync();
    }
  });

  it('keeps writing to the upgraded file: a span delivered again changes nothing, its open step ends', async () => {
    const store = new SqliteTraceStore({ path });
    try {
      const before = toJson(await readEverything(store)) as Record<string, unknown>;
      const batches = fixtureRecords(createNormalizer({ maxTextLength: 200, redactor: createRedactor() }));
      // The first batch again, as a duplicate delivery: rows rewritten in the new format, read back the same.
      // (Its first span as last delivered: batch 6 ended it a nanosecond later.)
      store.writeSync([batches[6][0], ...batches[0].slice(1)]);
      const rewritten = store.database.prepare('SELECT count(*) FROM spans WHERE attribute_keys IS NOT NULL').pluck().get();
      expect(rewritten).toBe(batches[0].length);
      const after = toJson(await readEverything(store)) as Record<string, unknown>;
      expect(after['session conv-alpha']).toStrictEqual(before['session conv-alpha']);
      expect(after.spans).toStrictEqual(before.spans);
      expect(after['search refund']).toStrictEqual(before['search refund']);
      // The open step of the implicit session, now ended.
      const open = batches[4][1];
      const ended = { ...open, endTimeUnixNano: open.startTimeUnixNano + 1_000_000n };
      store.writeSync([ended]);
      const session = await store.getSession(open.traceId);
      expect({ status: session.status, open: session.openCount }).toStrictEqual({ status: 'completed', open: 0 });
      const [span] = (await store.getSpans({ traceId: open.traceId, limit: 1 })).items;
      expect(span.endTimeUnixNano).toBe(ended.endTimeUnixNano);
    } finally {
      store.closeSync();
    }
  });
});
