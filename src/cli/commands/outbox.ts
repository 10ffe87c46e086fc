import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatBytes, formatCount, formatDurationNanos, formatTimestamp } from '../../model/human-units.js';
import type { OtlpSignal } from '../../model/signals.js';
import { DeadLetterNotFoundError, SqliteOutbox } from '../../store/sqlite/sqlite-outbox.js';
import type { DroppedQueue } from '../../store/sqlite/sqlite-outbox.js';
import type { PgOutbox } from '../../store/postgres/pg-outbox.js';
import { SqliteTraceStore } from '../../store/sqlite/index.js';
import { CliUsageError } from '../cli-error.js';
import type { CliCommand, CliIo } from '../command.js';
import { withTraceStore } from '../open-store.js';
import { colourEnabled, createStyle, plural, renderTable, truncateCell, writeJson } from '../output.js';
import { COMMON_FLAGS, COMMON_HELP, limitFlag, positionals } from '../query-flags.js';
import { itemCount, itemCounts, payloadItems, signalsCell, tally } from './outbox-signals.js';
import type { PayloadItem } from './outbox-signals.js';

const HELP = `Usage: skein outbox [list | dead | show <id> | replay <id…> | drop <upstream>] [options]

What forwarding (skein serve --forward) has queued and what upstreams refused
for good (dead letters), read from the database. Every signal (traces,
logs, metrics) shares an upstream's queue; SPANS counts spans while only
traces are listed, and ITEMS (spans, log records, metric data points) else.

  list                 every upstream with anything queued or dead (the default)
  dead                 the dead letters, newest first
  show <id>            one dead letter in full, with the items in its payload
  replay <id…>         move dead letters back into their queue (attempts reset, due
                       now): the next skein serve --forward <upstream> delivers them
  drop <upstream>      delete an upstream's queue (with --dead, its dead letters too)

Options:
  --upstream <url>     dead, replay --all: only this upstream
  --limit <n>          dead: at most this many (default 100)
  --payload <file>     show: write the OTLP protobuf payload to this file
  --all                replay: every dead letter (of --upstream)
  --dead               drop: the dead letters too
  --yes                drop: really delete (without it, says what would go)
${COMMON_HELP}

Replay and drop are for a stopped collector; a running one delivers replayed
entries when it next reads its queue, but its depth gauges stay off until it
restarts (see README, "What forwarding guarantees").

Examples:
  skein outbox
  skein outbox dead --upstream http://otel-collector:4318
  skein outbox show 12 --payload dead-12.pb
  skein outbox replay 12 13
  skein outbox replay --all --upstream http://otel-collector:4318
  skein outbox drop http://old-collector:4318 --dead --yes`;

/** The outbox in the database: SQLite's answers at once, PostgreSQL's in promises (every call is awaited). */
type Outbox = SqliteOutbox | PgOutbox;

const SUBCOMMANDS = ['list', 'dead', 'show', 'replay', 'drop'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** Flags beyond --db and --json, and the subcommands that take them. */
const FLAG_USERS: Record<string, readonly Subcommand[]> = {
  upstream: ['dead', 'replay'],
  limit: ['dead'],
  payload: ['show'],
  all: ['replay'],
  dead: ['drop'],
  yes: ['drop'],
};

const ANSWER_WIDTH = 60;
/** Upstream URLs in tables are cut here (show, --json and drop take them whole). */
const UPSTREAM_WIDTH = 60;
const ITEMS_SHOWN = 20;

export const outboxCommand: CliCommand = {
  name: 'outbox',
  summary: 'list, replay or drop what forwarding queued and what upstreams refused',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: rest } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {
      ...COMMON_FLAGS,
      upstream: { type: 'string' },
      limit: { type: 'string' },
      payload: { type: 'string' },
      all: { type: 'boolean' },
      dead: { type: 'boolean' },
      yes: { type: 'boolean' },
    } });
    const [name = 'list', ...args] = rest;
    if (!(SUBCOMMANDS as readonly string[]).includes(name)) {
      throw new CliUsageError(`unknown subcommand '${name}' (expected ${SUBCOMMANDS.join(', ')})`);
    }
    const sub = name as Subcommand;
    for (const [flag, users] of Object.entries(FLAG_USERS)) {
      const value = (values as Record<string, unknown>)[flag];
      if (value !== undefined && value !== false && !users.includes(sub)) {
        throw new CliUsageError(`--${flag} is for outbox ${users.join(' / ')}, not outbox ${sub}`);
      }
    }
    const mode = sub === 'replay' || sub === 'drop' ? 'write' : 'read';
    return withTraceStore(io, { db: values.db, mode }, async (store) => {
      const outbox: Outbox = store instanceof SqliteTraceStore ? new SqliteOutbox(store.database) : store.outbox();
      switch (sub) {
        case 'list':
          positionals(args, []);
          return list(io, outbox, values.json);
        case 'dead':
          positionals(args, []);
          return dead(io, outbox, values.json, values.upstream, limitFlag(values.limit) ?? 100);
        case 'show':
          return show(io, outbox, values.json, deadLetterId(positionals(args, ['id'])[0]), values.payload);
        case 'replay':
          return replay(io, outbox, values.json, args, values.all === true, values.upstream);
        case 'drop':
          return drop(io, outbox, values.json, positionals(args, ['upstream'])[0], values.dead === true, values.yes === true);
      }
    });
  },
};

async function list(io: CliIo, outbox: Outbox, json: boolean): Promise<number> {
  const queues = await outbox.queues();
  const bySignal = await outbox.signalCounts();
  const now = Date.now();
  if (json) {
    writeJson(io, { upstreams: queues, bySignal });
    return 0;
  }
  const mixed = bySignal.some((c) => c.signal !== 'traces');
  if (queues.length === 0) {
    io.stdout.write('nothing queued and no dead letters\n');
    return 0;
  }
  const style = createStyle(colourEnabled(io));
  const table = renderTable(
    queues,
    [
      { header: 'UPSTREAM', value: (q) => truncateCell(q.upstream, UPSTREAM_WIDTH) },
      { header: 'QUEUED', align: 'right', value: (q) => formatCount(q.entries) },
      { header: mixed ? 'ITEMS' : 'SPANS', align: 'right', value: (q) => formatCount(q.spans) },
      { header: 'BYTES', align: 'right', value: (q) => formatBytes(q.bytes) },
      { header: 'OLDEST', align: 'right', value: (q) => age(q.oldestEnqueuedAtMillis, now) },
      { header: 'DEAD', align: 'right', value: (q) => (q.deadLetters > 0 ? style.red(formatCount(q.deadLetters)) : '0') },
      // Queued and dead requests per signal, only once a signal other than traces is in the file.
      ...(mixed ? [{ header: 'SIGNALS', value: (q: (typeof queues)[number]) => signalsCell(bySignal, q.upstream) }] : []),
    ],
    style,
  );
  io.stdout.write(`${table}\n`);
  return 0;
}

async function dead(io: CliIo, outbox: Outbox, json: boolean, upstream: string | undefined, limit: number): Promise<number> {
  const letters = await outbox.listDeadLetters({ upstream, limit });
  const counts = await outbox.deadLetterCounts();
  const total = upstream === undefined ? [...counts.values()].reduce((a, b) => a + b, 0) : counts.get(upstream) ?? 0;
  if (json) {
    writeJson(io, { total, deadLetters: letters });
    return 0;
  }
  if (letters.length === 0) {
    io.stdout.write(upstream === undefined ? 'no dead letters\n' : `no dead letters for ${upstream}\n`);
    return 0;
  }
  const style = createStyle(colourEnabled(io));
  const mixed = letters.some((d) => d.signal !== 'traces');
  type Letter = (typeof letters)[number];
  const table = renderTable(
    letters,
    [
      { header: 'ID', align: 'right', value: (d) => String(d.id) },
      { header: 'UPSTREAM', value: (d) => truncateCell(d.upstream, UPSTREAM_WIDTH) },
      ...(mixed ? [{ header: 'SIGNAL', value: (d: Letter) => d.signal }] : []),
      { header: mixed ? 'ITEMS' : 'SPANS', align: 'right', value: (d) => formatCount(d.spanCount) },
      { header: 'ATTEMPTS', align: 'right', value: (d) => String(d.attempts) },
      { header: 'FAILED', value: (d) => formatMillis(d.failedAtMillis) },
      { header: 'STATUS', align: 'right', value: (d) => (d.status === null ? '—' : style.red(String(d.status))) },
      { header: 'ANSWER', value: (d) => shorten(d.response, ANSWER_WIDTH) },
    ],
    style,
  );
  io.stdout.write(`${table}\n`);
  if (total > letters.length) io.stdout.write(`${total - letters.length} more not shown (--limit)\n`);
  return 0;
}

async function show(io: CliIo, outbox: Outbox, json: boolean, id: number, payloadFile: string | undefined): Promise<number> {
  const letter = await outbox.findDeadLetter(id);
  if (!letter) throw new CliUsageError(`no dead letter with id ${id}`);
  if (payloadFile !== undefined) {
    try {
      writeFileSync(payloadFile, letter.payload);
    } catch (error) {
      throw new CliUsageError(`cannot write ${payloadFile}: ${(error as Error).message}`);
    }
  }
  const { payload: _payload, ...fields } = letter;
  const decoded = payloadItems(letter.signal, letter.payload);
  if (json) {
    // `spans` as before for traces; `items` for every signal.
    const items = decoded.ok ? decoded.items : null;
    const spans = letter.signal === 'traces' && items !== null ? items.map(spanOf) : null;
    writeJson(io, { ...fields, spans, items, payloadError: decoded.ok ? null : decoded.error });
    return 0;
  }
  const lines = [
    `dead letter ${letter.id}`,
    `upstream   ${letter.upstream}`,
    `signal     ${letter.signal}`,
    `${letter.signal === 'traces' ? 'spans' : 'items'}      ${itemCount(letter.spanCount, letter.signal)} (${formatBytes(letter.bytes)} of OTLP protobuf)`,
    `queued     ${formatMillis(letter.enqueuedAtMillis)}`,
    `failed     ${formatMillis(letter.failedAtMillis)} after ${letter.attempts} attempt${letter.attempts === 1 ? '' : 's'}`,
    `status     ${letter.status ?? '— (no answer)'}`,
    'answer',
    ...letter.response.split('\n').map((line) => `  ${line}`),
  ];
  if (decoded.ok) {
    lines.push('payload');
    for (const item of decoded.items.slice(0, ITEMS_SHOWN)) lines.push(`  ${item.id}  ${item.name}`);
    if (decoded.items.length > ITEMS_SHOWN) lines.push(`  … ${decoded.items.length - ITEMS_SHOWN} more`);
  } else {
    lines.push(`payload    does not decode as OTLP protobuf ${letter.signal}: ${decoded.error}`);
  }
  if (payloadFile !== undefined) lines.push(`wrote the payload to ${payloadFile}`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function replay(
  io: CliIo,
  outbox: Outbox,
  json: boolean,
  args: string[],
  all: boolean,
  upstream: string | undefined,
): Promise<number> {
  if (all && args.length > 0) throw new CliUsageError('give dead-letter ids or --all, not both');
  if (!all && args.length === 0) throw new CliUsageError('missing <id…> (or --all)');
  if (!all && upstream !== undefined) throw new CliUsageError('--upstream goes with --all');
  let moved;
  try {
    moved = await outbox.replayDead(all ? { upstream } : args.map(deadLetterId));
  } catch (error) {
    if (error instanceof DeadLetterNotFoundError) {
      throw new CliUsageError(`${error.message}; nothing was replayed`);
    }
    throw error;
  }
  if (json) {
    writeJson(io, { replayed: moved });
    return 0;
  }
  if (moved.length === 0) {
    io.stdout.write(upstream === undefined ? 'no dead letters to replay\n' : `no dead letters for ${upstream}\n`);
    return 0;
  }
  const byUpstream = new Map<string, typeof moved>();
  for (const m of moved) byUpstream.set(m.upstream, [...(byUpstream.get(m.upstream) ?? []), m]);
  for (const [url, entries] of byUpstream) {
    const items = entries.reduce((counts, e) => tally(counts, e.signal, e.spanCount), new Map<OtlpSignal, number>());
    io.stdout.write(
      `replayed ${plural(entries.length, 'dead letter')} (${itemCounts(items)}) into the queue for ${url}: ` +
        `${entries.map((e) => e.deadId).join(', ')}\n`,
    );
  }
  io.stdout.write('the next skein serve forwarding to that upstream delivers them\n');
  return 0;
}

async function drop(io: CliIo, outbox: Outbox, json: boolean, upstream: string, withDead: boolean, yes: boolean): Promise<number> {
  const queue = (await outbox.queues()).find((q) => q.upstream === upstream);
  if (!queue) throw new CliUsageError(`nothing queued or dead for '${upstream}' (skein outbox lists the upstreams)`);
  const planned: DroppedQueue = { ...queue, deadLetters: withDead ? queue.deadLetters : 0 };
  if (planned.entries === 0 && planned.deadLetters === 0) {
    io.stdout.write(`nothing queued for ${upstream}; ${plural(queue.deadLetters, 'dead letter')} kept (--dead drops them)\n`);
    return 0;
  }
  const kept = !withDead && queue.deadLetters > 0 ? `; ${plural(queue.deadLetters, 'dead letter')} kept (--dead drops them)` : '';
  const onlyTraces = (await outbox.signalCounts()).every((c) => c.upstream !== upstream || c.entries === 0 || c.signal === 'traces');
  const describeDrop = (d: DroppedQueue) => describeDropped(d, onlyTraces ? 'span' : 'item');
  if (!yes) throw new CliUsageError(`would drop ${describeDrop(planned)}${kept}; add --yes to drop`);
  const dropped = await outbox.dropQueue(upstream, { dead: withDead });
  if (json) {
    writeJson(io, { dropped });
    return 0;
  }
  io.stdout.write(`dropped ${describeDrop(dropped)}${kept}\n`);
  return 0;
}

/** What a drop removes; `item` names the queued items (`span` while only traces are queued). */
function describeDropped(d: DroppedQueue, item: string): string {
  const parts = [];
  if (d.entries > 0 || d.deadLetters === 0) {
    parts.push(`${plural(d.entries, 'queued request')} (${plural(d.spans, item)}, ${formatBytes(d.bytes)})`);
  }
  if (d.deadLetters > 0) parts.push(plural(d.deadLetters, 'dead letter'));
  return `${parts.join(' and ')} for ${d.upstream}`;
}

/** A traces item as `show --json` gives spans (as it did before other signals were forwarded). */
function spanOf(item: PayloadItem): { traceId: string; spanId: string; name: string } {
  return { traceId: item.traceId ?? '', spanId: item.spanId ?? '', name: item.name };
}

function deadLetterId(value: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1) {
    throw new CliUsageError(`a dead-letter id is a positive integer (skein outbox dead lists them), got '${value}'`);
  }
  return id;
}

function formatMillis(millis: number): string {
  return formatTimestamp(BigInt(millis) * 1_000_000n);
}

function age(sinceMillis: number | null, nowMillis: number): string {
  if (sinceMillis === null) return '—';
  return formatDurationNanos(BigInt(Math.max(0, nowMillis - sinceMillis)) * 1_000_000n);
}

/** One line, at most `width` characters. */
function shorten(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}
