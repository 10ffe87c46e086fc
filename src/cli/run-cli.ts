import { CliFailure, CliUsageError } from './cli-error.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
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
  exportCommand,
  importCommand,
  pruneCommand,
  outboxCommand,
];

function usage(): string {
  const lines = ['Usage: skein <command> [options]', '', 'Commands:'];
  for (const command of COMMANDS) lines.push(`  ${command.name.padEnd(10)} ${command.summary}`);
  lines.push('', 'Run `skein <command> --help` for a command\'s options and examples.');
  return lines.join('\n');
}

/** Runs one command in-process and returns its exit code; never calls process.exit. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage() + '\n');
    return name === undefined ? 1 : 0;
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
    if (error instanceof CliUsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      io.stderr.write(`skein ${command.name}: ${(error as Error).message}\n${command.help}\n`);
      return 1;
    }
    io.stderr.write(`skein ${command.name}: unexpected error\n${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
