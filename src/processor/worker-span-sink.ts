import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { SpanSink } from './span-sink.js';
import type { WorkerWriter } from './worker-writer.js';

/** Spans written by a writer thread (`WorkerWriter`): the app's thread only snapshots and posts them. */
export class WorkerSpanSink implements SpanSink {
  constructor(private readonly writer: WorkerWriter) {}

  get size(): number {
    return this.writer.size;
  }

  get droppedCount(): number {
    return this.writer.droppedCount;
  }

  get failedCount(): number {
    return this.writer.failedCount;
  }

  // An open span: only a reference, encoded with its batch (as it is then).
  // An ended one: encoded now, copied once per batch.
  enqueue(span: ReadableSpan, ended: boolean): boolean {
    return this.writer.enqueue(span, ended);
  }

  flushInBackground(): void {
    this.writer.postQueued();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  flushOnExit(): void {
    this.writer.flushSync();
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
