import { parseArgs } from 'node:util';
import { formatCount, formatDurationNanos, formatUsd } from '../../model/human-units.js';
import { statsRowJson } from '../../query/json-views.js';
import { STATS_GROUPS } from '../../query/query-options.js';
import type { CliCommand } from '../command.js';
import { withTraceStore } from '../open-store.js';
import { colourEnabled, createStyle, renderTable, truncateCell, writeJson } from '../output.js';
import { COMMON_FLAGS, COMMON_HELP, oneOfFlag, positionals, timeFlag } from '../query-flags.js';

const HELP = `Usage: skein stats [options]

Model calls grouped by model, provider, agent, user id or UTC day: calls, errors,
tokens by kind, cost, and median / 95th percentile latency.

Options:
  --by <group>         model | provider | agent | user | day (default model)
  --since <time>       calls that started at or after (RFC 3339, Unix ns, or an age: 7d)
  --until <time>       calls that started before
${COMMON_HELP}

Examples:
  skein stats
  skein stats --by day --since 30d
  skein stats --by agent --json`;

export const statsCommand: CliCommand = {
  name: 'stats',
  summary: 'usage, cost and latency of model calls by model, provider, agent, user or day',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: rest } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {
      ...COMMON_FLAGS,
      by: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
    } });
    positionals(rest, []);
    const groupBy = oneOfFlag(values.by, STATS_GROUPS, '--by') ?? 'model';
    const fromUnixNano = timeFlag(values.since, '--since');
    const toUnixNano = timeFlag(values.until, '--until');
    const rows = await withTraceStore(io, { db: values.db, mode: 'read' }, (store) =>
      store.stats({ groupBy, fromUnixNano, toUnixNano }),
    );
    if (values.json) {
      writeJson(io, { by: groupBy, from: fromUnixNano ?? null, to: toUnixNano ?? null, rows: rows.map(statsRowJson) });
      return 0;
    }
    if (rows.length === 0) {
      io.stdout.write('no model calls in range\n');
      return 0;
    }
    const style = createStyle(colourEnabled(io));
    const table = renderTable(
      rows,
      [
        // A long model, agent or user name is cut so it does not widen every row; --json has it whole.
        { header: groupBy.toUpperCase(), value: (r) => truncateCell(r.key, 48) },
        { header: 'CALLS', align: 'right', value: (r) => formatCount(r.calls) },
        { header: 'ERR', align: 'right', value: (r) => (r.errors > 0 ? style.red(formatCount(r.errors)) : '0') },
        { header: 'IN', align: 'right', value: (r) => formatCount(r.tokens.input) },
        { header: 'OUT', align: 'right', value: (r) => formatCount(r.tokens.output) },
        { header: 'REASON', align: 'right', value: (r) => formatCount(r.tokens.reasoning) },
        { header: 'CACHE R', align: 'right', value: (r) => formatCount(r.tokens.cacheRead) },
        { header: 'CACHE W', align: 'right', value: (r) => formatCount(r.tokens.cacheWrite) },
        { header: 'COST', align: 'right', value: (r) => formatUsd(r.costUsd) },
        { header: 'P50', align: 'right', value: (r) => formatDurationNanos(r.p50DurationNanos) },
        { header: 'P95', align: 'right', value: (r) => formatDurationNanos(r.p95DurationNanos) },
      ],
      style,
    );
    io.stdout.write(`${table}\n`);
    return 0;
  },
};
