import { AsyncLocalStorage } from 'node:async_hooks';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/**
 * The processor's own work (writing, forwarding): spans it starts are not
 * recorded, or a store or exporter that is itself instrumented would feed
 * the processor its own writes.
 */
export class InternalWork {
  /** > 0 while the processor's own synchronous work runs. */
  private depth = 0;
  /**
   * Marks the asynchronous continuation of a store's `write` as the processor's
   * own work even when no OTel context manager propagates `suppressTracing`.
   * Only for stores without `writeSync`: AsyncLocalStorage turns on promise
   * hooks for the whole process on Node 20.
   */
  private readonly asyncWork: AsyncLocalStorage<true> | undefined;

  constructor(followsAsyncWork: boolean) {
    this.asyncWork = followsAsyncWork ? new AsyncLocalStorage<true>() : undefined;
  }

  /** True inside `run` (or its asynchronous continuation, when followed). */
  get running(): boolean {
    return this.depth > 0 || this.asyncWork?.getStore() === true;
  }

  run<T>(fn: () => T): T {
    this.depth++;
    try {
      const suppressed = (): T => context.with(suppressTracing(context.active()), fn);
      return this.asyncWork === undefined ? suppressed() : this.asyncWork.run(true, suppressed);
    } finally {
      this.depth--;
    }
  }
}
