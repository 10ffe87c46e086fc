import { parseArgs } from 'node:util';
import { formatDurationNanos, formatTimestamp, formatUsd } from '../../model/human-units.js';
import type { SpanQuery } from '../../model/query.js';
import { STEP_TYPES } from '../../model/types.js';
import { parseAttributeValue } from '../../query/attribute-value.js';
import { preview, spanJson } from '../../query/json-views.js';
import { CliUsageError } from '../cli-error.js';
import type { CliCommand } from '../command.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../../query/query-options.js';
import { withTraceStore } from '../open-store.js';
import { colourEnabled, createStyle, renderTable, truncateCell, writeJson } from '../output.js';
import {
  COMMON_FLAGS,
  COMMON_HELP,
  durationFlag,
  limitFlag,
  oneOfFlag,
  positionals,
  timeFlag,
} from '../query-flags.js';

const MAX_ID_WIDTH = 40;
const MAX_NAME_WIDTH = 60;

const HELP = `Usage: skein spans [options]

Lists spans (steps) matching every filter, newest first.

Options:
  --session <id>       in this session
  --trace <id>         in this trace (32 hex digits)
  --type <t>           ${STEP_TYPES.join(' | ')}
  --model <model>      request or response model
  --provider <name>    openai, anthropic, …
  --errors             only failed steps
  --ok                 only steps that did not fail
  --min-duration <d>   at least this long (250ms, 2s, 1m)
  --since <time>       started at or after (RFC 3339, Unix ns, or an age: 24h)
  --until <time>       started before
  --attr <key=value>   attribute equals value (repeatable); numbers and true/false match
                       as typed, quote to match a string: --attr 'k="42"'
  --limit <n>          page size, 1–${MAX_LIMIT} (default ${DEFAULT_LIMIT})
  --cursor <c>         continue after the page that printed it
${COMMON_HELP}

Examples:
  skein spans --session my-session --type tool
  skein spans --errors --since 1h
  skein spans --attr gen_ai.tool.name=search --min-duration 2s --json`;

export const spansCommand: CliCommand = {
  name: 'spans',
  summary: 'list spans filtered by session, type, model, error, duration or attribute',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: rest } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {
      ...COMMON_FLAGS,
      session: { type: 'string' },
      trace: { type: 'string' },
      type: { type: 'string' },
      model: { type: 'string' },
      provider: { type: 'string' },
      errors: { type: 'boolean', default: false },
      ok: { type: 'boolean', default: false },
      'min-duration': { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      attr: { type: 'string', multiple: true, default: [] },
      limit: { type: 'string' },
      cursor: { type: 'string' },
    } });
    positionals(rest, []);
    if (values.errors && values.ok) throw new CliUsageError('pass --errors or --ok, not both');
    if (values.trace !== undefined && !/^[0-9a-f]{32}$/.test(values.trace)) {
      throw new CliUsageError(`--trace expects 32 lowercase hex digits, got '${values.trace}'`);
    }
    const query: SpanQuery = {
      sessionId: values.session,
      traceId: values.trace,
      stepType: oneOfFlag(values.type, STEP_TYPES, '--type'),
      model: values.model,
      provider: values.provider,
      isError: values.errors ? true : values.ok ? false : undefined,
      minDurationNanos: durationFlag(values['min-duration'], '--min-duration'),
      fromUnixNano: timeFlag(values.since, '--since'),
      toUnixNano: timeFlag(values.until, '--until'),
      limit: limitFlag(values.limit),
      cursor: values.cursor,
    };
    if (values.attr.length > 0) {
      const attributes: Record<string, string | number | boolean> = {};
      for (const pair of values.attr) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new CliUsageError(`--attr expects key=value, got '${pair}'`);
        attributes[pair.slice(0, eq)] = parseAttributeValue(pair.slice(eq + 1));
      }
      query.attributes = attributes;
    }
    const page = await withTraceStore(io, { db: values.db, mode: 'read' }, (store) => store.getSpans(query));
    if (values.json) {
      writeJson(io, { items: page.items.map(spanJson), nextCursor: page.nextCursor });
      return 0;
    }
    const style = createStyle(colourEnabled(io));
    if (page.items.length === 0) {
      io.stdout.write('no spans match\n');
    } else {
      const table = renderTable(
        page.items,
        [
          { header: 'STARTED', value: (s) => formatTimestamp(s.startTimeUnixNano) },
          // Ids and names are cut so one long value does not widen every row; --json has them whole.
          { header: 'SESSION', value: (s) => truncateCell(s.resolvedSessionId, MAX_ID_WIDTH) },
          { header: 'TYPE', value: (s) => s.stepType },
          { header: 'NAME', value: (s) => (s.isError ? style.red(truncateCell(s.name, MAX_NAME_WIDTH)) : truncateCell(s.name, MAX_NAME_WIDTH)) },
          {
            header: 'DURATION',
            align: 'right',
            value: (s) =>
              s.endTimeUnixNano === null
                ? s.interrupted ? style.yellow('interrupted') : style.cyan('running')
                : formatDurationNanos(s.endTimeUnixNano - s.startTimeUnixNano),
          },
          { header: 'COST', align: 'right', value: (s) => (s.cost === null ? '' : formatUsd(s.cost.usd)) },
          {
            header: 'DETAIL',
            value: (s) => (s.isError ? style.red(s.statusMessage || 'error') : preview(s.output ?? s.input, 60) ?? ''),
          },
        ],
        style,
      );
      io.stdout.write(`${table}\n`);
    }
    if (page.nextCursor !== null) io.stdout.write(style.dim(`more: skein spans … --cursor ${page.nextCursor}\n`));
    return 0;
  },
};
