import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALPHA, seedStore } from '../server/query-api/seed.js';
import type { Seeded } from '../server/query-api/seed.js';
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
