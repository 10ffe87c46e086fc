import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { SpanSink } from './span-sink.js';

/** The `dbPath` could not be opened: nothing is queued, and every ended span is counted as failed. */
export class UnopenedSpanSink implements SpanSink {
  private failed = 0;

  get size(): number {
    return 0;
  }

  get droppedCount(): number {
    return 0;
  }

  get failedCount(): number {
    return this.failed;
  }

  enqueue(_span: ReadableSpan, ended: boolean): boolean {
    if (ended) this.failed++;
    return false;
  }

  flushInBackground(): void {}

  flush(): Promise<void> {
    return Promise.resolve();
  }

  flushOnExit(): void {}

  close(): Promise<void> {
    return Promise.resolve();
  }
}
