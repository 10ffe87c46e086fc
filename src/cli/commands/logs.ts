import { parseArgs } from 'node:util';
import { formatTimestamp } from '../../model/human-units.js';
import type { LogQuery, StoredLogRecord } from '../../model/log-types.js';
import { logRecordJson } from '../../model/log-view.js';
import type { Page } from '../../model/query.js';
import { sessionEvents } from '../../query/log-reads.js';
import { logBodyPreview } from '../../query/log-text.js';
import { parseSeverity, SEVERITY_EXPECTED, SEVERITY_NAMES, severityLabel } from '../../query/log-severity.js';
import { MAX_LIMIT, SIGNAL_DEFAULT_LIMIT } from '../../query/query-options.js';
import { CliUsageError } from '../cli-error.js';
import type { CliCommand } from '../command.js';
import { withTraceStore } from '../open-store.js';
import { colourEnabled, createStyle, renderTable, truncateCell } from '../output.js';
import type { Style } from '../output.js';
import { COMMON_FLAGS, COMMON_HELP, limitFlag, positionals, timeFlag } from '../query-flags.js';

const MAX_ID_WIDTH = 40;
const MAX_EVENT_WIDTH = 40;
const BODY_PREVIEW = 100;

const HELP = `Usage: skein logs [options]

Lists OTLP log records (events) matching every filter, oldest first: what
agents such as Claude Code and Codex send as logs (prompts, answers, tool
results, costs). Metric points are read through the API (GET /api/metrics).

Options:
  --session <id>       of this session
  --event <name>       with exactly this event name (claude_code.api_request, gen_ai.choice, …)
  --severity <level>   at least this severe: ${SEVERITY_NAMES.join(', ')} or a number 0–24
  --trace <id>         tied to this trace (32 hex digits)
  --span <id>          tied to this span (16 hex digits)
  --since <time>       at or after (RFC 3339, Unix ns, or an age: 24h)
  --until <time>       before
  --limit <n>          page size, 1–${MAX_LIMIT} (default ${SIGNAL_DEFAULT_LIMIT})
  --cursor <c>         continue after the page that printed it
${COMMON_HELP} (one record per line, as GET /api/logs shows it)

Examples:
  skein logs --session my-session
  skein logs --event claude_code.api_request --since 1h
  skein logs --severity error --json | jq .body`;

function hexFlag(value: string | undefined, flag: string, digits: number): string | undefined {
  if (value === undefined) return undefined;
  if (!new RegExp(`^[0-9a-f]{${digits}}$`).test(value)) {
    throw new CliUsageError(`${flag} expects ${digits} lowercase hex digits, got '${value}'`);
  }
  return value;
}

function severityFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseSeverity(value);
  if (parsed === null) throw new CliUsageError(`--severity expects ${SEVERITY_EXPECTED}, got '${value}'`);
  return parsed;
}

export const logsCommand: CliCommand = {
  name: 'logs',
  summary: 'list log events filtered by session, event name, severity, trace or time',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: rest } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {
      ...COMMON_FLAGS,
      session: { type: 'string' },
      event: { type: 'string' },
      severity: { type: 'string' },
      trace: { type: 'string' },
      span: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
    } });
    positionals(rest, []);
    for (const flag of ['session', 'event', 'cursor'] as const) {
      if (values[flag] === '') throw new CliUsageError(`--${flag} expects a non-empty value`);
    }
    const query: Omit<LogQuery, 'sessionId'> = {
      traceId: hexFlag(values.trace, '--trace', 32),
      spanId: hexFlag(values.span, '--span', 16),
      eventName: values.event,
      minSeverity: severityFlag(values.severity),
      fromUnixNano: timeFlag(values.since, '--since'),
      toUnixNano: timeFlag(values.until, '--until'),
      limit: limitFlag(values.limit) ?? SIGNAL_DEFAULT_LIMIT,
      cursor: values.cursor,
    };
    if (query.fromUnixNano !== undefined && query.toUnixNano !== undefined && query.toUnixNano < query.fromUnixNano) {
      throw new CliUsageError('--until must not be before --since');
    }
    const session = values.session;
    const page: Page<StoredLogRecord> = await withTraceStore(io, { db: values.db, mode: 'read' }, (store) =>
      // With a session, an unknown id is an error rather than an empty list.
      session === undefined ? store.listLogs(query) : sessionEvents(store, session, query),
    );
    const style = createStyle(colourEnabled(io) && !values.json);
    if (values.json) {
      for (const record of page.items) io.stdout.write(`${JSON.stringify(logRecordJson(record))}\n`);
      // stdout stays one record per line; the way on goes to stderr.
      if (page.nextCursor !== null) io.stderr.write(`more: skein logs … --cursor ${page.nextCursor}\n`);
      return 0;
    }
    if (page.items.length === 0) {
      io.stdout.write('no log records match\n');
    } else {
      io.stdout.write(`${renderTable(page.items, columns(style), style)}\n`);
    }
    if (page.nextCursor !== null) io.stdout.write(style.dim(`more: skein logs … --cursor ${page.nextCursor}\n`));
    return 0;
  },
};

function columns(style: Style) {
  return [
    { header: 'TIME', value: (r: StoredLogRecord) => formatTimestamp(recordTime(r)) },
    { header: 'SEVERITY', value: (r: StoredLogRecord) => severityCell(r, style) },
    // Ids and names are cut so one long value does not widen every row; --json has them whole.
    { header: 'EVENT', value: (r: StoredLogRecord) => (r.eventName === '' ? style.dim('-') : truncateCell(r.eventName, MAX_EVENT_WIDTH)) },
    { header: 'SESSION', value: (r: StoredLogRecord) => (r.sessionId === null ? style.dim('-') : truncateCell(r.sessionId, MAX_ID_WIDTH)) },
    { header: 'BODY', value: (r: StoredLogRecord) => logBodyPreview(r.body, BODY_PREVIEW) },
  ];
}

/** The record's time, or when it was observed if it carries none (the order the store sorts by). */
function recordTime(record: StoredLogRecord): bigint {
  return record.timeUnixNano !== 0n ? record.timeUnixNano : record.observedTimeUnixNano;
}

function severityCell(record: StoredLogRecord, style: Style): string {
  const label = severityLabel(record.severityNumber, record.severityText);
  if (record.severityNumber >= 17) return style.red(label);
  if (record.severityNumber >= 13) return style.yellow(label);
  return label;
}
