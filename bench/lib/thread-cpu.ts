import { readFileSync } from 'node:fs';

/**
 * CPU time of the main thread alone, from /proc on Linux; null elsewhere. On
 * a loaded machine the event loop's active time counts the time the thread
 * waits for a core as well; this is what the thread itself burnt. Node 20
 * has no per-thread CPU API. `schedstat` is in nanoseconds; `stat` (the
 * fallback, when the kernel has no schedstats) only in 10 ms ticks.
 */
export function mainThreadCpuMillis(): number | null {
  try {
    const schedstat = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8');
    return Number(schedstat.slice(0, schedstat.indexOf(' '))) / 1e6;
  } catch {
    // No schedstats: the 10 ms ticks below.
  }
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}
