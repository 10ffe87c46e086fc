import { readFileSync } from 'node:fs';

/**
 * CPU time of the main thread alone (user + system, 10 ms ticks), from
 * /proc on Linux; null elsewhere. On a loaded machine the event loop's
 * active time counts the time the thread waits for a core as well; this is
 * what the thread itself burnt. Node 20 has no per-thread CPU API.
 */
export function mainThreadCpuMillis(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}
