/**
 * Resolves `stopped` on the first SIGINT or SIGTERM (or at once with
 * `io.stopSignal`, which tests use). The handlers stay installed until
 * `dispose()`, and a moment beyond: a repeated signal (Ctrl-C pressed twice,
 * or relayed again by a wrapper such as npx or tsx) must not kill the process
 * halfway through a final commit, nor on its way out after it; `onRepeat`
 * hears about it instead.
 */
/** How long the handlers outlive `dispose()`. */
const LINGER_MILLIS = 2_000;

export function listenForStopSignals(
  stopSignal: Promise<void> | undefined,
  onRepeat?: (signal: NodeJS.Signals) => void,
): { stopped: Promise<void>; dispose(): void } {
  if (stopSignal) return { stopped: stopSignal, dispose() {} };
  let received = 0;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) resolveStopped();
    else onRepeat?.(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopped,
    dispose() {
      // tsx relays a terminal's signal to its child again when it misses the
      // child's own report of it (it waits 30 ms): that copy can land after a
      // quick shutdown, and with no handler it would kill an exiting process.
      // The timer does not hold the process; it only matters if it lives on.
      setTimeout(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }, LINGER_MILLIS).unref();
    },
  };
}
