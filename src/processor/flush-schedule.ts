/**
 * When the processor's queued spans are written: as soon as a batch is full,
 * else after the flush interval. Never inside the app's span call (the write
 * comes after it returns), and never keeping the process alive (unref'd).
 */
export class FlushSchedule {
  private timer: NodeJS.Timeout | undefined;
  private sizeFlushScheduled = false;

  constructor(
    private readonly flushIntervalMillis: number,
    private readonly flush: () => void,
  ) {}

  /** A span was queued; `batchFull` when the queue holds a batch's worth. */
  queued(batchFull: boolean): void {
    if (batchFull) this.scheduleSizeFlush();
    else if (this.timer === undefined) this.scheduleTimerFlush();
  }

  /** A flush is under way: the timer's would find nothing new. */
  cancelTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private scheduleSizeFlush(): void {
    if (this.sizeFlushScheduled) return;
    this.sizeFlushScheduled = true;
    setImmediate(() => {
      this.sizeFlushScheduled = false;
      this.flush();
    }).unref();
  }

  private scheduleTimerFlush(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.flushIntervalMillis);
    this.timer.unref();
  }
}
