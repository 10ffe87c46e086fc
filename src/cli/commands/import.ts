import { parseArgs } from 'node:util';
import { createIngestCommit } from '../../ingest/ingest-commit.js';
import { createPgIngestCommit } from '../../ingest/pg-ingest-commit.js';
import { SqliteTraceStore } from '../../store/sqlite/sqlite-trace-store.js';
import { createIngest, resolveIngestSettings } from '../../ingest/ingest-settings.js';
import { DEFAULT_MAX_TEXT_LENGTH } from '../../model/normalize.js';
import type { CliCommand } from '../command.js';
import { loadConfigFlag } from '../config-file.js';
import { parsePositiveInt } from '../options.js';
import { withTraceStore } from '../open-store.js';
import { createProgress, plural, writeJson } from '../output.js';
import { COMMON_FLAGS, COMMON_HELP, positionals } from '../query-flags.js';
import { readTraceFile } from '../trace-files.js';
import type { TraceFile, TraceFileFormat } from '../trace-files.js';
import { CliUsageError } from '../cli-error.js';

/** Spans per write: one transaction each, small enough that a reader never waits long. */
const WRITE_BATCH = 500;

const HELP = `Usage: skein import <files…> [options]

Imports spans into the database: OTLP/JSON and OTLP protobuf requests,
OTLP/JSON lines (the OTel Collector file exporter), and Skein JSONL — any
of them gzipped. Importing a span again replaces it. Steps that were still
open in the file are recorded as interrupted.

Spans are stored as \`skein serve\` stores them: secrets redacted by the
config file's redaction (the built-in detectors and deny keys by default),
cost from its prices. The spans' attributes and events are kept whole; only
the input/output/reasoning text, name and status message shown and searched
are cut to --max-text-length characters (their original length is kept).

Options:
${COMMON_HELP}
  --config <file>      redaction, prices and maxTextLength from this JSON file
                       (default: ./skein.config.json when it exists)
  --max-text-length <n>
                       characters of input/output/reasoning text, name and status
                       message kept for display and search (default: the config's
                       maxTextLength, else ${DEFAULT_MAX_TEXT_LENGTH})

Examples:
  skein import session.otlp.json
  skein import traces/*.pb --db ./team.db
  skein import traces/*.pb --db postgres://skein@db.internal:5432/skein
  skein import export.jsonl.gz --json
  skein import big-prompts.otlp.json --max-text-length 65536 --config ./skein.config.json`;

interface FileResult {
  path: string;
  format: TraceFileFormat;
  spans: number;
  rejectedSpans: number;
}

export const importCommand: CliCommand = {
  name: 'import',
  summary: 'import OTLP (JSON, protobuf) and Skein JSONL files',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: files } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { ...COMMON_FLAGS, config: { type: 'string' }, 'max-text-length': { type: 'string' } },
    });
    if (files.length === 0) positionals(files, ['files…']);
    // Settings first: a bad config or flag fails the command before any file is read.
    const config = loadConfigFlag(values.config);
    const flag = values['max-text-length'];
    // The config's budgets are not evaluated: importing old sessions must not record crossings as if they happened now.
    const ingest = createIngest(
      resolveIngestSettings({
        redaction: config?.redaction,
        prices: config?.prices,
        maxTextLength: flag === undefined ? config?.maxTextLength : parsePositiveInt(flag, '--max-text-length'),
      }),
    );
    // Read and decode everything first: a bad file fails the command before anything is written.
    const decoded: TraceFile[] = [];
    for (const path of files) decoded.push(await readTraceFile(path));
    const total = decoded.reduce((n, f) => n + f.spans.length, 0);
    if (total === 0 && decoded.every((f) => f.rejectedSpans === 0)) {
      throw new CliUsageError(`no spans in ${files.join(', ')}`);
    }
    const results: FileResult[] = [];
    await withTraceStore(io, { db: values.db, mode: 'write' }, async (store) => {
      // PostgreSQL: the same commit, one transaction of the shared database per batch.
      const commit = store instanceof SqliteTraceStore ? createIngestCommit({ store, ingest }) : createPgIngestCommit(store, ingest);
      const progress = createProgress(io, 'importing', total);
      try {
        for (const file of decoded) {
          for (let i = 0; i < file.spans.length; i += WRITE_BATCH) {
            const batch = file.spans.slice(i, i + WRITE_BATCH);
            await commit(batch);
            // Between transactions: the progress line and signals get their turn.
            await new Promise<void>((resolveTurn) => setImmediate(resolveTurn));
            progress.tick(batch.length);
          }
          results.push({ path: file.path, format: file.format, spans: file.spans.length, rejectedSpans: file.rejectedSpans });
        }
      } finally {
        progress.done();
      }
    });
    const rejectedSpans = results.reduce((n, r) => n + r.rejectedSpans, 0);
    if (values.json) {
      writeJson(io, { files: results, spans: total, rejectedSpans });
      return 0;
    }
    for (const r of results) {
      io.stdout.write(`${r.path}: ${plural(r.spans, 'span')} (${r.format})${r.rejectedSpans > 0 ? `, ${r.rejectedSpans} rejected` : ''}\n`);
    }
    io.stdout.write(`imported ${plural(total, 'span')} from ${plural(results.length, 'file')}\n`);
    return 0;
  },
};
