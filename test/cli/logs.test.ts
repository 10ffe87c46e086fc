/** `skein logs`: one line per record, filters, paging, --json lines, errors in one line. */

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logRecordJson } from '../../src/model/log-view.js';
import type { LogRecordJson } from '../../src/model/log-view.js';
import { SqliteTraceStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../server/query-api/seed.js';
import { SIGNALS, seedSignals } from '../server/query-api/signal-seed.js';
import { cli } from './run.js';

let temp: ReturnType<typeof tempDir>;
let dbPath: string;

beforeAll(async () => {
  temp = tempDir('skein-cli-logs-');
  dbPath = join(temp.dir, 'logs.db');
  const store = new SqliteTraceStore({ path: dbPath });
  await seedSignals(store);
  await store.close();
});
afterAll(() => temp.cleanup());

const logs = (...args: string[]) => cli(['logs', '--db', dbPath, ...args]);
/** The data lines of the table (header dropped), each split on runs of two or more spaces. */
const rows = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .slice(1)
    .filter((line) => !line.startsWith('more:'))
    .map((line) => line.split(/ {2,}/));

describe('skein logs', () => {
  it('prints one line per record, oldest first: time, severity, event, session, body preview', async () => {
    const { code, stdout, stderr } = await logs('--session', SIGNALS.session);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0].split(/ {2,}/)).toEqual(['TIME', 'SEVERITY', 'EVENT', 'SESSION', 'BODY']);
    const table = rows(stdout);
    expect(table.map((r) => r[2])).toEqual(['gen_ai.user.message', 'gen_ai.choice', '-', 'tool.result', 'api.error']);
    expect(table.map((r) => r[1])).toEqual(['INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR']);
    expect(table[0][0]).toBe('2023-11-14 22:13:20.010Z');
    expect(table.every((r) => r[3] === SIGNALS.session)).toBe(true);
    expect(table[1][4]).toBe(`{"message":{"content":"${SIGNALS.answer}"}}`);
    // A body on several lines stays on one.
    expect(table[2][4]).toBe('a debug line with two lines');
  });

  it('shows a record of no session with a dash', async () => {
    const { stdout } = await logs('--event', 'orphan');
    expect(rows(stdout)).toEqual([['2023-11-14 22:13:20.030Z', 'INFO', 'orphan', '-', 'tied to nothing']]);
  });

  it('filters by event, severity, trace, span and time', async () => {
    const events = async (...args: string[]) => rows((await logs(...args)).stdout).map((r) => r[2]);
    expect(await events('--severity', 'warn')).toEqual(['tool.result', 'api.error']);
    expect(await events('--severity', '17')).toEqual(['api.error']);
    expect(await events('--trace', SIGNALS.traceId)).toEqual(['gen_ai.choice', 'tool.result', 'api.error']);
    expect(await events('--trace', SIGNALS.traceId, '--span', SIGNALS.llmSpanId)).toEqual(['gen_ai.choice']);
    expect(await events('--since', '2023-11-14T22:13:20.250Z', '--until', '2023-11-14T22:13:20.300Z')).toEqual(['tool.result']);
    expect(await events('--session', SIGNALS.logsOnly, '--event', 'claude_code.api_request')).toEqual(['claude_code.api_request']);
    const none = await logs('--session', SIGNALS.session, '--event', 'nothing');
    expect(none).toMatchObject({ code: 0, stdout: 'no log records match\n' });
  });

  it('pages with --limit and the --cursor it prints', async () => {
    const first = await logs('--limit', '3');
    expect(rows(first.stdout)).toHaveLength(3);
    const cursor = /more: skein logs … --cursor (\S+)/.exec(first.stdout)?.[1];
    expect(cursor).toBeDefined();
    const second = await logs('--limit', '3', '--cursor', cursor!);
    expect(rows(second.stdout)).toHaveLength(3);
    const all = rows((await logs()).stdout);
    expect([...rows(first.stdout), ...rows(second.stdout)]).toEqual(all.slice(0, 6));
  });

  it('--json prints each record on its own line as the API shows it, the cursor on stderr', async () => {
    const { code, stdout, stderr } = await logs('--json', '--limit', '4');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as LogRecordJson);
    expect(lines).toHaveLength(4);
    const store = new SqliteTraceStore({ path: dbPath, readonly: true });
    try {
      const page = await store.listLogs({ limit: 4 });
      expect(lines).toEqual(page.items.map(logRecordJson));
      expect(stderr).toBe(`more: skein logs … --cursor ${page.nextCursor}\n`);
    } finally {
      await store.close();
    }
  });

  it.each([
    [['--severity', 'loud'], /^skein logs: --severity expects a severity number from 0 to 24 or one of trace, debug, info, warn, error, fatal, got 'loud'$/],
    [['--trace', 'xyz'], /^skein logs: --trace expects 32 lowercase hex digits, got 'xyz'$/],
    [['--span', 'ABCDEF0123456789'], /^skein logs: --span expects 16 lowercase hex digits, got 'ABCDEF0123456789'$/],
    [['--since', 'yesterday'], /^skein logs: --since expects an RFC 3339 time/],
    [['--since', '1h', '--until', '2h'], /^skein logs: --until must not be before --since$/],
    [['--limit', '0'], /^skein logs: --limit expects an integer from 1 to 1000, got '0'$/],
    [['--session', ''], /^skein logs: --session expects a non-empty value$/],
    [['--colour'], /^skein logs: unknown option --colour$/],
    [['extra'], /^skein logs: unexpected argument 'extra'$/],
    [['--session', 'no-such-session'], /^skein logs: session not found: no-such-session$/],
    [['--cursor', 'garbage'], /^skein logs: .*cursor/],
  ])('%j fails with one line and exit 1', async (args, message) => {
    const { code, stdout, stderr } = await logs(...args);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toMatch(message);
  });

  it('fails in one line when there is no database', async () => {
    const { code, stderr } = await cli(['logs', '--db', join(temp.dir, 'missing.db')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^skein logs: no database at .*missing\.db/);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
