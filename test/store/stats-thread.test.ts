/**
 * `statsOnThread`: the collector's stats run on a thread of their own, with
 * the same answers as inline, so a long scan does not stall the thread that
 * receives spans.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidQueryError } from '../../src/store/errors.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { makeLlmRecord } from '../helpers/records.js';

const dirs: string[] = [];
const stores: SqliteTraceStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function seeded(calls: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'skein-stats-thread-'));
  dirs.push(dir);
  const path = join(dir, 'skein.db');
  const writer = new SqliteTraceStore({ path });
  const models = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4'];
  for (let i = 0; i < calls; i += 1000) {
    await writer.write(
      Array.from({ length: Math.min(1000, calls - i) }, (_, j) =>
        makeLlmRecord({ requestModel: models[(i + j) % 3], sessionId: `s${(i + j) % 50}` }),
      ),
    );
  }
  await writer.close();
  return path;
}

function open(path: string, statsOnThread: boolean): SqliteTraceStore {
  const store = new SqliteTraceStore({ path, statsOnThread });
  stores.push(store);
  return store;
}

describe('stats on a thread of their own', () => {
  it('answers exactly as inline, for every grouping, and refuses a bad query with the same error', async () => {
    const path = await seeded(3_000);
    const inline = open(path, false);
    const threaded = open(path, true);
    for (const groupBy of ['model', 'provider', 'agent', 'day'] as const) {
      expect(await threaded.stats({ groupBy })).toEqual(await inline.stats({ groupBy }));
    }
    const bad = { groupBy: 'colour' as 'model' };
    await expect(inline.stats(bad)).rejects.toBeInstanceOf(InvalidQueryError);
    await expect(threaded.stats(bad)).rejects.toBeInstanceOf(InvalidQueryError);
  });

  it('leaves the calling thread free while a scan runs (inline, it is blocked throughout)', async () => {
    const path = await seeded(10_000);
    const ticksDuring = async (store: SqliteTraceStore): Promise<number> => {
      let ticks = 0;
      let running = true;
      const tick = (): void => {
        if (!running) return;
        ticks++;
        setImmediate(tick);
      };
      await store.stats({ groupBy: 'model' }); // warm: the thread opened, pages cached
      setImmediate(tick);
      await store.stats({ groupBy: 'model' });
      running = false;
      return ticks;
    };
    expect(await ticksDuring(open(path, false))).toBeLessThanOrEqual(1);
    expect(await ticksDuring(open(path, true))).toBeGreaterThan(5);
  });
});
