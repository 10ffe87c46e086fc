/**
 * The outbox counts that forwarding's health reads synchronously (gauges at
 * scrape time, `/readyz`, the full-outbox refusal on every request): SQLite's
 * outbox keeps them in memory; for PostgreSQL's, where every replica changes
 * them, an `OutboxSnapshot` re-reads them in the background.
 */

import { numberOption } from '../model/option-values.js';
import type { OutboxDepth } from '../store/outbox.js';

/** Synchronous and cheap: what `ForwardingHealth` reads (`SqliteOutbox` provides it). */
export interface OutboxCounts {
  /** Per upstream with anything queued. */
  depth(): OutboxDepth[];
  /** Bytes queued for one upstream (what the outbox bound is checked against). */
  queuedBytes(upstream: string): number;
  deadLetterCounts(): Map<string, number>;
}

/** The async reads a snapshot is taken from (`PgOutbox` provides them). */
export interface CountedOutbox {
  depth(): Promise<OutboxDepth[]>;
  deadLetterCounts(): Promise<Map<string, number>>;
}

export interface OutboxSnapshotOptions {
  /** Re-read at least this often, changes or not (other replicas deliver too). Default 5 s. */
  intervalMillis?: number;
  /** Never re-read sooner than this after the last read started: a busy forwarder asks after every step. Default 250 ms. */
  minGapMillis?: number;
}

const OWNER = 'OutboxSnapshot';

/**
 * The last counts read from an async outbox, served synchronously. `refresh()`
 * asks for a new read (after a forwarding step, after an enqueue); a timer
 * asks too. One read runs at a time, and asks during it coalesce into one
 * more read after it, at least `minGapMillis` after the last one started:
 * the database sees a bounded rate of count queries however busy forwarding is.
 * A read that fails (the database is down) keeps the last counts, and is logged once a minute.
 */
export class OutboxSnapshot implements OutboxCounts {
  private depths = new Map<string, OutboxDepth>();
  private dead = new Map<string, number>();
  private readonly intervalMillis: number;
  private readonly minGapMillis: number;
  private reading: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private lastStartedAtMillis = -Infinity;
  private lastLoggedAtMillis = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** When the counts served were read (epoch millis); null before the first read succeeded. */
  readAtMillis: number | null = null;

  constructor(
    private readonly outbox: CountedOutbox,
    options: OutboxSnapshotOptions = {},
  ) {
    this.intervalMillis = numberOption(OWNER, 'intervalMillis', options.intervalMillis, 5_000, { min: 1, max: 3_600_000 });
    this.minGapMillis = numberOption(OWNER, 'minGapMillis', options.minGapMillis, 250, { min: 0, max: 3_600_000 });
  }

  /** Reads now, then every `intervalMillis` until `stop()`. */
  start(): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setInterval(() => void this.refresh(), this.intervalMillis);
    this.timer.unref();
    void this.refresh();
  }

  /** Ends the timer and waits for a read in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await (this.queued ?? this.reading);
  }

  /** Resolves once a read that started after this call has ended (successful or not); never rejects. */
  refresh(): Promise<void> {
    if (this.queued !== null) return this.queued;
    // Stopped: no new reads (the database may be closing).
    if (this.stopped) return this.reading ?? Promise.resolve();
    if (this.reading === null) return (this.reading = this.read());
    this.queued = this.reading.then(async () => {
      const wait = this.lastStartedAtMillis + this.minGapMillis - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
      this.queued = null;
      this.reading = this.read();
      return this.reading;
    });
    return this.queued;
  }

  depth(): OutboxDepth[] {
    return [...this.depths.values()];
  }

  queuedBytes(upstream: string): number {
    return this.depths.get(upstream)?.bytes ?? 0;
  }

  deadLetterCounts(): Map<string, number> {
    return new Map(this.dead);
  }

  private async read(): Promise<void> {
    this.lastStartedAtMillis = Date.now();
    try {
      const [depths, dead] = await Promise.all([this.outbox.depth(), this.outbox.deadLetterCounts()]);
      this.depths = new Map(depths.map((d) => [d.upstream, d]));
      this.dead = dead;
      this.readAtMillis = this.lastStartedAtMillis;
    } catch (error) {
      const now = Date.now();
      if (now - this.lastLoggedAtMillis >= 60_000) {
        this.lastLoggedAtMillis = now;
        const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        const age = this.readAtMillis === null ? 'none read yet' : `those of ${Math.round((now - this.readAtMillis) / 1000)} s ago kept`;
        console.error(`skein: reading the forwarding outbox's counts failed (${text}); ${age}`);
      }
    } finally {
      this.reading = null;
    }
  }
}
