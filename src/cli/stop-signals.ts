import { watchNpmLauncher } from './launcher-watch.js';

/**
 * Resolves `stopped` on the first SIGINT or SIGTERM (or at once with
 * `io.stopSignal`, which tests use). The handlers stay installed until
 * `dispose()` has resolved: a repeated signal (Ctrl-C pressed twice, or
 * relayed again by a wrapper such as npx or tsx) must not kill the process
 * halfway through a final commit, nor on its way out after it; `onRepeat`
 * hears about it instead.
 *
 * tsx (what `npm start` runs) relays a terminal's signal to its child again
 * when it has not seen the child's own report of it within 30 ms, and it can
 * miss a report that comes before it starts waiting. A shutdown quicker than
 * that window met the relayed copy while the process was tearing down, and
 * died of it (exit 130/143 after `skein: stopped`). So `dispose()` resolves
 * no sooner than `SIGNAL_SETTLE_MILLIS` after the first signal, with the
 * handlers still in place.
 */
export const SIGNAL_SETTLE_MILLIS = 250;

export interface StopSignals {
  stopped: Promise<void>;
  /** Removes the handlers; resolves once a wrapper's relayed copy of the signal would have arrived. */
  dispose(): Promise<void>;
}

export function listenForStopSignals(
  stopSignal: Promise<void> | undefined,
  onRepeat?: (signal: NodeJS.Signals) => void,
): StopSignals {
  if (stopSignal) return { stopped: stopSignal, dispose: () => Promise.resolve() };
  let firstAt: number | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt === undefined) {
      firstAt = performance.now();
      resolveStopped();
    } else {
      onRepeat?.(signal);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const launcher = watchNpmLauncher(process.env, () => {
    process.stderr.write('skein: npm, which started this process, has exited; stopping\n');
    onSignal('SIGTERM');
  });
  return {
    stopped,
    async dispose() {
      if (firstAt !== undefined) {
        const wait = firstAt + SIGNAL_SETTLE_MILLIS - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      launcher.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
