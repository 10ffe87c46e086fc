import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/collector/start-collector.js';
import type { RawSpan } from '../../src/model/types.js';
import { decodeTraceRequest, encodeTraceRequest } from '../../src/otlp/index.js';
import type { SessionJson } from '../../src/query/json-views.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { makeRawSpan } from '../helpers/raw-spans.js';
import { ALPHA, BETA, OPEN, seedStore, tempDir } from '../server/query-api/seed.js';
import type { Seeded } from '../server/query-api/seed.js';
import { cli } from './run.js';

let seeded: Seeded;
let work: { dir: string; cleanup(): void };

beforeAll(async () => {
  seeded = await seedStore();
  work = tempDir('skein-cli-');
});
afterAll(() => {
  seeded.cleanup();
  work.cleanup();
});

const byId = (a: RawSpan, b: RawSpan) => a.spanId.localeCompare(b.spanId);

function otlpSpans(file: string): RawSpan[] {
  const decoded = decodeTraceRequest(readFileSync(file), 'json');
  expect(decoded.rejectedSpans).toBe(0);
  return decoded.spans.sort(byId);
}

async function ok(argv: string[]): Promise<string> {
  const result = await cli(argv);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

describe('export → import → export', () => {
  for (const sessionId of [ALPHA.sessionId, OPEN.sessionId]) {
    it(`gives the same spans through OTLP/JSON (${sessionId})`, async () => {
      const first = join(work.dir, `${sessionId}-1.otlp.json`);
      const second = join(work.dir, `${sessionId}-2.otlp.json`);
      const db2 = join(work.dir, `${sessionId}-copy.db`);
      await ok(['export', sessionId, '--format', 'otlp', '-o', first, '--db', seeded.dbPath]);
      const imported = JSON.parse(await ok(['import', first, '--db', db2, '--json'])) as { spans: number; files: { format: string }[] };
      expect(imported.files[0].format).toBe('otlp-json');
      await ok(['export', sessionId, '--format', 'otlp', '-o', second, '--db', db2]);
      const before = otlpSpans(first);
      expect(before.length).toBe(imported.spans);
      expect(otlpSpans(second)).toEqual(before);
      // The copy answers the same questions.
      const original = JSON.parse(await ok(['sessions', '--db', seeded.dbPath, '--json'])) as { items: SessionJson[] };
      const copy = JSON.parse(await ok(['sessions', '--db', db2, '--json'])) as { items: SessionJson[] };
      const pick = (s: SessionJson) => ({ ...s, traceIds: s.traceIds.sort() });
      expect(copy.items.map(pick)).toEqual(original.items.filter((s) => s.sessionId === sessionId).map(pick));
    });
  }

  it('gives the same spans through Skein JSONL', async () => {
    const jsonl = join(work.dir, 'alpha.jsonl');
    const db3 = join(work.dir, 'from-jsonl.db');
    await ok(['export', ALPHA.sessionId, '--format', 'jsonl', '-o', jsonl, '--db', seeded.dbPath]);
    const lines = readFileSync(jsonl, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(JSON.parse(await ok(['import', jsonl, '--db', db3, '--json']))).toMatchObject({ spans: 6, files: [{ format: 'skein-jsonl' }] });
    const a = join(work.dir, 'alpha-orig.otlp.json');
    const b = join(work.dir, 'alpha-jsonl.otlp.json');
    await ok(['export', ALPHA.sessionId, '--format', 'otlp', '-o', a, '--db', seeded.dbPath]);
    await ok(['export', ALPHA.sessionId, '--format', 'otlp', '-o', b, '--db', db3]);
    expect(otlpSpans(b)).toEqual(otlpSpans(a));
  });

  it('writes Markdown to stdout, and several sessions into a directory', async () => {
    const md = await ok(['export', ALPHA.sessionId, '--format', 'md', '--db', seeded.dbPath]);
    expect(md).toMatch(/^# Session sess-alpha/);
    expect(md).toContain(ALPHA.answer);
    const dir = join(work.dir, 'many');
    const result = await cli(['export', ALPHA.sessionId, BETA.sessionId, '--format', 'jsonl', '-o', dir, '--db', seeded.dbPath]);
    expect(result.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([`${ALPHA.sessionId}.jsonl`, `${BETA.sessionId}.jsonl`]);
  });
});

describe('skein import', () => {
  it('reads OTLP protobuf, gzip and OTLP/JSON lines; importing again changes nothing', async () => {
    const db = join(work.dir, 'formats.db');
    const pbSpans = [makeRawSpan({ attributes: { 'gen_ai.conversation.id': 'from-pb', 'gen_ai.operation.name': 'chat' } })];
    const lineSpans = [makeRawSpan({ attributes: { 'gen_ai.conversation.id': 'from-lines', 'gen_ai.operation.name': 'chat' } }), makeRawSpan({ attributes: { 'gen_ai.conversation.id': 'from-lines' } })];
    const pb = join(work.dir, 'one.pb');
    const gz = join(work.dir, 'lines.jsonl.gz');
    writeFileSync(pb, encodeTraceRequest(pbSpans, 'protobuf'));
    const lines = lineSpans.map((s) => new TextDecoder().decode(encodeTraceRequest([s], 'json'))).join('\n');
    writeFileSync(gz, gzipSync(lines));
    const out = await ok(['import', pb, gz, '--db', db]);
    expect(out).toContain(`${pb}: 1 span (otlp-protobuf)`);
    expect(out).toContain(`${gz}: 2 spans (otlp-jsonl)`);
    expect(out).toContain('imported 3 spans from 2 files');
    await ok(['import', pb, gz, '--db', db]);
    const store = new SqliteTraceStore({ path: db, readonly: true });
    try {
      expect((await store.getSpans({})).items).toHaveLength(3);
      expect((await store.getSession('from-lines')).spanCount).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('refuses a file that is none of the formats, before writing anything', async () => {
    const db = join(work.dir, 'refused.db');
    const good = join(work.dir, 'good.otlp.json');
    writeFileSync(good, encodeTraceRequest([makeRawSpan()], 'json'));
    const junk = join(work.dir, 'junk.bin');
    writeFileSync(junk, Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]));
    const notJson = join(work.dir, 'broken.jsonl');
    writeFileSync(notJson, '{"type":"skein.step","v":1,"raw":{}}\n{oops\n');
    for (const [file, message] of [
      [junk, 'not OTLP/JSON, OTLP protobuf or Skein JSONL'],
      [notJson, 'line 1: skein.step line with missing or malformed raw.traceId'],
      [join(work.dir, 'missing.pb'), 'cannot read (ENOENT)'],
    ] as const) {
      const result = await cli(['import', good, file, '--db', db]);
      expect(result.code).toBe(1);
      expect(result.stderr.split('\n')[0].startsWith(`skein import: ${file}: ${message}`)).toBe(true);
    }
    expect(() => readFileSync(db)).toThrow();
  });

  it('shows a progress bar on a terminal only', async () => {
    const file = join(work.dir, 'progress.otlp.json');
    writeFileSync(file, encodeTraceRequest([makeRawSpan(), makeRawSpan()], 'json'));
    const quiet = await cli(['import', file, '--db', join(work.dir, 'p1.db')]);
    expect(quiet.stderr).toBe('');
    const tty = await cli(['import', file, '--db', join(work.dir, 'p2.db')], { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('importing [');
    expect(tty.stderr).toContain('2/2');
  });
});

describe('skein prune', () => {
  it('keeps recent sessions by default and trims to --max-sessions', async () => {
    const db = join(work.dir, 'prune.db');
    mkdirSync(work.dir, { recursive: true });
    const all = join(work.dir, 'all.otlp.json');
    await ok(['export', ALPHA.sessionId, BETA.sessionId, OPEN.sessionId, '--format', 'otlp', '--db', seeded.dbPath]).then((text) =>
      writeFileSync(all, text),
    );
    await ok(['import', all, '--db', db]);
    expect(JSON.parse(await ok(['prune', '--db', db, '--json']))).toEqual({ sessionsDeleted: 0, spansDeleted: 0, logRecordsDeleted: 0, metricPointsDeleted: 0 });
    const result = JSON.parse(await ok(['prune', '--max-sessions', '1', '--db', db, '--json'])) as { sessionsDeleted: number; spansDeleted: number };
    expect(result.sessionsDeleted).toBe(2);
    const left = JSON.parse(await ok(['sessions', '--db', db, '--json'])) as { items: SessionJson[] };
    expect(left.items).toHaveLength(1);
    expect(result.spansDeleted).toBe(6 + 2 + 2 - left.items[0].spanCount);
    expect(await ok(['prune', '--older-than', '0s', '--db', db])).toBe('deleted 1 session (' + left.items[0].spanCount + ' spans)\n');
  });
});

describe('with a server running on the same database', () => {
  it('reads what the collector received, while it runs', async () => {
    const db = join(work.dir, 'live.db');
    const collector = await startCollector({ dbPath: db, port: 0 });
    try {
      const span = makeRawSpan({ attributes: { 'gen_ai.conversation.id': 'live-session', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' } });
      const res = await fetch(`${collector.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: encodeTraceRequest([span], 'protobuf'),
      });
      expect(res.status).toBe(200);
      const listed = JSON.parse(await ok(['sessions', '--db', db, '--json'])) as { items: SessionJson[] };
      expect(listed.items.map((s) => s.sessionId)).toEqual(['live-session']);
      const shown = await ok(['show', 'live-session', '--db', db]);
      expect(shown).toContain(span.name);
    } finally {
      await collector.close();
    }
  });
});
