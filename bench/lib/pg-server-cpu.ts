/**
 * A PostgreSQL server's CPU from /proc (Linux): the postmaster's own, its
 * reaped children's (ended backends) and each live child's (backends, WAL
 * writer, checkpointer). Null elsewhere.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: what Linux counts /proc times in. */
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime and cutime + cstime of a process (clock ticks), with its parent; or null. */
function procTimes(pid: number): { ppid: number; own: number; children: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), children: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null;
  }
}

/** CPU seconds the server under `postmasterPid` has used so far; null without /proc. */
export function pgServerCpuSeconds(postmasterPid: number): number | null {
  const postmaster = procTimes(postmasterPid);
  if (postmaster === null) return null;
  let ticks = postmaster.own + postmaster.children;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const times = procTimes(Number(entry));
    if (times !== null && times.ppid === postmasterPid) ticks += times.own;
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}
