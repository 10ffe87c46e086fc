/**
 * Resolves `stopped` on the first SIGINT or SIGTERM (or at once with
 * `io.stopSignal`, which tests use). The handlers stay installed until
 * `dispose()`: a repeated signal (Ctrl-C pressed twice, or relayed again by a
 * wrapper such as npx or tsx) must not kill the process halfway through a
 * final commit; `onRepeat` hears about it instead.
 */
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
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
