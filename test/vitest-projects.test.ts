/**
 * The `unit` / `e2e` split of vitest.config.ts: asks vitest itself which test
 * files each project runs, so a test file moved to a new folder cannot fall
 * out of both projects or run twice, and an e2e file moved away from its
 * pattern is caught.
 */

import { readdirSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createVitest } from 'vitest/node';
import { E2E_TESTS } from '../vitest.config.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function testFilesOnDisk(): string[] {
  return readdirSync(join(ROOT, 'test'), { recursive: true, encoding: 'utf8' })
    .map((name) => posix.join('test', name.split('\\').join('/')))
    .filter((path) => path.endsWith('.test.ts'))
    .sort();
}

/** The test files each project of vitest.config.ts would run, as repository paths. */
async function filesByProject(): Promise<Map<string, string[]>> {
  const quiet = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const vitest = await createVitest('test', { root: ROOT, config: join(ROOT, 'vitest.config.ts'), watch: false }, {}, {
    stdout: quiet,
    stderr: quiet,
  });
  try {
    const byProject = new Map<string, string[]>();
    for (const project of vitest.projects) {
      const { testFiles } = await project.globTestFiles();
      byProject.set(project.name, testFiles.map((file) => posix.relative(ROOT, file.split('\\').join('/'))).sort());
    }
    return byProject;
  } finally {
    await vitest.close();
  }
}

/** The few glob forms E2E_TESTS uses (`**`, `*`), as a regular expression over repository paths. */
function globRegExp(glob: string): RegExp {
  const pattern = glob
    .split(/(\*\*\/|\*)/)
    .map((part) => (part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}$`);
}

describe('vitest projects', async () => {
  const onDisk = testFilesOnDisk();
  const byProject = await filesByProject();

  it('are exactly unit and e2e', () => {
    expect([...byProject.keys()].sort()).toEqual(['e2e', 'unit']);
  });

  it('every test file is in exactly one project', () => {
    const count = (file: string): number => [...byProject.values()].filter((files) => files.includes(file)).length;
    expect(onDisk.length).toBeGreaterThan(50);
    expect(onDisk.filter((file) => count(file) !== 1).map((file) => `${file}: in ${count(file)} projects`)).toEqual([]);
    expect([...byProject.values()].flat().sort()).toEqual(onDisk);
  });

  it('every e2e pattern still matches a test file (a moved e2e file is not silently unit)', () => {
    const e2e = byProject.get('e2e') ?? [];
    expect(E2E_TESTS.filter((glob) => !e2e.some((file) => globRegExp(glob).test(file)))).toEqual([]);
  });

  it('reads the globs as vitest does', () => {
    expect(onDisk.filter((file) => E2E_TESTS.some((glob) => globRegExp(glob).test(file)))).toEqual(byProject.get('e2e'));
    expect(globRegExp('test/**/a.test.ts').test('test/a.test.ts')).toBe(true);
    expect(globRegExp('test/**/a.test.ts').test('test/x/y/a.test.ts')).toBe(true);
    expect(globRegExp('test/cli/**/*.test.ts').test('test/clix/a.test.ts')).toBe(false);
  });
});
