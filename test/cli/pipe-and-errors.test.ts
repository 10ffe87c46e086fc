import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALPHA, seedStore } from '../server/query-api/seed.js';
import type { Seeded } from '../server/query-api/seed.js';
import { cli } from './run.js';
import { MAIN, REPO_ROOT } from './serve/helpers.js';

let seeded: Seeded;

beforeAll(async () => {
  seeded = await seedStore();
});
afterAll(() => seeded.cleanup());

/**
 * Runs the real CLI as `skein <argv> | head -0`: the reader closes the pipe
 * before the command writes, so every write meets EPIPE.
 */
function runIntoClosedPipe(argv: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...argv], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOME: '/nonexistent-skein-home', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('output into a closed pipe (| head)', () => {
  const commands: string[][] = [
    ['sessions'],
    ['show', ALPHA.sessionId],
    ['spans'],
    ['search', 'zebra'],
    ['export', ALPHA.sessionId, '--format', 'jsonl'],
    ['logs'],
    // tail follows until stopped: the closed pipe must stop it too.
    ['tail', '--from-start'],
  ];
  for (const argv of commands) {
    it(`skein ${argv[0]} exits 0 without a stack trace`, async () => {
      const { code, stderr } = await runIntoClosedPipe([...argv, '--db', seeded.dbPath]);
      expect(stderr).not.toContain('EPIPE');
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(code).toBe(0);
    });
  }
});

describe('a runtime failure is one line, exit 1, no usage', () => {
  const cases: [string[], RegExp][] = [
    [['show', 'no-such-session'], /^skein show: session not found: no-such-session$/],
    [['export', 'no-such-session', '--format', 'md'], /^skein export: session not found: no-such-session$/],
    [['logs', '--session', 'no-such-session'], /^skein logs: session not found: no-such-session$/],
  ];
  for (const [argv, message] of cases) {
    it(`skein ${argv.join(' ')}`, async () => {
      const { code, stdout, stderr } = await cli([...argv, '--db', seeded.dbPath]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.trimEnd()).toMatch(message);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  }

  it('a missing database is one line', async () => {
    const { code, stderr } = await cli(['sessions', '--db', `${seeded.dir}/nope/none.db`]);
    expect(code).toBe(1);
    expect(stderr.trimEnd().split('\n')).toEqual([
      `skein sessions: no database at ${seeded.dir}/nope/none.db: pass --db <file> (or set SKEIN_DB), or record something first`,
    ]);
  });

  it('skein serve 4318 says serve takes no positional and suggests --port', async () => {
    const { code, stderr } = await cli(['serve', '4318']);
    expect(code).toBe(1);
    expect(stderr.trimEnd().split('\n')).toEqual([
      "skein serve: serve takes no positional argument, got '4318' (did you mean --port 4318?)",
    ]);
  });
});

describe("node's parseArgs messages become ours, followed by the usage", () => {
  const cases: [string[], string][] = [
    [['sessions', '--colour'], 'skein sessions: unknown option --colour'],
    [['sessions', '--db'], 'skein sessions: --db needs a value'],
    [['sessions', '--db', '--json'], "skein sessions: --db needs a value (to pass one starting with '-', write --db=<value>)"],
    [['sessions', '--json=yes'], 'skein sessions: --json takes no value'],
    // --port 0 and --db in the temp directory, so a serve that did start would harm nothing.
    [['serve', '--forward-header', 'x-tenant=acme', '--port', '0', '--db', '/nonexistent-skein-home/s.db'], 'skein serve: --forward-header needs --forward <url>'],
  ];
  for (const [argv, line] of cases) {
    it(`skein ${argv.join(' ')}`, async () => {
      const { code, stderr } = await cli(argv);
      expect(code).toBe(1);
      const [first, ...rest] = stderr.split('\n');
      expect(first).toBe(line);
      expect(rest.join('\n')).toContain(`Usage: skein ${argv[0]}`);
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe('skein --version', () => {
  for (const flag of ['--version', '-v']) {
    it(`skein ${flag} prints the package version`, async () => {
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
      const { code, stdout, stderr } = await cli([flag]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toBe(`skein ${pkg.version}\n`);
    });
  }
});
