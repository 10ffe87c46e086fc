/**
 * `bench/ingest-server.ts` in a child process of its own (so its RSS and CPU
 * are its own): start it, ask for its max RSS, stop it.
 */
import { fork } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
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

/**
 * CPU seconds (user + system, every thread) the server process has used so
 * far, from /proc: what a variant costs per span whatever the machine's other
 * load, which moves its spans/s more than its CPU. Null where there is no /proc.
 */
export function serverCpuSeconds(child: ChildProcess): number | null {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU seconds each thread of the server process has used so far, by thread id (the main thread's is the pid); null without /proc. */
export function serverThreadCpuSeconds(child: ChildProcess): Map<number, number> | null {
  try {
    const threads = new Map<number, number>();
    for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
      try {
        threads.set(Number(tid), taskCpuSeconds(`/proc/${child.pid}/task/${tid}`));
      } catch {
        // The thread ended between the listing and the read: it counts in the process total only.
      }
    }
    return threads;
  } catch {
    return null;
  }
}

/** One thread's CPU: `schedstat` in nanoseconds where the kernel keeps it, else `stat` in clock ticks. */
function taskCpuSeconds(task: string): number {
  try {
    const schedstat = readFileSync(`${task}/schedstat`, 'utf8');
    return Number(schedstat.slice(0, schedstat.indexOf(' '))) / 1e9;
  } catch {
    const stat = readFileSync(`${task}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  }
}

/**
 * What the main thread and the busiest other thread (for `full`, the writer
 * thread: commits run there) used between two `serverThreadCpuSeconds`
 * readings, in seconds. The busiest thread bounds the rate: it shows which
 * one a gain must come from.
 */
export function threadCpuSplit(pid: number, before: Map<number, number>, after: Map<number, number>): { main: number; busiestOther: number } {
  let busiestOther = 0;
  for (const [tid, seconds] of after) {
    if (tid !== pid) busiestOther = Math.max(busiestOther, seconds - (before.get(tid) ?? 0));
  }
  return { main: (after.get(pid) ?? 0) - (before.get(pid) ?? 0), busiestOther };
}

/** A run's server CPU per span for a table: every thread, then the main thread's and the busiest other's. */
export function serverCpuCell(r: {
  cpuMicrosPerSpan: number | null;
  threadCpu?: { mainMicrosPerSpan: number; busiestOtherMicrosPerSpan: number } | null;
}): string {
  if (r.cpuMicrosPerSpan === null) return 'n/a';
  const split = r.threadCpu ? ` (${r.threadCpu.mainMicrosPerSpan.toFixed(0)} / ${r.threadCpu.busiestOtherMicrosPerSpan.toFixed(0)})` : '';
  return `${r.cpuMicrosPerSpan.toFixed(0)}${split}`;
}

/** USER_HZ: what Linux counts /proc times in, 100 on every architecture it builds for today. */
const CLOCK_TICKS_PER_SECOND = 100;

export function stopIngestServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}
