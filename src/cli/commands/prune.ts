import { parseArgs } from 'node:util';
import type { RetentionPolicy, RetentionResult } from '../../model/query.js';
import type { RetentionPreview } from '../../model/query.js';
import { CliFailure, CliUsageError } from '../cli-error.js';
import type { CliCommand, CliIo } from '../command.js';
import { withTraceStore } from '../open-store.js';
import { plural, writeJson } from '../output.js';
import { COMMON_FLAGS, COMMON_HELP, durationFlag, positionals } from '../query-flags.js';

const HELP = `Usage: skein prune [options]

Deletes old sessions with their spans, log records and metric points, and
any log record or metric point older than the age. A session's age is its
last activity. At a terminal it says what would go and asks first; scripts
(stdin not a terminal) and --yes delete without asking.

Options:
  --older-than <age>   delete sessions idle for longer than this (default 30d; 12h, 90d, …)
  --max-sessions <n>   then keep at most this many sessions, newest first (those \`skein sessions\`
                       lists: an agent's plumbing-only sessions do not count, and go with older ones)
  --dry-run            only say what would go: sessions, spans (about how many bytes), log records
                       and metric points
  --yes                do not ask at a terminal
${COMMON_HELP}

Examples:
  skein prune --dry-run
  skein prune --older-than 7d
  skein prune --max-sessions 1000 --yes --json`;

const NANOS_PER_MILLI = 1_000_000n;

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** `, 3 log records, 1 metric point`: only what there is. */
function describeSignals(logRecords: number, metricPoints: number): string {
  return (
    (logRecords > 0 ? `, ${plural(logRecords, 'log record')}` : '') +
    (metricPoints > 0 ? `, ${plural(metricPoints, 'metric point')}` : '')
  );
}

function describePreview(preview: RetentionPreview): string {
  return (
    `${plural(preview.sessions, 'session')} (${plural(preview.spans, 'span')}, about ${formatBytes(preview.approxBytes)})` +
    describeSignals(preview.logRecords, preview.metricPoints)
  );
}

function describeResult(result: RetentionResult): string {
  return (
    `${plural(result.sessionsDeleted, 'session')} (${plural(result.spansDeleted, 'span')})` +
    describeSignals(result.logRecordsDeleted, result.metricPointsDeleted)
  );
}

/** One answer typed at the terminal: true for y/yes. End of input is a no. */
function confirm(io: CliIo, stdin: NodeJS.ReadableStream, question: string): Promise<boolean> {
  io.stderr.write(`${question} [y/N] `);
  return new Promise((resolve) => {
    let text = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.off('end', finish);
      stdin.pause();
      resolve(/^\s*y(es)?\s*$/i.test(text.split('\n')[0]));
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (text.includes('\n')) finish();
    };
    stdin.on('data', onData);
    stdin.on('end', finish);
    stdin.resume();
  });
}

export const pruneCommand: CliCommand = {
  name: 'prune',
  summary: 'delete sessions older than an age or beyond a count',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: rest } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {
      ...COMMON_FLAGS,
      'older-than': { type: 'string' },
      'max-sessions': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
    } });
    positionals(rest, []);
    const policy: RetentionPolicy = {};
    const age = durationFlag(values['older-than'], '--older-than');
    if (age !== undefined) policy.maxAgeMillis = Number(age / NANOS_PER_MILLI);
    if (values['max-sessions'] !== undefined) {
      const n = Number(values['max-sessions']);
      if (!/^\d+$/.test(values['max-sessions']) || !Number.isSafeInteger(n)) {
        throw new CliUsageError(`--max-sessions expects an integer >= 0, got '${values['max-sessions']}'`);
      }
      policy.maxSessions = n;
    }
    if (values['dry-run']) {
      const preview = await withTraceStore(io, { db: values.db, mode: 'read' }, (store) => store.previewRetention(policy));
      if (values.json) writeJson(io, { dryRun: true, ...preview });
      else io.stdout.write(`would delete ${describePreview(preview)}\n`);
      return 0;
    }
    const stdin = io.stdin;
    if (!values.yes && stdin?.isTTY === true) {
      const preview = await withTraceStore(io, { db: values.db, mode: 'read' }, (store) => store.previewRetention(policy));
      const anything = preview.sessions > 0 || preview.logRecords > 0 || preview.metricPoints > 0;
      if (anything && !(await confirm(io, stdin, `delete ${describePreview(preview)}?`))) {
        throw new CliFailure('nothing deleted');
      }
    }
    const stderr = io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
    // The store deletes in batches but reports only the total: on a terminal, say that work is under way.
    if (stderr.isTTY === true) stderr.write('pruning…');
    const result = await withTraceStore(io, { db: values.db, mode: 'write' }, (store) => store.applyRetention(policy)).finally(
      () => {
        if (stderr.isTTY === true) stderr.write('\r\x1b[2K');
      },
    );
    if (values.json) {
      writeJson(io, result);
      return 0;
    }
    io.stdout.write(`deleted ${describeResult(result)}\n`);
    return 0;
  },
};
