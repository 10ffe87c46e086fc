import { parseArgs } from 'node:util';
import type { RetentionPolicy } from '../../model/query.js';
import { CliUsageError } from '../cli-error.js';
import type { CliCommand } from '../command.js';
import { withStore } from '../open-store.js';
import { writeJson } from '../output.js';
import { COMMON_FLAGS, COMMON_HELP, durationFlag, positionals } from '../query-flags.js';

const HELP = `Usage: skein prune [options]

Deletes old sessions and their spans. A session's age is its last activity.

Options:
  --older-than <age>   delete sessions idle for longer than this (default 30d; 12h, 90d, …)
  --max-sessions <n>   then keep at most this many sessions, newest first
${COMMON_HELP}

Examples:
  skein prune
  skein prune --older-than 7d
  skein prune --max-sessions 1000 --json`;

const NANOS_PER_MILLI = 1_000_000n;

export const pruneCommand: CliCommand = {
  name: 'prune',
  summary: 'delete sessions older than an age or beyond a count',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: rest } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {
      ...COMMON_FLAGS,
      'older-than': { type: 'string' },
      'max-sessions': { type: 'string' },
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
    const stderr = io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
    // The store deletes in batches but reports only the total: on a terminal, say that work is under way.
    if (stderr.isTTY === true) stderr.write('pruning…');
    const result = await withStore(io, { db: values.db, mode: 'write' }, (store) => store.applyRetention(policy)).finally(
      () => {
        if (stderr.isTTY === true) stderr.write('\r\x1b[2K');
      },
    );
    if (values.json) {
      writeJson(io, result);
      return 0;
    }
    io.stdout.write(`deleted ${result.sessionsDeleted} sessions (${result.spansDeleted} spans)\n`);
    return 0;
  },
};
