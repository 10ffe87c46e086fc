/**
 * `bench/ingest-server.ts` in a child process of its own (so its RSS and CPU
 * are its own): start it, ask for its max RSS, stop it.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type ServerVariant = 'full' | 'decode' | 'naive' | 'none';

export function startIngestServer(variant: ServerVariant, dbPath: string): Promise<{ child: ChildProcess; port: number; grpcPort: number }> {
  const script = fileURLToPath(new URL('../ingest-server.ts', import.meta.url));
  // BENCH_CPU_PROF=<dir>: each server writes a V8 CPU profile per thread there (where its time goes).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = fork(script, [variant, dbPath], { execArgv: ['--import', 'tsx', ...profile], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /READY (\d+) (\d+)/.exec(out);
      if (match) resolve({ child, port: Number(match[1]), grpcPort: Number(match[2]) });
    });
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code} before READY`)));
  });
}

export function serverMaxRssKb(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve((message as { maxRssKb: number }).maxRssKb));
    child.send('stats');
  });
}

export function stopIngestServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}
