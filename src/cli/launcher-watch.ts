import { readFileSync } from 'node:fs';

/**
 * `npm start` (and `npx skein …`) under a process manager: npm 11 neither
 * forwards a SIGTERM sent to its pid nor waits for its child, so the
 * collector would run on as an orphan holding the port. When this process
 * was started through npm, it finds the npm process among its ancestors
 * (Linux /proc) and treats that process going away as a stop signal.
 * Elsewhere, or when no npm ancestor is found, it does nothing.
 */
export function watchNpmLauncher(
  env: NodeJS.ProcessEnv,
  onGone: () => void,
  pollMillis = 500,
): { stop(): void } {
  const none = { stop() {} };
  if (env.npm_execpath === undefined) return none;
  const launcher = findNpmAncestor(process.ppid);
  if (launcher === null) return none;
  const timer = setInterval(() => {
    if (alive(launcher)) return;
    clearInterval(timer);
    onGone();
  }, pollMillis);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** The nearest ancestor (starting at `pid`) whose command line is npm's, or null. */
export function findNpmAncestor(pid: number): number | null {
  for (let p = pid, hops = 0; p > 1 && hops < 16; hops++) {
    const cmdline = read(`/proc/${p}/cmdline`);
    if (cmdline === null) return null;
    const args = cmdline.split('\0').filter((a) => a !== '');
    // npm sets its title to "npm <command>"; without it the script is npm-cli.js.
    if (/(^|\/)npm(\s|$)/.test(args[0] ?? '') || args.some((a) => /(^|\/)npm-cli\.js$/.test(a))) return p;
    const stat = read(`/proc/${p}/stat`);
    // The command name in field 2 may hold spaces and parentheses: ppid is the 2nd field after the last ')'.
    const ppid = stat === null ? NaN : Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid)) return null;
    p = ppid;
  }
  return null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
