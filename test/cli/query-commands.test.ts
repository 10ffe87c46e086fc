import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionJson, StepJson, TreeNodeJson } from '../../src/query/json-views.js';
import { SESSION_SORTS, STATS_GROUPS } from '../../src/query/query-options.js';
import { ALPHA, BETA, OPEN, seedStore } from '../server/query-api/seed.js';
import type { Seeded } from '../server/query-api/seed.js';
import { cli } from './run.js';

let seeded: Seeded;
let db: string[];

beforeAll(async () => {
  seeded = await seedStore();
  db = ['--db', seeded.dbPath];
});
afterAll(() => seeded.cleanup());

function json<T>(text: string): T {
  return JSON.parse(text) as T;
}

describe('skein sessions', () => {
  it('prints a table of every session', async () => {
    const { code, stdout, stderr } = await cli(['sessions', ...db]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^SESSION\s+STATUS\s+STARTED/);
    for (const id of [ALPHA.sessionId, BETA.sessionId, OPEN.sessionId]) expect(stdout).toContain(id);
    expect(stdout).toContain('* has model calls with no known price');
  });

  it('--json with filters gives the API shape', async () => {
    const all = json<{ items: SessionJson[]; nextCursor: string | null }>((await cli(['sessions', ...db, '--json'])).stdout);
    expect(all.items).toHaveLength(3);
    expect(all.nextCursor).toBeNull();
    const alpha = all.items.find((s) => s.sessionId === ALPHA.sessionId)!;
    expect(alpha.tokens.input).toBe(ALPHA.mini.inputTokens + ALPHA.claude.inputTokens);
    expect(alpha.firstStartUnixNano).toMatch(/^\d+$/);
    const interrupted = json<{ items: SessionJson[] }>((await cli(['sessions', ...db, '--status', 'interrupted', '--json'])).stdout);
    expect(interrupted.items.map((s) => s.sessionId)).toEqual([OPEN.sessionId]);
    const zebra = json<{ items: SessionJson[] }>((await cli(['sessions', ...db, '--text', 'zebra', '--agent', 'coder', '--json'])).stdout);
    expect(zebra.items.map((s) => s.sessionId)).toEqual([BETA.sessionId]);
    const paged = json<{ items: SessionJson[]; nextCursor: string }>((await cli(['sessions', ...db, '--limit', '2', '--json'])).stdout);
    const rest = json<{ items: SessionJson[]; nextCursor: string | null }>(
      (await cli(['sessions', ...db, '--limit', '2', '--cursor', paged.nextCursor, '--json'])).stdout,
    );
    expect([...paged.items, ...rest.items].map((s) => s.sessionId)).toEqual(all.items.map((s) => s.sessionId));
    expect(rest.nextCursor).toBeNull();
  });

  it('colours only on a terminal, and never with NO_COLOR', async () => {
    expect((await cli(['sessions', ...db])).stdout).not.toContain('\x1b[');
    expect((await cli(['sessions', ...db], { tty: true })).stdout).toContain('\x1b[');
    expect((await cli(['sessions', ...db], { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\x1b[');
  });
});

describe('skein show', () => {
  it('prints the summary, the per-model costs and a timeline with duration bars', async () => {
    const { code, stdout } = await cli(['show', ALPHA.sessionId, ...db]);
    expect(code).toBe(0);
    expect(stdout).toContain(`session ${ALPHA.sessionId}`);
    expect(stdout).toMatch(/claude-sonnet-4-5\s+1\s+3,000\s+400\s+\$0\.5000/);
    expect(stdout).toContain('█');
    expect(stdout).toContain(`execute_tool ${ALPHA.failingTool}`);
    expect(stdout).toContain('connection refused');
    const lines = stdout.split('\n');
    const toolLine = lines.find((l) => l.includes(`execute_tool ${ALPHA.toolName}`))!;
    expect(toolLine.startsWith('  ')).toBe(true);
  });

  it('--tree draws the nesting; --json gives steps or roots', async () => {
    const tree = await cli(['show', ALPHA.sessionId, '--tree', ...db]);
    expect(tree.stdout).toContain('├─ ');
    expect(tree.stdout).toContain('└─ ');
    const steps = json<{ session: SessionJson; steps: StepJson[] }>((await cli(['show', ALPHA.sessionId, '--json', ...db])).stdout);
    expect(steps.session.sessionId).toBe(ALPHA.sessionId);
    expect(steps.steps).toHaveLength(6);
    const roots = json<{ roots: TreeNodeJson[] }>((await cli(['show', ALPHA.sessionId, '--tree', '--json', ...db])).stdout);
    expect(roots.roots).toHaveLength(1);
    expect(roots.roots[0].children).toHaveLength(5);
  });

  it('shows an interrupted step as such', async () => {
    const { stdout } = await cli(['show', OPEN.sessionId, ...db]);
    expect(stdout).toContain('interrupted');
  });
});

describe('skein spans, search, stats', () => {
  it('spans filters by session, type, attribute and error', async () => {
    const tools = json<{ items: { toolName: string }[] }>((await cli(['spans', '--session', ALPHA.sessionId, '--type', 'tool', '--json', ...db])).stdout);
    expect(tools.items.map((s) => s.toolName).sort()).toEqual([ALPHA.failingTool, ALPHA.toolName].sort());
    const byAttr = json<{ items: { toolName: string }[] }>((await cli(['spans', '--attr', `gen_ai.tool.name=${ALPHA.toolName}`, '--json', ...db])).stdout);
    expect(byAttr.items.map((s) => s.toolName)).toEqual([ALPHA.toolName]);
    const errors = await cli(['spans', '--errors', ...db]);
    expect(errors.stdout).toContain('connection refused');
    expect(errors.stdout).not.toContain(`execute_tool ${ALPHA.toolName} `);
  });

  it('search marks the match; colour replaces the markers on a terminal', async () => {
    const plain = await cli(['search', 'zebra', ...db]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('[[zebra]]');
    expect(plain.stdout).toContain(ALPHA.sessionId);
    expect(plain.stdout).toContain(BETA.sessionId);
    const tty = await cli(['search', 'zebra', ...db], { tty: true });
    expect(tty.stdout).not.toContain('[[');
    expect(tty.stdout).toContain('\x1b[');
    const hits = json<{ hits: { sessionId: string }[] }>((await cli(['search', 'zebra', '--session', BETA.sessionId, '--json', ...db])).stdout);
    expect(hits.hits.map((h) => h.sessionId)).toEqual([BETA.sessionId]);
    expect((await cli(['search', 'nothing-like-this', ...db])).stdout).toBe('no matches\n');
  });

  it('stats groups model calls', async () => {
    const byModel = json<{ by: string; rows: { key: string; calls: number }[] }>((await cli(['stats', '--json', ...db])).stdout);
    expect(byModel.by).toBe('model');
    expect(byModel.rows.find((r) => r.key === 'gpt-4o-mini')!.calls).toBe(2);
    const table = await cli(['stats', '--by', 'agent', ...db]);
    expect(table.stdout.split('\n')[0]).toMatch(/^AGENT\s+CALLS\s+ERR/);
    expect(table.stdout).toContain(ALPHA.agentName);
  });

  it('takes every sort and group the query API takes (one list in src/query/)', async () => {
    for (const sort of SESSION_SORTS) {
      const page = await cli(['sessions', '--sort', sort, '--json', ...db]);
      expect(page.code, sort).toBe(0);
      expect(json<{ items: SessionJson[] }>(page.stdout).items, sort).toHaveLength(3);
    }
    for (const by of STATS_GROUPS) {
      const stats = await cli(['stats', '--by', by, '--json', ...db]);
      expect(stats.code, by).toBe(0);
      expect(json<{ by: string }>(stats.stdout).by).toBe(by);
    }
    const byUser = json<{ rows: { key: string }[] }>((await cli(['stats', '--by', 'user', '--json', ...db])).stdout);
    expect(byUser.rows.map((r) => r.key)).toEqual(expect.arrayContaining([ALPHA.userId, BETA.userId]));
  });
});

describe('bad input: one line, the usage, exit 1', () => {
  const cases: [string[], RegExp][] = [
    [['sessions', '--status', 'asleep'], /--status expects one of running, completed, failed, interrupted, got 'asleep'/],
    [['sessions', '--limit', '0'], /--limit expects an integer from 1 to 1000/],
    [['sessions', '--since', 'yesterday'], /--since expects an RFC 3339 time/],
    [['sessions', '--colour'], /unknown option --colour$/],
    [['sessions', 'extra'], /unexpected argument 'extra'/],
    [['show'], /missing <session>/],
    [['spans', '--type', 'thinking'], /--type expects one of/],
    [['spans', '--trace', 'xyz'], /--trace expects 32 lowercase hex digits/],
    [['spans', '--attr', 'novalue'], /--attr expects key=value/],
    [['spans', '--errors', '--ok'], /--errors or --ok, not both/],
    [['spans', '--min-duration', 'long'], /--min-duration expects a duration/],
    [['search'], /missing <text>/],
    [['search', '--fts', '"unbalanced'], /malformed search query/],
    [['stats', '--by', 'week'], /--by expects one of model, provider, agent, user, day/],
    [['export', ALPHA.sessionId], /--format is required/],
    [['export', ALPHA.sessionId, '--format', 'pdf'], /--format expects one of otlp, jsonl, md/],
    [['prune', '--older-than', 'ages'], /--older-than expects a duration/],
    [['prune', '--max-sessions', '-3'], /--max-sessions|unknown option/],
    [['import'], /missing <files…>/],
  ];
  for (const [argv, message] of cases) {
    it(`skein ${argv.join(' ')}`, async () => {
      const { code, stdout, stderr } = await cli([...argv, ...db]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      const [first, ...rest] = stderr.split('\n');
      expect(first).toMatch(new RegExp(`^skein ${argv[0]}: `));
      expect(first).toMatch(message);
      expect(rest.join('\n')).toContain(`Usage: skein ${argv[0]}`);
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('a missing database is named, not created', async () => {
    const { code, stderr } = await cli(['sessions', '--db', `${seeded.dir}/nope/none.db`]);
    expect(code).toBe(1);
    expect(stderr.split('\n')[0]).toContain(`no database at ${seeded.dir}/nope/none.db`);
  });

  it('SKEIN_DB stands in for --db', async () => {
    const { code, stdout } = await cli(['sessions', '--json'], { env: { SKEIN_DB: seeded.dbPath } });
    expect(code).toBe(0);
    expect(json<{ items: unknown[] }>(stdout).items).toHaveLength(3);
  });
});

describe('--help', () => {
  for (const name of ['sessions', 'show', 'spans', 'search', 'stats', 'export', 'import', 'prune']) {
    it(`skein ${name} --help has options and examples`, async () => {
      const { code, stdout } = await cli([name, '--help']);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: skein ${name}`);
      expect(stdout).toContain('--db <file>');
      expect(stdout).toContain('Examples:');
      if (name !== 'export') expect(stdout).toContain('--json');
    });
  }

  it('skein --help lists every command', async () => {
    const { stdout } = await cli(['--help']);
    for (const name of ['sessions', 'show', 'spans', 'search', 'stats', 'export', 'import', 'prune']) {
      expect(stdout).toMatch(new RegExp(`^  ${name}\\s`, 'm'));
    }
  });
});
