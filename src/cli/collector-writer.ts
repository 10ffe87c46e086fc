import { Worker } from 'node:worker_threads';
import type { RawSpan } from '../model/types.js';
import { fromWire } from '../processor/worker-protocol.js';
import { fromSources, workerScript } from '../model/worker-script.js';
import type { CommitOutcome } from '../ingest/ingest-commit.js';
import type { CollectorWriterData, FromCollectorWriter, ToCollectorWriter } from './collector-writer-protocol.js';

interface Pending {
  resolve: (outcome: CommitOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * The collector's commits on a thread of their own: the collector's thread
 * reads and decodes requests (and answers queries) while the previous group
 * is being redacted, normalized and committed on the other core. Groups are
 * committed in the order they are posted, each answered once durable.
 *
 * If the thread dies, the groups it had not answered fail (their requests get
 * 503 and are sent again; a group it had committed after all is merely stored
 * twice, which writes the same rows) and `alive` turns false: the collector
 * then commits on its own thread.
 */
export class CollectorWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private running = true;
  private closing: Promise<void> | undefined;
  private closeError: Error | undefined;
  private exited: (() => void) | undefined;
  private hasExited = false;

  constructor(
    data: CollectorWriterData,
    private readonly onError: (error: unknown) => void,
  ) {
    this.worker = new Worker(workerScript(import.meta.url, 'collector-writer-worker'), {
      workerData: data,
      execArgv: [],
      eval: fromSources(import.meta.url),
    });
    this.worker.on('message', (message: FromCollectorWriter) => this.onMessage(message));
    this.worker.on('error', (error) => this.gone(error));
    this.worker.on('exit', (code) => {
      this.hasExited = true;
      this.gone(new Error(`skein: the writer thread exited (code ${code})`));
      this.exited?.();
    });
  }

  /** False once the thread has died or was closed. */
  get alive(): boolean {
    return this.running;
  }

  commit(spans: RawSpan[]): Promise<CommitOutcome> {
    if (!this.running) return Promise.reject(new Error('skein: the writer thread is not running'));
    const id = this.nextId++;
    return new Promise<CommitOutcome>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ type: 'commit', id, spans });
    });
  }

  /**
   * Closes the thread's connection once every posted group is answered, and
   * resolves when the thread has ended (so that nothing of it outlives the
   * collector: a process told to stop exits right after). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.exited = () => (this.closeError === undefined ? resolve() : reject(this.closeError));
      if (this.hasExited) this.exited();
      else if (this.running) this.post({ type: 'close' });
      else void this.worker.terminate();
    });
    return this.closing;
  }

  private post(message: ToCollectorWriter): void {
    this.worker.postMessage(message);
  }

  private onMessage(message: FromCollectorWriter): void {
    switch (message.type) {
      case 'committed':
      case 'failed': {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.type === 'committed') pending?.resolve(message.outcome);
        else pending?.reject(fromWire(message.error));
        break;
      }
      case 'closed':
        this.running = false;
        if (message.error !== undefined) this.closeError = fromWire(message.error);
        break;
    }
  }

  private gone(error: unknown): void {
    const unexpected = this.running;
    this.running = false;
    if (unexpected) this.onError(error);
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}
