import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { plural } from '../../src/cli/output.js';
import { runCli } from '../../src/cli/run-cli.js';
import { startCollector } from '../../src/collector/start-collector.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { AGENT_FIXTURES_DIR, fixtureCounts, listRequests, replayScenario } from '../fixtures/agents/replay.js';
import { seedStore, tempDir } from '../server/query-api/seed.js';
import { makeLog } from '../store/signal-records.js';
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

describe('skein prune with log records and metric points (the Codex CLI capture)', () => {
  const scenarioDir = join(AGENT_FIXTURES_DIR, 'codex', 'exec-http-binary');
  let codexDir: { dir: string; cleanup(): void };
  let codexDb: string[];
  let sessions: number;
  beforeEach(async () => {
    codexDir = tempDir('skein-prune-codex-');
    const dbPath = join(codexDir.dir, 'skein.db');
    const collector = await startCollector({ dbPath, port: 0, grpcPort: 'off' });
    try {
      const answers = await replayScenario(scenarioDir, { httpUrl: collector.url, grpcPort: null });
      expect(answers.every((a) => a.httpStatus === 200)).toBe(true);
      sessions = (await collector.store.listSessions({ includeInternal: true, limit: 1000 })).items.length;
    } finally {
      await collector.close();
    }
    codexDb = ['--db', dbPath];
  });
  afterEach(() => codexDir.cleanup());

  const n = (text: string) => Number(text.replaceAll(',', ''));

  it('says how many log records and metric points go: in the dry run, the question and what was deleted', async () => {
    const { logRecords, metricPoints } = fixtureCounts(listRequests(scenarioDir));
    expect(logRecords).toBeGreaterThan(0);
    expect(metricPoints).toBeGreaterThan(0);

    const dry = await cli(['prune', '--older-than', '0s', '--dry-run', ...codexDb]);
    expect(dry.stderr).toBe('');
    const planned = /^would delete ([\d,]+) sessions \([\d,]+ spans, about [^)]+\), ([\d,]+) log records, ([\d,]+) metric points\n$/.exec(dry.stdout);
    expect(planned, dry.stdout).not.toBeNull();
    expect([n(planned![1]), n(planned![2]), n(planned![3])]).toStrictEqual([sessions, logRecords, metricPoints]);

    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const stdout = new Capture(true);
    const stderr = new Capture(true);
    const exit = runCli(['prune', '--older-than', '0s', ...codexDb], { stdin, stdout, stderr, env: { HOME: '/nonexistent-skein-home', NO_COLOR: '1' } });
    stdin.end('y\n');
    expect(await exit).toBe(0);
    expect(stderr.text).toContain(`, ${plural(logRecords, 'log record')}, ${plural(metricPoints, 'metric point')}? [y/N] `);
    const done = /^deleted ([\d,]+) sessions \([\d,]+ spans\), ([\d,]+) log records, ([\d,]+) metric points\n$/.exec(stdout.text);
    expect(done, stdout.text).not.toBeNull();
    expect([n(done![1]), n(done![2]), n(done![3])]).toStrictEqual([sessions, logRecords, metricPoints]);
    // `skein logs --json` prints one record a line: none is left.
    const logsLeft = await cli(['logs', '--json', ...codexDb]);
    expect([logsLeft.code, logsLeft.stdout, logsLeft.stderr]).toStrictEqual([0, '', '']);
  });
});

describe('skein prune when only log records would go', () => {
  it('still asks at a terminal, and "n" keeps them', async () => {
    const { dir, cleanup } = tempDir('skein-prune-logs-');
    try {
      const dbPath = join(dir, 'skein.db');
      const store = new SqliteTraceStore({ path: dbPath });
      store.writeLogsSync([makeLog()]);
      await store.close();
      const stdin = Object.assign(new PassThrough(), { isTTY: true });
      const stderr = new Capture(true);
      const exit = runCli(['prune', '--older-than', '0s', '--db', dbPath], {
        stdin, stdout: new Capture(true), stderr, env: { HOME: '/nonexistent-skein-home', NO_COLOR: '1' },
      });
      stdin.end('n\n');
      expect(await exit).toBe(1);
      expect(stderr.text).toContain('delete 0 sessions (0 spans, about 0 B), 1 log record? [y/N] ');
      const left = await cli(['logs', '--json', '--db', dbPath]);
      expect(left.stdout.trim().split('\n')).toHaveLength(1);
    } finally {
      cleanup();
    }
  });
});
