/** A fixture agent in its own Node process (tsx), driven line by line over stdio. */

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface AgentProcess {
  process: ChildProcess;
  /** Resolves once stdout holds `line` as a whole line; rejects if the process exits first. */
  waitForLine(line: string): Promise<void>;
  /** Lets the agent go on to its next step. */
  next(): void;
  kill(): void;
}

export function startAgentProcess(script: URL, args: string[]): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(script), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const checks = new Set<() => void>();
  const recheck = () => {
    for (const check of [...checks]) check();
  };
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    recheck();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.once('exit', recheck);
  return {
    process: child,
    waitForLine(line) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (out.split('\n').includes(line)) {
            checks.delete(check);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            checks.delete(check);
            reject(new Error(`the agent exited before printing ${line}:\n${out}\n${err}`));
          }
        };
        checks.add(check);
        check();
      });
    },
    next() {
      child.stdin.write('next\n');
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
