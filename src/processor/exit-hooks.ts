/**
 * One shared `exit` listener (and one `beforeExit` listener) for every live
 * processor, so that creating many processors (tests, several providers)
 * never trips Node's MaxListeners warning, and a processor that is shut down
 * leaves no listener behind.
 *
 * `exit` runs synchronously on every way out except a signal that kills
 * the process (`process.exit()`, the end of the event loop, an uncaught
 * exception): only synchronous work finishes there. `beforeExit` runs only
 * when the event loop drains by itself; work it starts keeps the process
 * alive until it settles, and `beforeExit` then fires again.
 */
const exitHooks = new Set<() => void>();
const beforeExitHooks = new Set<() => void>();

function runHooks(hooks: Set<() => void>): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // Exit is already under way: one processor's failure must not stop the others.
    }
  }
}

function runExitHooks(): void {
  runHooks(exitHooks);
}

function runBeforeExitHooks(): void {
  runHooks(beforeExitHooks);
}

export function addExitHook(hook: () => void): void {
  if (exitHooks.size === 0) process.on('exit', runExitHooks);
  exitHooks.add(hook);
}

export function removeExitHook(hook: () => void): void {
  if (!exitHooks.delete(hook)) return;
  if (exitHooks.size === 0) process.off('exit', runExitHooks);
}

export function addBeforeExitHook(hook: () => void): void {
  if (beforeExitHooks.size === 0) process.on('beforeExit', runBeforeExitHooks);
  beforeExitHooks.add(hook);
}

export function removeBeforeExitHook(hook: () => void): void {
  if (!beforeExitHooks.delete(hook)) return;
  if (beforeExitHooks.size === 0) process.off('beforeExit', runBeforeExitHooks);
}
