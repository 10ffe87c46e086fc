/**
 * `skein serve` that cannot start says why in one line naming the path or the
 * address, and exits 1: no stack, no usage, no misleading port advice.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../run.js';
import { cleanup, tempDir } from './helpers.js';

afterEach(cleanup);

async function serveFails(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const result = await cli(['serve', '--port', '0', ...args], { env });
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  // One line: no stack, no usage.
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/unexpected error|pick a port|Usage:/);
  return result.stderr.trimEnd();
}

describe('skein serve startup errors', () => {
  it('a --db whose directory cannot be created: a file in the way', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    expect(await serveFails(['--db', join(dir, 'file', 'skein.db')])).toBe(
      `skein serve: cannot open the database ${join(dir, 'file', 'skein.db')}: ${join(dir, 'file')} is a file, not a directory`,
    );
    expect(await serveFails(['--db', join(dir, 'file', 'deeper', 'skein.db')])).toContain(
      `cannot create its directory ${join(dir, 'file', 'deeper')}: a part of the path is a file, not a directory`,
    );
  });

  it('a --db that is a directory', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data.db'));
    expect(await serveFails(['--db', join(dir, 'data.db')])).toBe(
      `skein serve: cannot open the database ${join(dir, 'data.db')}: it is a directory; give a file path`,
    );
  });

  it('a --db under /proc, where nothing can be created (where a recursive mkdir of Node never returns)', async () => {
    expect(await serveFails(['--db', '/proc/skein-test/a/skein.db'])).toBe(
      'skein serve: cannot open the database /proc/skein-test/a/skein.db: cannot create its directory /proc/skein-test/a: a directory on the path does not exist and cannot be created',
    );
    expect(await serveFails(['--db', '/proc/skein.db'])).toMatch(/^skein serve: cannot open the database \/proc\/skein\.db: /);
  });

  it('the default database under a HOME where it cannot be created', async () => {
    expect(await serveFails([], { HOME: '/proc/1' })).toMatch(
      /^skein serve: cannot open the database \/proc\/1\/\.skein\/skein\.db: cannot create its directory \/proc\/1\/\.skein: /,
    );
  });

  it('a port in use is one line naming the address', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await cli(['serve', '--port', String(port), '--db', join(tempDir(), 'skein.db')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `skein serve: 127.0.0.1:${port} is already in use (another skein serve?): pick another with --port (0 picks a free one)\n`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
