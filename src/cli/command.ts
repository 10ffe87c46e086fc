export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  /** Where a command asks for confirmation (`skein prune` at a terminal); absent in most tests. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Resolves when the command should stop (tests); the CLI uses SIGINT/SIGTERM. */
  stopSignal?: Promise<void>;
}

export interface CliCommand {
  name: string;
  summary: string;
  /** Options and examples, printed by --help and after a usage error. */
  help: string;
  run(argv: string[], io: CliIo): Promise<number>;
}
