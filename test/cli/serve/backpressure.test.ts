/**
 * Backpressure bounds as flags and config: `--max-pending` (spans waiting for
 * a commit), `--max-wait` (the expected wait at the measured commit rate) and
 * `--max-outbox-bytes`, each refusing with 503 + Retry-After before a client's
 * export would time out and be sent twice.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeTraceRequest } from '../../../src/otlp/index.js';
import { makeRawSpan } from '../../helpers/raw-spans.js';
import { cli } from '../run.js';
import { cleanup, runServeInProcess, tempDir } from './helpers.js';

afterEach(cleanup);

function post(url: string, count: number): Promise<Response> {
  return fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: encodeTraceRequest(Array.from({ length: count }, () => makeRawSpan()), 'protobuf'),
  });
}

async function pending(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^skein_ingest_pending_spans (\d+)/m.exec(text)?.[1]);
}

/** Holds the database's write lock, so accepted spans wait for their commit. */
function holdWriteLock(dbPath: string): () => void {
  const lock = new Database(dbPath);
  lock.exec('BEGIN IMMEDIATE');
  return () => {
    lock.exec('COMMIT');
    lock.close();
  };
}

describe('backpressure bounds', () => {
  for (const how of ['flag', 'config'] as const) {
    it(`--max-pending (as a ${how}) refuses what would go past it, with 503 + Retry-After`, async () => {
      const dir = tempDir();
      const dbPath = join(dir, 'skein.db');
      const config = join(dir, 'skein.config.json');
      writeFileSync(config, JSON.stringify({ maxPendingSpans: 5 }));
      const serve = await runServeInProcess(
        ['--db', dbPath, '--port', '0', ...(how === 'flag' ? ['--max-pending', '5'] : ['--config', config])],
      );
      const release = holdWriteLock(dbPath);
      try {
        const first = post(serve.url, 3);
        await expect.poll(() => pending(serve.url)).toBe(3);
        const refused = await post(serve.url, 3);
        expect(refused.status).toBe(503);
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
        release();
        expect((await first).status).toBe(200);
      } finally {
        expect(await serve.stop()).toBe(0);
      }
    });
  }

  it('--max-inflight-bytes bounds the body bytes in flight: a body past it alone is refused', async () => {
    const serve = await runServeInProcess(['--db', join(tempDir(), 'skein.db'), '--port', '0', '--max-inflight-bytes', '2000']);
    try {
      expect((await post(serve.url, 1)).status).toBe(200);
      const big = await post(serve.url, 40);
      expect(big.status).toBe(413);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });

  it('refuses bad values with one line naming the flag or the config field', async () => {
    const dir = tempDir();
    for (const [flag, value] of [
      ['--max-pending', '0'],
      ['--max-wait', '-1'],
      ['--max-outbox-bytes', 'lots'],
      ['--max-inflight-bytes', '1.5'],
    ]) {
      const result = await cli(['serve', '--port', '0', '--db', join(dir, 'x.db'), flag, value]);
      expect(result.code).toBe(1);
      expect(result.stderr.split('\n')[0]).toContain(flag);
    }
    const config = join(dir, 'bad.config.json');
    writeFileSync(config, JSON.stringify({ maxWaitSeconds: 0 }));
    const result = await cli(['serve', '--port', '0', '--db', join(dir, 'y.db'), '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${config}: maxWaitSeconds: must be a finite number from 0.001 to 3600 (seconds), got 0`);
  });
});
