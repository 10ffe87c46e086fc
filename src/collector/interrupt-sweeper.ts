import type { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';

export const DEFAULT_INTERRUPT_AFTER_MILLIS = 60_000;

/**
 * Marks the open steps of writers silent for `silentForMillis` as interrupted, checking a few
 * times per period (writers on this host whose process is alive are spared: a long model call
 * writes nothing until it ends). Returns the stop function; 0 turns it off.
 */
export function startInterruptSweeper(store: SqliteTraceStore, silentForMillis: number): () => void {
  if (silentForMillis <= 0) return () => undefined;
  const timer = setInterval(
    () => {
      try {
        store.markInterrupted({ silentForMillis, spareLiveLocalWriters: true });
      } catch (error) {
        console.error('skein: marking silent writers interrupted failed:', error);
      }
    },
    Math.max(50, Math.min(5_000, silentForMillis / 4)),
  );
  timer.unref();
  return () => clearInterval(timer);
}
