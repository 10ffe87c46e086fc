import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { seedStore } from '../server/query-api/seed.js';
import type { Seeded } from '../server/query-api/seed.js';
import { Capture, cli } from './run.js';

let seeded: Seeded;
let db: string[];

beforeEach(async () => {
  seeded = await seedStore();
  db = ['--db', seeded.dbPath];
});
afterEach(() => seeded.cleanup());

async function sessionCount(): Promise<number> {
  return (JSON.parse((await cli(['sessions', '--json', ...db])).stdout) as { items: unknown[] }).items.length;
}

/** `skein prune` at a terminal: stdin and stdout are TTYs and `answer` is typed. */
async function pruneAtTerminal(args: string[], answer: string | null) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stdout = new Capture(true);
  const stderr = new Capture(true);
  const exit = runCli(['prune', ...args, ...db], { stdin, stdout, stderr, env: { HOME: '/nonexistent-skein-home', NO_COLOR: '1' } });
  if (answer !== null) stdin.end(answer);
  const code = await exit;
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('skein prune --dry-run', () => {
  it('says what would go and deletes nothing', async () => {
    const all = JSON.parse((await cli(['spans', '--json', '--limit', '1000', ...db])).stdout) as { items: unknown[] };
    const { code, stdout, stderr } = await cli(['prune', '--older-than', '0s', '--dry-run', ...db]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^would delete 3 sessions \\(${all.items.length} spans, about \\d+(\\.\\d)? (B|KB|MB)\\)\n$`));
    expect(await sessionCount()).toBe(3);
  });

  it('--json gives the counts', async () => {
    const { stdout } = await cli(['prune', '--max-sessions', '2', '--dry-run', '--json', ...db]);
    const plan = JSON.parse(stdout) as { dryRun: boolean; sessions: number; spans: number; approxBytes: number };
    expect(plan.dryRun).toBe(true);
    expect(plan.sessions).toBe(1);
    expect(plan.spans).toBeGreaterThan(0);
    expect(plan.approxBytes).toBeGreaterThan(0);
    expect(await sessionCount()).toBe(3);
  });
});

describe('skein prune at a terminal', () => {
  it('asks first, and "n" deletes nothing', async () => {
    const { code, stderr } = await pruneAtTerminal(['--older-than', '0s'], 'n\n');
    expect(stderr).toMatch(/delete 3 sessions \(\d+ spans, about [^)]+\)\? \[y\/N\] /);
    expect(stderr).toContain('skein prune: nothing deleted');
    expect(code).toBe(1);
    expect(await sessionCount()).toBe(3);
  });

  it('"y" deletes', async () => {
    const { code, stdout } = await pruneAtTerminal(['--older-than', '0s'], 'y\n');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^deleted 3 sessions/);
    expect(await sessionCount()).toBe(0);
  });

  it('--yes does not ask', async () => {
    const { code, stderr } = await pruneAtTerminal(['--older-than', '0s', '--yes'], null);
    expect(code).toBe(0);
    expect(stderr).not.toContain('[y/N]');
    expect(await sessionCount()).toBe(0);
  });
});
