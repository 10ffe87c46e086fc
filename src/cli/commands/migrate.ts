import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SCHEMA_VERSION } from '../../store/sqlite/index.js';
import { fileSchemaVersion, migrateDatabaseFile } from '../../store/sqlite/migrate-file.js';
import type { FileMigration, MigrationStep } from '../../store/sqlite/migrate-file.js';
import type { CliCommand, CliIo } from '../command.js';
import { asUserError, resolveDbPath } from '../open-store.js';
import { plural, writeJson } from '../output.js';
import { COMMON_FLAGS, COMMON_HELP, positionals } from '../query-flags.js';

const HELP = `Usage: skein migrate [options]

Upgrades a database file written by an older Skein to this version's schema
(version ${SCHEMA_VERSION}), in place, one migration per transaction: an
interrupted upgrade leaves the file at the last completed step and the next
run goes on from there. \`skein serve\` and every command that writes does the
same when it opens an older file; this does it on its own, for example before
a deploy. A file from a newer Skein is refused.

Options:
${COMMON_HELP}

Examples:
  skein migrate
  skein migrate --db ./agent.db --json`;

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

export function describeMigration(result: FileMigration): string {
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
  summary: 'upgrade a database file to this version\'s schema',
  help: HELP,
  async run(argv, io) {
    const { values, positionals: rest } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: COMMON_FLAGS });
    positionals(rest, []);
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
