/**
 * One shared `exit` listener for every live processor, so that creating many
 * processors (tests, several providers) never trips Node's MaxListeners
 * warning, and a processor that is shut down leaves no listener behind.
 */
const hooks = new Set<() => void>();

function runExitHooks(): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // Exit is already under way: one processor's failure must not stop the others.
    }
  }
}

export function addExitHook(hook: () => void): void {
  if (hooks.size === 0) process.on('exit', runExitHooks);
  hooks.add(hook);
}

export function removeExitHook(hook: () => void): void {
  if (!hooks.delete(hook)) return;
  if (hooks.size === 0) process.off('exit', runExitHooks);
}
