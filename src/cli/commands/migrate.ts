import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { copyToPostgres, liveWritersOf } from '../../store/copy-to-postgres.js';
import type { CopyPhase, CopyResult } from '../../store/copy-to-postgres.js';
import { StoreError } from '../../store/errors.js';
import { PG_SCHEMA_VERSION, PostgresTraceStore, isPostgresUrl, migratePostgres, redactUrl } from '../../store/postgres/index.js';
import { SCHEMA_VERSION, SqliteTraceStore } from '../../store/sqlite/index.js';
import { fileSchemaVersion, migrateDatabaseFile } from '../../store/sqlite/migrate-file.js';
import type { FileMigration, MigrationStep } from '../../store/sqlite/migrate-file.js';
import { CliFailure, CliUsageError } from '../cli-error.js';
import type { CliCommand, CliIo } from '../command.js';
import { asUserError, resolveDbPath } from '../open-store.js';
import { plural, writeJson } from '../output.js';
import { COMMON_FLAGS, COMMON_HELP, positionals } from '../query-flags.js';

const HELP = `Usage: skein migrate [options]
       skein migrate --db <postgres-url> [--json]
       skein migrate --from <file.db> --to <postgres-url> [--json]

Upgrades a database file written by an older Skein to this version's schema
(version ${SCHEMA_VERSION}), in place, one migration per transaction: an
interrupted upgrade leaves the file at the last completed step and the next
run goes on from there. \`skein serve\` and every command that writes does the
same when it opens an older file; this does it on its own, for example before
a deploy. A file from a newer Skein is refused.

With --db postgres://…, brings a PostgreSQL database's schema to this version
(PostgreSQL schema version ${PG_SCHEMA_VERSION}) in one transaction, as the first
\`skein serve\` on it would: run it as the role that owns the schema, before
collectors whose roles may not create tables start.

With --from and --to, copies a database file into PostgreSQL instead (the
file is only read; the PostgreSQL schema is created or upgraded): every span
as it was stored (tokens, cost and sessions come out the same), every log
record and metric point. Run it again and nothing is added twice: spans are
replaced by themselves, and log records and metric points already in the
target are left out, so an interrupted copy is finished by running it again.
Not copied: the forwarding outbox (it belongs to the collector that queued
it: forward or drop it with \`skein outbox --db <file>\` first) and the budget
crossings' ledger (the crossing steps keep their budget events); both are
counted. Stop \`skein serve\` on the file first: what it writes during the copy
may be missed, and steps still open are recorded as interrupted.

Options:
${COMMON_HELP}
  --from <file>        with --to: the database file to copy
  --to <url>           with --from: postgres://user:password@host:port/database
                       (a password left out of the URL is read from PGPASSWORD)

Examples:
  skein migrate
  skein migrate --db ./agent.db --json
  skein migrate --db postgres://skein_owner@db.internal/skein
  skein migrate --from ~/.skein/skein.db --to postgres://skein@db.internal/skein`;

/** "migrating <file>: step 2 of 3 (010 compact-spans)", rewritten in place at a terminal, one line each elsewhere. */
export function migrationProgress(io: CliIo, prefix: string): { step(step: MigrationStep, from: number): void; done(): void } {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let shown = false;
  return {
    step(step, from) {
      const total = SCHEMA_VERSION - from;
      const line = `${prefix}: step ${step.version - from} of ${total} (${String(step.version).padStart(3, '0')} ${step.name})`;
      io.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      shown = true;
    },
    done() {
      if (tty && shown) io.stderr.write('\n');
    },
  };
}

/** A file's migration, or a PostgreSQL database's (`path`: its URL without the password). */
export function describeMigration(result: Pick<FileMigration, 'path' | 'from' | 'to' | 'millis'> & { applied: readonly unknown[] }): string {
  if (result.applied.length === 0) return `${result.path} is at schema version ${result.to}: nothing to do`;
  return (
    `migrated ${result.path} from schema version ${result.from} to ${result.to} ` +
    `(${plural(result.applied.length, 'migration')}, ${(result.millis / 1000).toFixed(1)} s)`
  );
}

/**
 * Before a long-running command opens `path` (skein serve): an existing file
 * from an older Skein is upgraded here first, with the progress line and a
 * closing line on stderr, instead of silently inside the store's open. A
 * current, newer or missing file is left to the store (which creates a new
 * one, or refuses a newer one or a directory with its own message).
 */
export function upgradeBeforeOpen(io: CliIo, path: string, command: string): void {
  // Only an existing regular file: anything else (a directory, a missing file) the store's open explains.
  if (path === ':memory:' || !existsSync(path) || !statSync(path).isFile()) return;
  try {
    const version = fileSchemaVersion(path);
    if (version === 0 || version >= SCHEMA_VERSION) return;
    const progress = migrationProgress(io, `skein ${command}: migrating ${path}`);
    let result: FileMigration;
    try {
      result = migrateDatabaseFile(path, (step, from) => progress.step(step, from));
    } finally {
      progress.done();
    }
    io.stderr.write(`skein ${command}: ${describeMigration(result)}\n`);
  } catch (error) {
    throw asUserError(error);
  }
}

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'upgrade a database file to this version\'s schema, or copy it into PostgreSQL',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: rest } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { ...COMMON_FLAGS, from: { type: 'string' }, to: { type: 'string' } },
    });
    positionals(rest, []);
    if (values.from !== undefined || values.to !== undefined) return copyToPostgresCommand(io, values);
    const target = values.db ?? io.env.SKEIN_DB;
    if (target !== undefined && isPostgresUrl(target)) return migratePostgresCommand(io, target, values.json === true);
    const path = resolveDbPath(values.db, io);
    const progress = migrationProgress(io, `migrating ${path}`);
    let result: FileMigration;
    try {
      result = migrateDatabaseFile(path, (step, from) => progress.step(step, from));
    } catch (error) {
      throw asUserError(error);
    } finally {
      progress.done();
    }
    if (values.json) {
      writeJson(io, {
        path: result.path,
        from: result.from,
        to: result.to,
        applied: result.applied.map(({ version, name }) => ({ version, name })),
        millis: Math.round(result.millis),
      });
    } else {
      io.stdout.write(`${describeMigration(result)}\n`);
    }
    return 0;
  },
};

/**
 * `skein migrate --db postgres://…`: the schema brought to this version (what the first `skein serve`
 * would do), for a DBA who runs it as the schema's owner before the collectors start.
 */
async function migratePostgresCommand(io: CliIo, url: string, json: boolean): Promise<number> {
  const started = performance.now();
  let result: Awaited<ReturnType<typeof migratePostgres>>;
  try {
    result = await migratePostgres(url);
  } catch (error) {
    throw asUserError(error);
  }
  const migration = { path: result.database, from: result.from, to: result.to, applied: result.applied, millis: performance.now() - started };
  if (json) {
    writeJson(io, { ...migration, applied: result.applied.map(({ version, name }) => ({ version, name })), millis: Math.round(migration.millis) });
  } else {
    io.stdout.write(`${describeMigration(migration)}\n`);
  }
  return 0;
}

/** "copying spans: 12,000 of 50,000 (24%)": rewritten in place at a terminal; elsewhere a line per tenth (and the last). */
function copyProgress(io: CliIo): { update(phase: CopyPhase, done: number, total: number): void; done(): void } {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let shown = false;
  let lastLine = '';
  const lastTenth = new Map<CopyPhase, number>();
  return {
    update(phase, done, total) {
      if (total === 0) return;
      const percent = Math.floor((Math.min(done, total) / total) * 100);
      const line = `copying ${phase}: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} (${percent}%)`;
      if (line === lastLine) return;
      lastLine = line;
      if (tty) {
        io.stderr.write(`\r\x1b[2K${line}`);
        shown = true;
        return;
      }
      const tenth = Math.floor(percent / 10);
      if (lastTenth.get(phase) === tenth && done < total) return;
      lastTenth.set(phase, tenth);
      io.stderr.write(`${line}\n`);
    },
    done() {
      if (tty && shown) io.stderr.write('\n');
      shown = false;
    },
  };
}

/** The summary line: what the target now holds of the file, and what was there already. */
function describeCopy(result: CopyResult, from: string, to: string): string {
  const { source } = result;
  const line =
    `migrated ${plural(result.spans, 'span')}, ${plural(source.sessions, 'session')}, ` +
    `${plural(result.logRecords.written + result.logRecords.alreadyThere, 'log record')}, ` +
    `${plural(result.metricPoints.written + result.metricPoints.alreadyThere, 'metric point')} from ${from} to ${to}`;
  const there = [
    result.logRecords.alreadyThere > 0 ? plural(result.logRecords.alreadyThere, 'log record') : '',
    result.metricPoints.alreadyThere > 0 ? plural(result.metricPoints.alreadyThere, 'metric point') : '',
  ].filter((part) => part !== '');
  return there.length === 0 ? line : `${line} (${there.join(' and ')} already there, not written again)`;
}

/** What the copy leaves behind, one line each on stderr (also in --json). */
function notCopiedLines(result: CopyResult, from: string): string[] {
  const lines: string[] = [];
  const { source } = result;
  if (source.outboxEntries > 0) {
    lines.push(
      `not copied: ${plural(source.outboxEntries, 'outbox entry', 'outbox entries')} (queued by the collector that wrote ` +
        `${from}, for its upstreams: forward or drop them with \`skein outbox --db ${from}\`)`,
    );
  }
  if (source.budgetCrossings > 0) {
    lines.push(
      `not copied: ${plural(source.budgetCrossings, 'budget crossing')} of the ledger (the PostgreSQL store cannot take ` +
        'recorded crossings; the crossing steps keep their budget events)',
    );
  }
  if (result.logRecords.timelessSkipped > 0) {
    lines.push(
      `not copied: ${plural(result.logRecords.timelessSkipped, 'log record')} with neither time nor observed time (the ` +
        'target already held log records, and these cannot be told from ones copied before)',
    );
  }
  return lines;
}

/** \`skein migrate --from <file> --to <postgres-url>\`. */
async function copyToPostgresCommand(io: CliIo, values: { from?: string; to?: string; db?: string; json?: boolean }): Promise<number> {
  if (values.from === undefined || values.to === undefined) {
    throw new CliUsageError(values.from === undefined ? '--to needs --from <file.db>: the database file to copy' : '--from needs --to <postgres-url>: where to copy it');
  }
  if (values.db !== undefined) throw new CliUsageError('--db upgrades a file in place; with --from and --to, leave it out');
  if (!isPostgresUrl(values.to)) throw new CliUsageError(`--to expects a postgres:// or postgresql:// URL, got '${redactUrl(values.to)}'`);
  const from = resolve(values.from);
  const to = redactUrl(values.to);
  if (!existsSync(from)) throw new CliFailure(`cannot open the database ${from}: there is no database file there`);
  const version = statSync(from).isFile() ? fileSchemaVersion(from) : SCHEMA_VERSION;
  if (version > 0 && version < SCHEMA_VERSION) {
    throw new CliFailure(
      `${from} has schema version ${version}, older than ${SCHEMA_VERSION}: upgrade it first with \`skein migrate --db ${from}\``,
    );
  }
  let source: SqliteTraceStore;
  try {
    source = new SqliteTraceStore({ path: from, readonly: true });
  } catch (error) {
    throw asUserError(error);
  }
  let result: CopyResult;
  try {
    const writers = liveWritersOf(source);
    if (writers.length > 0) {
      io.stderr.write(
        `skein migrate: warning: ${writers.length === 1 ? 'process' : 'processes'} ${writers.join(', ')} ` +
          `${writers.length === 1 ? 'has' : 'have'} ${from} open for writing: what is written during the copy may be missed; ` +
          'run this again once stopped (nothing is copied twice)\n',
      );
    }
    let target: PostgresTraceStore;
    try {
      target = await PostgresTraceStore.open({ url: values.to, poolSize: 2 });
    } catch (error) {
      // The store's message names the database without its password, and why (refused, no such database, auth).
      if (error instanceof StoreError) throw new CliFailure(error.message);
      throw error;
    }
    const progress = copyProgress(io);
    try {
      result = await copyToPostgres(source, target, { onProgress: (phase, done, total) => progress.update(phase, done, total) });
    } catch (error) {
      // The server gone or refusing mid-way (a system error or an SQLSTATE code): what was copied stays.
      if (error instanceof StoreError || typeof (error as { code?: unknown }).code === 'string') {
        throw new CliFailure(`the copy into ${to} stopped: ${(error as Error).message}; run this again to finish it (nothing is copied twice)`);
      }
      throw error;
    } finally {
      progress.done();
      await target.close();
    }
  } catch (error) {
    throw asUserError(error);
  } finally {
    await source.close();
  }
  const notCopied = notCopiedLines(result, from);
  if (values.json) {
    writeJson(io, {
      from,
      to,
      spans: result.spans,
      sessions: result.source.sessions,
      logRecords: result.logRecords,
      metricPoints: result.metricPoints,
      notCopied: { outboxEntries: result.source.outboxEntries, budgetCrossings: result.source.budgetCrossings },
    });
  } else {
    io.stdout.write(`${describeCopy(result, from, to)}\n`);
  }
  for (const line of notCopied) io.stderr.write(`skein migrate: ${line}\n`);
  return 0;
}
