import { parseArgs } from 'node:util';
import { formatTimestamp } from '../../model/human-units.js';
import { SNIPPET_MARKERS, searchHitJson } from '../../query/json-views.js';
import { plainTextQuery } from '../../query/store-reads.js';
import { CliUsageError } from '../cli-error.js';
import type { CliCommand } from '../command.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../../query/query-options.js';
import { withTraceStore } from '../open-store.js';
import { colourEnabled, createStyle, writeJson } from '../output.js';
import type { Style } from '../output.js';
import { COMMON_FLAGS, COMMON_HELP, limitFlag } from '../query-flags.js';

const HELP = `Usage: skein search <text…> [options]

Full-text search over step names, inputs, outputs and reasoning; newest
first, the matched words highlighted.

Options:
  --session <id>       only this session
  --fts                take <text> as an SQLite FTS5 query (phrases, prefix*, OR, NOT)
  --limit <n>          at most this many hits, 1–${MAX_LIMIT} (default ${DEFAULT_LIMIT})
  --all                also an agent's internal plumbing spans (Codex CLI's own traces)
${COMMON_HELP}

Examples:
  skein search rate limit
  skein search --fts '"connection refused" OR timeout*'
  skein search invoice --session my-session --json`;

function highlight(snippet: string, style: Style): string {
  const { start, end } = SNIPPET_MARKERS;
  if (!style.enabled) return snippet;
  return snippet.split(start).map((part, i) => {
    if (i === 0) return part;
    const close = part.indexOf(end);
    return close < 0 ? start + part : style.bold(style.yellow(part.slice(0, close))) + part.slice(close + end.length);
  }).join('');
}

export const searchCommand: CliCommand = {
  name: 'search',
  summary: 'full-text search over step names, content and reasoning',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {
      ...COMMON_FLAGS,
      session: { type: 'string' },
      fts: { type: 'boolean', default: false },
      limit: { type: 'string' },
      all: { type: 'boolean', default: false },
    } });
    const words = positionals.join(' ');
    const text = values.fts ? words : plainTextQuery(words);
    if (text.trim() === '') throw new CliUsageError('missing <text>: what to search for');
    const hits = await withTraceStore(io, { db: values.db, mode: 'read' }, (store) =>
      store.search({ text, sessionId: values.session, limit: limitFlag(values.limit), includeInternal: values.all }),
    );
    if (values.json) {
      writeJson(io, { q: words, markers: SNIPPET_MARKERS, hits: hits.map(searchHitJson) });
      return 0;
    }
    const style = createStyle(colourEnabled(io));
    if (hits.length === 0) {
      io.stdout.write('no matches\n');
      return 0;
    }
    for (const hit of hits) {
      io.stdout.write(
        `${style.bold(hit.sessionId)} ${style.dim(`${formatTimestamp(hit.startTimeUnixNano)} ${hit.stepType}`)} ${hit.name}\n` +
          `  ${highlight(hit.snippet.replace(/\s+/g, ' '), style)}\n`,
      );
    }
    return 0;
  },
};
