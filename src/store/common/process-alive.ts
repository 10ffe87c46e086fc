/** Whether a writer's process still runs: how both backends tell a dead local writer's open steps from a live one's. */

/** True unless the OS says there is no such process. EPERM means it exists under another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
