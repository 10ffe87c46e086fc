import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { numberOption } from '../../model/option-values.js';
import { fromSources, workerScript } from '../../model/worker-script.js';

export type CheckpointRequest = { type: 'checkpoint' } | { type: 'close' };
/** `wal_checkpoint`'s own answer: frames in the WAL, and how many of them are now in the database. */
export type CheckpointReply = { type: 'checkpointed'; walFrames: number; checkpointedFrames: number } | { type: 'failed'; message: string };

export interface WalCheckpointerOptions {
  /** Items (spans, log records, metric points) committed between two checkpoints. Default 500 (~4 MB of WAL). */
  itemsPerCheckpoint?: number;
  /**
   * Items committed since the WAL was last copied whole past which the writer
   * checkpoints itself, between two commits: the bound on the WAL when the
   * thread cannot catch up. Default 8,000 (~64 MB of WAL).
   */
  maxItemsUncopied?: number;
}

const OWNER = 'WalCheckpointer';
/** SQLite's own default `wal_autocheckpoint`, restored when the thread is gone. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

/**
 * Copies the WAL into the database on its own thread, so the writer's
 * commits never wait for it. With `wal_autocheckpoint` on (SQLite's
 * default), the commit that crosses 1000 pages copies them all and fsyncs
 * the WAL and the database before it returns: under steady ingest, every
 * ~500 spans one commit stalls for the copy and two fsyncs.
 *
 * Here the writer's connection checkpoints never by itself; after every
 * `itemsPerCheckpoint` items it asks this thread for a PASSIVE checkpoint
 * (on the thread's own connection: it waits on no one and no one waits on
 * it), one at a time. A PASSIVE checkpoint copies what is committed but
 * cannot restart the WAL while the writer keeps appending, so the WAL can
 * only grow under steady load: past `maxItemsUncopied` items since the
 * thread last copied it whole, the writer checkpoints itself between two
 * commits, when nothing else appends, and the next commit starts the WAL
 * over. If the thread fails, SQLite's automatic
 * checkpoints come back. Durability is unchanged: a commit is in the WAL
 * either way.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly itemsPerCheckpoint: number;
  private readonly maxItemsUncopied: number;
  /** Items committed so far; when the pending checkpoint was asked for; when the WAL was last copied whole. */
  private items = 0;
  private askedAt = 0;
  private copiedAt = 0;
  private inFlight = false;
  private alive = true;
  private lastWalFrames = 0;
  private readonly exited: Promise<void>;

  constructor(
    private readonly writer: Database.Database,
    dbPath: string,
    options: WalCheckpointerOptions = {},
  ) {
    this.itemsPerCheckpoint = numberOption(OWNER, 'itemsPerCheckpoint', options.itemsPerCheckpoint, 500, { min: 1, integer: true });
    this.maxItemsUncopied = numberOption(OWNER, 'maxItemsUncopied', options.maxItemsUncopied, 8_000, { min: 1, integer: true });
    this.worker = new Worker(workerScript(import.meta.url, 'wal-checkpointer-worker'), {
      workerData: { dbPath },
      execArgv: [],
      eval: fromSources(import.meta.url),
    });
    this.worker.unref();
    this.worker.on('message', (reply: CheckpointReply) => this.onReply(reply));
    this.worker.on('error', () => this.gone());
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        this.gone();
        resolve();
      }),
    );
    writer.pragma('wal_autocheckpoint = 0');
  }

  /** Frames in the WAL at the last checkpoint's answer (0 before one). */
  get walFrames(): number {
    return this.lastWalFrames;
  }

  /** After each commit of the writer's connection, with the items it wrote. */
  committed(items: number): void {
    this.items += items;
    if (!this.alive) return;
    if (this.items - this.copiedAt > this.maxItemsUncopied) {
      const [result] = this.writer.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
      this.lastWalFrames = result.log;
      this.copiedAt = this.items;
      return;
    }
    if (this.inFlight || this.items - this.askedAt < this.itemsPerCheckpoint) return;
    this.inFlight = true;
    this.askedAt = this.items;
    this.worker.postMessage({ type: 'checkpoint' } satisfies CheckpointRequest);
  }

  private onReply(reply: CheckpointReply): void {
    this.inFlight = false;
    if (reply.type !== 'checkpointed') return;
    this.lastWalFrames = reply.walFrames;
    // Copied whole: the next commit starts the WAL over.
    if (reply.checkpointedFrames >= reply.walFrames) this.copiedAt = Math.max(this.copiedAt, this.askedAt);
  }

  private gone(): void {
    if (!this.alive) return;
    this.alive = false;
    this.inFlight = false;
    try {
      this.writer.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
    } catch {
      // The writer's connection is closed already: nothing left to checkpoint from it.
    }
  }

  /** Ends the thread and closes its connection (before the writer's close, which checkpoints and removes the WAL). */
  async close(): Promise<void> {
    if (this.alive) {
      this.worker.postMessage({ type: 'close' } satisfies CheckpointRequest);
      const timer = setTimeout(() => void this.worker.terminate(), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }
}
