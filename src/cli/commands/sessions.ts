import { parseArgs } from 'node:util';
import { formatCount, formatDurationNanos, formatTimestamp, formatUsd } from '../../model/human-units.js';
import type { SessionQuery } from '../../model/query.js';
import type { SessionStatus, SessionSummary } from '../../model/types.js';
import { sessionJson } from '../../query/json-views.js';
import { DEFAULT_LIMIT, MAX_LIMIT, SESSION_SORTS, SESSION_STATUSES } from '../../query/query-options.js';
import { listSessionsMatching, plainTextQuery } from '../../query/store-reads.js';
import { CliUsageError } from '../cli-error.js';
import type { CliCommand } from '../command.js';
import { withTraceStore } from '../open-store.js';
import { colourEnabled, createStyle, renderTable, truncateCell, writeJson } from '../output.js';
import type { Style } from '../output.js';
import { COMMON_FLAGS, COMMON_HELP, limitFlag, numberFlag, oneOfFlag, positionals, timeFlag } from '../query-flags.js';

/** Wider session ids are cut in the table (whole with --json), so one odd id does not widen every row. */
const MAX_ID_WIDTH = 40;

const HELP = `Usage: skein sessions [options]

Lists sessions, most recent activity first.

Options:
  --since <time>       activity at or after (RFC 3339, Unix ns, or an age: 24h, 7d)
  --until <time>       started before
  --status <s>         running | completed | failed | interrupted
  --agent <name>       agent name
  --model <model>      sessions that called this model
  --user <id>          user id
  --min-tokens <n>     at least this many tokens
  --min-cost <usd>     at least this cost
  --text <words>       a step's name, content or reasoning contains every word
  --sort <order>       recent | oldest | newest | cost | tokens | duration (default recent)
  --limit <n>          page size, 1–${MAX_LIMIT} (default ${DEFAULT_LIMIT})
  --cursor <c>         continue after the page that printed it
  --all                also sessions of an agent's internal plumbing only (Codex CLI's own
                       traces), marked (plumbing)
${COMMON_HELP}

Examples:
  skein sessions
  skein sessions --since 24h --status failed
  skein sessions --agent researcher --sort cost --limit 10
  skein sessions --text "rate limit" --json`;

function statusText(status: SessionStatus, style: Style): string {
  switch (status) {
    case 'failed':
      return style.red(status);
    case 'interrupted':
      return style.yellow(status);
    case 'running':
      return style.cyan(status);
    default:
      return style.green(status);
  }
}

export function sessionsTable(items: readonly SessionSummary[], style: Style): string {
  return renderTable(
    items,
    [
      { header: 'SESSION', value: (s) => truncateCell(s.sessionId, MAX_ID_WIDTH) },
      { header: 'STATUS', value: (s) => statusText(s.status, style) },
      { header: 'STARTED', value: (s) => formatTimestamp(s.firstStartUnixNano).slice(0, 19) },
      {
        header: 'DURATION',
        align: 'right',
        value: (s) => (s.lastEndUnixNano === null ? '—' : formatDurationNanos(s.lastEndUnixNano - s.firstStartUnixNano)),
      },
      { header: 'STEPS', align: 'right', value: (s) => String(s.stepCount ?? s.spanCount) },
      { header: 'LLM', align: 'right', value: (s) => String(s.llmCallCount) },
      { header: 'TOOLS', align: 'right', value: (s) => String(s.toolCallCount) },
      { header: 'ERR', align: 'right', value: (s) => (s.errorCount > 0 ? style.red(String(s.errorCount)) : '0') },
      {
        header: 'TOKENS',
        align: 'right',
        value: (s) => formatCount(s.tokens.input + s.tokens.output),
      },
      {
        header: 'COST',
        align: 'right',
        value: (s) => formatUsd(s.costUsd) + (s.unpricedCallCount > 0 ? style.yellow('*') : ''),
      },
      // Listed with --all only: a session of an agent's plumbing, no step of its own.
      { header: 'AGENT', value: (s) => (s.agentName ?? '—') + (s.internal === true ? style.dim(' (plumbing)') : '') },
      { header: 'MODELS', value: (s) => s.models.join(', ') },
    ],
    style,
  );
}

export const sessionsCommand: CliCommand = {
  name: 'sessions',
  summary: 'list sessions with their status, tokens and cost',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: rest } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {
      ...COMMON_FLAGS,
      since: { type: 'string' },
      until: { type: 'string' },
      status: { type: 'string' },
      agent: { type: 'string' },
      model: { type: 'string' },
      user: { type: 'string' },
      'min-tokens': { type: 'string' },
      'min-cost': { type: 'string' },
      text: { type: 'string' },
      sort: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      all: { type: 'boolean' },
    } });
    positionals(rest, []);
    const minTokens = numberFlag(values['min-tokens'], '--min-tokens');
    if (minTokens !== undefined && !Number.isInteger(minTokens)) throw new CliUsageError('--min-tokens expects an integer');
    const query: SessionQuery = {
      fromUnixNano: timeFlag(values.since, '--since'),
      toUnixNano: timeFlag(values.until, '--until'),
      status: oneOfFlag(values.status, SESSION_STATUSES, '--status'),
      agentName: values.agent,
      model: values.model,
      userId: values.user,
      minTokens,
      minCostUsd: numberFlag(values['min-cost'], '--min-cost'),
      sort: oneOfFlag(values.sort, SESSION_SORTS, '--sort'),
      limit: limitFlag(values.limit),
      cursor: values.cursor,
      includeInternal: values.all ?? false,
    };
    let match: string | undefined;
    if (values.text !== undefined) {
      match = plainTextQuery(values.text);
      if (match === '') throw new CliUsageError('--text expects at least one word');
    }
    const page = await withTraceStore(io, { db: values.db, mode: 'read' }, (store) =>
      match === undefined ? store.listSessions(query) : listSessionsMatching(store, query, match),
    );
    if (values.json) {
      writeJson(io, { items: page.items.map(sessionJson), nextCursor: page.nextCursor });
      return 0;
    }
    const style = createStyle(colourEnabled(io));
    if (page.items.length === 0) {
      io.stdout.write('no sessions match\n');
    } else {
      io.stdout.write(`${sessionsTable(page.items, style)}\n`);
      if (page.items.some((s) => s.unpricedCallCount > 0)) io.stdout.write(style.dim('* has model calls with no known price\n'));
    }
    if (page.nextCursor !== null) io.stdout.write(style.dim(`more: skein sessions … --cursor ${page.nextCursor}\n`));
    return 0;
  },
};
