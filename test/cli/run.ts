import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.js';

export class Capture extends Writable {
  text = '';
  columns = 100;
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `skein <argv>` in-process with captured output. */
export async function cli(argv: string[], options: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const stdout = new Capture(options.tty ?? false);
  const stderr = new Capture(options.tty ?? false);
  // HOME points nowhere real so a missing --db can never touch the user's database.
  const env = { HOME: '/nonexistent-skein-home', ...options.env };
  const code = await runCli(argv, { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
