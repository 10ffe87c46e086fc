import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteTraceStore } from '../src/store/sqlite/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function field(stdout: string, name: string): string {
  const match = new RegExp(`^${name}: (.*)$`, 'm').exec(stdout);
  if (match === null) throw new Error(`no "${name}:" line in:\n${stdout}`);
  return match[1];
}

describe('examples/basic-agent.ts', () => {
  it('records a scripted session and prints the summary it reads back from the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-example-test-'));
    dirs.push(dir);
    const dbPath = join(dir, 'example.db');

    const { code, stdout, stderr } = await run('npx', ['tsx', 'examples/basic-agent.ts', dbPath]);
    // npm's own configuration warnings are not the example's.
    expect(stderr.split('\n').filter((line) => line !== '' && !line.startsWith('npm warn'))).toEqual([]);
    expect(code).toBe(0);

    const sessionId = field(stdout, 'session');
    expect(field(stdout, 'database')).toBe(dbPath);
    expect(field(stdout, 'status')).toBe('completed');
    expect(field(stdout, 'model calls')).toBe('3');
    expect(field(stdout, 'tool calls')).toBe('2');
    expect(field(stdout, 'errors')).toBe('0');

    // The printed summary is the stored one.
    const store = new SqliteTraceStore({ path: dbPath });
    try {
      const summary = await store.getSession(sessionId);
      expect(field(stdout, 'steps')).toBe(String(summary.spanCount));
      // A session span, 3 model calls, 2 tool calls, 1 reasoning step.
      expect(summary.spanCount).toBe(7);
      expect(field(stdout, 'agent')).toBe(summary.agentName);
      expect(field(stdout, 'tokens')).toBe(
        `input ${summary.tokens.input}, output ${summary.tokens.output}, reasoning ${summary.tokens.reasoning}, cache read ${summary.tokens.cacheRead}, cache write ${summary.tokens.cacheWrite}`,
      );
      expect(summary.tokens.input).toBeGreaterThan(0);
      expect(field(stdout, 'cost usd')).toContain(summary.costUsd.toFixed(6));
      expect(summary.costUsd).toBeGreaterThan(0);
      expect(field(stdout, 'models')).toBe(summary.models.join(', '));
      expect([...summary.models].sort()).toEqual(['gpt-4o', 'gpt-4o-mini']);

      const timeline = await store.getTimeline(sessionId);
      expect(timeline.map((step) => step.stepType)).toEqual(['agent', 'llm', 'tool', 'llm', 'tool', 'reasoning', 'llm']);
      expect(timeline.slice(1).every((step) => step.depth === 1)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
