import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliFailure, CliUsageError } from './cli-error.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { logsCommand } from './commands/logs.js';
import { migrateCommand } from './commands/migrate.js';
import { outboxCommand } from './commands/outbox.js';
import { pruneCommand } from './commands/prune.js';
import { searchCommand } from './commands/search.js';
import { serveCommand } from './commands/serve.js';
import { sessionsCommand } from './commands/sessions.js';
import { showCommand } from './commands/show.js';
import { spansCommand } from './commands/spans.js';
import { statsCommand } from './commands/stats.js';
import { tailCommand } from './commands/tail.js';
import type { CliCommand, CliIo } from './command.js';

const COMMANDS: CliCommand[] = [
  serveCommand,
  sessionsCommand,
  showCommand,
  spansCommand,
  searchCommand,
  statsCommand,
  tailCommand,
  logsCommand,
  exportCommand,
  importCommand,
  pruneCommand,
  outboxCommand,
  migrateCommand,
];

function usage(): string {
  const lines = ['Usage: skein <command> [options]', '', 'Commands:'];
  for (const command of COMMANDS) lines.push(`  ${command.name.padEnd(10)} ${command.summary}`);
  lines.push('', 'Run `skein <command> --help` for a command\'s options and examples.');
  return lines.join('\n');
}

/** The version in the package.json above this file (src/cli in a checkout, dist/src/cli when installed). */
function packageVersion(): string {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
    if (dirname(dir) === dir) return 'unknown';
  }
}

/**
 * Node's parseArgs errors in our words: `unknown option --x`, `--db needs a
 * value`. Undefined for any other error.
 */
function parseArgsMessage(error: unknown): string | undefined {
  const { code, message } = error as { code?: string; message?: string };
  if (typeof message !== 'string') return undefined;
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (option === undefined) return message.split('\n')[0];
      if (message.includes('argument is ambiguous')) {
        return `${option} needs a value (to pass one starting with '-', write ${option}=<value>)`;
      }
      if (message.includes('does not take an argument')) return `${option} takes no value`;
      return `${option} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${/'([^']*)'/.exec(message)?.[1] ?? ''}'`;
    default:
      return undefined;
  }
}

/** Runs one command in-process and returns its exit code; never calls process.exit. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage() + '\n');
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`skein ${packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`skein: unknown command '${name}'\n${usage()}\n`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.help + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliFailure) {
      io.stderr.write(`skein ${command.name}: ${error.message}\n`);
      return 1;
    }
    const usageMessage = error instanceof CliUsageError ? error.message : parseArgsMessage(error);
    if (usageMessage !== undefined) {
      io.stderr.write(`skein ${command.name}: ${usageMessage}\n${command.help}\n`);
      return 1;
    }
    io.stderr.write(`skein ${command.name}: unexpected error\n${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
