import { Worker } from 'node:worker_threads';
import type { StatsQuery, StatsRow } from '../../model/query.js';
import { fromSources, workerScript } from '../../model/worker-script.js';

export type StatsThreadRequest = { type: 'stats'; id: number; query: StatsQuery } | { type: 'close' };

export type StatsThreadReply = { id: number; rows: StatsRow[] } | { id: number; error: { name: string; message: string } };

/**
 * Stats over a window scan every model call in it (hundreds of ms at a
 * million spans): on the collector's thread that stalls every request being
 * received. This runs them on a thread with its own read-only connection.
 * If the thread dies, `stats` rejects and the caller runs the query itself.
 */
export class StatsThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (rows: StatsRow[]) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private alive = true;
  private readonly exited: Promise<void>;

  constructor(dbPath: string) {
    this.worker = new Worker(workerScript(import.meta.url, 'stats-thread-worker'), {
      workerData: { dbPath },
      execArgv: [],
      eval: fromSources(import.meta.url),
    });
    this.worker.unref();
    this.worker.on('message', (reply: StatsThreadReply) => {
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if ('rows' in reply) waiter.resolve(reply.rows);
      else waiter.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
    });
    const gone = (error: Error) => {
      this.alive = false;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', gone);
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        gone(new Error(`the stats thread exited (code ${code})`));
        resolve();
      }),
    );
  }

  get running(): boolean {
    return this.alive;
  }

  stats(query: StatsQuery): Promise<StatsRow[]> {
    if (!this.alive) return Promise.reject(new Error('the stats thread is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'stats', id, query } satisfies StatsThreadRequest);
    });
  }

  /**
   * Closes the thread's connection before it ends: a connection left open
   * would keep the caller's close from checkpointing and removing the WAL.
   */
  async close(): Promise<void> {
    if (this.alive) {
      this.alive = false;
      this.worker.postMessage({ type: 'close' } satisfies StatsThreadRequest);
      const timer = setTimeout(() => void this.worker.terminate(), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }
}
