import { parseArgs } from 'node:util';
import { describeBudgetCrossing } from '../../model/budgets.js';
import { formatCount, formatDurationNanos, formatTimestamp, formatUsd } from '../../model/human-units.js';
import type { ChangeEvent, LiveStep } from '../../model/live-event.js';
import { asAsyncChangeFeed } from '../../server/live-stream/feed-source.js';
import type { AsyncChangeFeedReader } from '../../store/change-feed.js';
import { StoreError } from '../../store/errors.js';
import { isPostgresUrl } from '../../store/postgres/connection.js';
import { PostgresTraceStore } from '../../store/postgres/index.js';
import type { SqliteTraceStore } from '../../store/sqlite/index.js';
import { CliFailure, CliUsageError } from '../cli-error.js';
import type { CliCommand, CliIo } from '../command.js';
import { asUserError, openStore } from '../open-store.js';
import { severityLabel } from '../../query/log-severity.js';
import { logBodyPreview } from '../../query/log-text.js';
import { colourEnabled, createStyle, plural, truncateCell } from '../output.js';
import type { Style } from '../output.js';
import { COMMON_FLAGS, COMMON_HELP } from '../query-flags.js';
import { listenForStopSignals } from '../stop-signals.js';

const HELP = `Usage: skein tail [session] [options]

Prints steps as they start and end, and log events (an agent's prompts,
API requests, tool results) as they arrive, reading the database's change feed
directly: it works while \`skein serve\` or an app using SkeinSpanProcessor
writes the file. Runs until Ctrl-C. With --db postgres://… (or SKEIN_DB), it
follows that PostgreSQL database: the steps every collector sharing it writes.

Options:
  --from-start         first print what the feed still holds (the last 24 h / 100,000 events)
${COMMON_HELP}

Examples:
  skein tail
  skein tail my-session-id
  skein tail --json | jq 'select(.kind == "span.ended")'`;

/** How often a SQLite database is checked for commits; a check is one pragma read. (PostgreSQL wakes tail itself.) */
const POLL_INTERVAL_MILLIS = 150;
/** After a failed read (the database unreachable), the next try; a commit announced sooner tries sooner. */
const RETRY_MILLIS = 1000;
const PAGE = 500;

export const tailCommand: CliCommand = {
  name: 'tail',
  summary: 'print steps as they start and end',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: rest } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { ...COMMON_FLAGS, 'from-start': { type: 'boolean', default: false } },
    });
    if (rest.length > 1) throw new CliUsageError(`unexpected argument '${rest[1]}'`);
    const sessionId = rest[0] as string | undefined;
    const target = values.db ?? io.env.SKEIN_DB;
    // SQLite is opened, and the position fixed, before anything is awaited: tail starts where it was run.
    const store = target !== undefined && isPostgresUrl(target) ? await openPostgres(target) : openSqlite(io, values.db);
    const stop = listenForStopSignals(io.stopSignal);
    let stopped = false;
    void stop.stopped.then(() => (stopped = true));
    let unsubscribe: (() => void) | null = null;
    try {
      const feed = asAsyncChangeFeed(store, POLL_INTERVAL_MILLIS);
      const printer = new TailPrinter(io, values.json, createStyle(colourEnabled(io)));
      // Woken by commits (SQLite: its commit version, polled; PostgreSQL: LISTEN/NOTIFY and a poll).
      let woken = true;
      let wake: (() => void) | null = null;
      unsubscribe = feed.onCommit(() => {
        woken = true;
        wake?.();
      });
      // Subscribed first: a commit after the position is fixed is announced.
      const cursor = { position: values['from-start'] ? 0 : await feed.latestChangeSeq() };
      let failing = false;
      while (!stopped) {
        if (woken) {
          woken = false;
          try {
            await drain(feed, cursor, sessionId, printer);
            if (failing) printer.notice('reading the change feed again');
            failing = false;
          } catch (error) {
            // The database went away (a PostgreSQL restart): carry on from the last event printed.
            if (!failing) printer.notice(`cannot read the change feed (${(error as Error).message}); retrying`);
            failing = true;
          }
        }
        if (stopped || woken) continue;
        const waited = new Promise<void>((resolve) => (wake = resolve));
        await Promise.race([stop.stopped, waited, ...(failing ? [sleep(RETRY_MILLIS).then(() => (woken = true))] : [])]);
        wake = null;
      }
    } finally {
      unsubscribe?.();
      await store.close();
      await stop.dispose();
    }
    return 0;
  },
};

function openSqlite(io: CliIo, db: string | undefined): SqliteTraceStore {
  try {
    return openStore(io, { db, mode: 'read' });
  } catch (error) {
    throw asUserError(error);
  }
}

/** Read-only: tail neither migrates the database nor registers as a writer. */
async function openPostgres(url: string): Promise<PostgresTraceStore> {
  try {
    return await PostgresTraceStore.open({ url, readonly: true });
  } catch (error) {
    const mapped = asUserError(error);
    // Its open errors (unreachable, not a Skein database) name the database: one line, no stack.
    throw mapped === error && error instanceof StoreError ? new CliFailure(error.message) : mapped;
  }
}

/** Prints every event after `cursor.position`, moving it past each one printed (so a failed read repeats nothing). */
async function drain(
  feed: AsyncChangeFeedReader,
  cursor: { position: number },
  sessionId: string | undefined,
  printer: TailPrinter,
): Promise<void> {
  const { trimmedThroughSeq } = await feed.changeFeedState();
  if (cursor.position < trimmedThroughSeq) {
    printer.notice(`events up to #${trimmedThroughSeq} are no longer kept; carrying on from there`);
    cursor.position = trimmedThroughSeq;
  }
  for (;;) {
    const events = await feed.readChanges(cursor.position, { sessionId, limit: PAGE });
    for (const event of events) {
      printer.print(event);
      cursor.position = event.seq;
    }
    if (events.length < PAGE) return;
  }
}

class TailPrinter {
  constructor(
    private readonly io: CliIo,
    private readonly json: boolean,
    private readonly style: Style,
  ) {}

  notice(text: string): void {
    this.io.stderr.write(`skein tail: ${text}\n`);
  }

  print(event: ChangeEvent): void {
    if (this.json) {
      this.io.stdout.write(JSON.stringify(event) + '\n');
      return;
    }
    const line = this.line(event);
    if (line !== null) this.io.stdout.write(line + '\n');
  }

  private line(event: ChangeEvent): string | null {
    const s = this.style;
    // A 300-character session id would push every line off the screen; --json has it whole.
    const session = s.dim(truncateCell(event.sessionId, 40));
    switch (event.kind) {
      case 'span.started':
        return `${clock(event.step.startTimeUnixNano)}  ${session}  ${s.cyan('▶')} ${describe(event.step, s)}`;
      case 'span.ended': {
        const step = event.step;
        const mark = step.isError ? s.red('✗') : s.green('✓');
        const parts = [describe(step, s), formatDurationNanos(step.durationNanos === null ? null : BigInt(step.durationNanos))];
        const tokens = tokenText(step);
        if (tokens) parts.push(tokens);
        if (step.costUsd !== null) parts.push(formatUsd(step.costUsd));
        if (step.isError) parts.push(s.red(`error: ${step.statusMessage || 'failed'}`));
        return `${clock(step.endTimeUnixNano ?? step.startTimeUnixNano)}  ${session}  ${mark} ${parts.join('  ')}`;
      }
      case 'session.interrupted':
        return `${clockMillis(event.atUnixMillis)}  ${session}  ${s.yellow('⚠')} interrupted: ${plural(event.steps.length, 'open step')} will never end`;
      case 'session.updated':
        // Rollup totals after every batch: for --json; the step lines already tell the story.
        return null;
      case 'budget': {
        const text = `$ ${describeBudgetCrossing({ ...event.budget, sessionId: event.sessionId })}`;
        return `${clockMillis(event.atUnixMillis)}  ${session}  ${event.budget.level === 'exceeded' ? s.red(text) : s.yellow(text)}`;
      }
      case 'log': {
        const log = event.log;
        const time = log.timeUnixNano !== '0' ? log.timeUnixNano : log.observedTimeUnixNano;
        const label = severityLabel(log.severityNumber, log.severityText);
        const level = log.severityNumber >= 17 ? s.red(label) : log.severityNumber >= 13 ? s.yellow(label) : label;
        const name = log.eventName === '' ? s.dim('log') : truncateCell(log.eventName, 60);
        const body = logBodyPreview(log.body, 100);
        return `${clock(time)}  ${session}  ${s.magenta('•')} ${level} ${name}${body === '' ? '' : `  ${s.dim(body)}`}`;
      }
    }
  }
}

function describe(step: LiveStep, s: Style): string {
  const detail = step.model ?? step.toolName;
  return `${s.bold(step.stepType.padEnd(9))} ${truncateCell(step.name, 60)}${detail && detail !== step.name ? s.dim(` (${truncateCell(detail, 40)})`) : ''}`;
}

function tokenText(step: LiveStep): string | null {
  const { input, output } = step.tokens;
  if (input === undefined && output === undefined) return null;
  return `${formatCount(input ?? 0)} in / ${formatCount(output ?? 0)} out tok`;
}

/** Time of day (UTC) of a step time. */
function clock(unixNano: string): string {
  return formatTimestamp(BigInt(unixNano)).slice(11);
}

function clockMillis(unixMillis: number): string {
  return formatTimestamp(BigInt(unixMillis) * 1_000_000n).slice(11);
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
