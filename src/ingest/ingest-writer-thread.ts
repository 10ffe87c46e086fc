import { Worker } from 'node:worker_threads';
import { fromSources, workerScript } from '../model/worker-script.js';
import type { CommitOutcome } from './ingest-commit.js';
import { crossesThreads } from './ingest-settings.js';
import type { IngestSettings } from './ingest-settings.js';
import type { CommitWork, FromIngestWriter, IngestWriterData, ToIngestWriter } from './ingest-writer-protocol.js';
import { fromWire } from './wire-error.js';

export interface IngestWriterThreadOptions {
  dbPath: string;
  /** Posted to the thread, which builds its redactor, normalizer and commit from them. Must cross threads (`crossesThreads`). */
  settings: IngestSettings;
  /** Who the thread writes for, in its errors. Default `skein`. */
  owner?: string;
  /** Called once if the thread dies (it failed to start, threw, or exited) before `close()`. */
  onError: (error: unknown) => void;
}

interface Pending {
  resolve: (outcome: CommitOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Commits on a thread of its own, for every way in: the caller's thread
 * reads, decodes or records spans while the previous commit is redacted,
 * normalized and written on the other core. Work is committed in the order it
 * is posted, each answered once durable, through `createIngestCommit` on the
 * thread's own connection.
 *
 * If the thread dies, the work it had not answered fails and `alive` turns
 * false: the caller then commits on its own thread, through the same commit.
 * (Work the thread had committed after all is then merely written twice,
 * which writes the same rows.)
 */
export class IngestWriterThread {
  private readonly worker: Worker;
  private readonly owner: string;
  private readonly pending = new Map<number, Pending>();
  private readonly flushes = new Map<number, () => void>();
  private nextId = 1;
  private running = true;
  private closing: Promise<void> | undefined;
  private closeError: Error | undefined;
  private exited: (() => void) | undefined;
  private hasExited = false;

  constructor(private readonly options: IngestWriterThreadOptions) {
    const { dbPath, settings } = options;
    if (!crossesThreads(settings)) throw new TypeError('IngestWriterThread: a price table of the app\'s own making cannot cross threads');
    this.owner = options.owner ?? 'skein';
    const data: IngestWriterData = { dbPath, settings, owner: this.owner };
    // execArgv is empty: inheriting the app's (an --import of its own
    // instrumentation) would start a tracer, and a processor, inside the thread.
    // BENCH_CPU_PROF=<dir> (npm run bench) profiles the thread, as it does the servers.
    this.worker = new Worker(workerScript(import.meta.url, 'ingest-writer-worker'), {
      workerData: data,
      execArgv: process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [],
      eval: fromSources(import.meta.url),
    });
    this.worker.on('message', (message: FromIngestWriter) => this.onMessage(message));
    this.worker.on('error', (error) => this.gone(error));
    this.worker.on('exit', (code) => {
      this.hasExited = true;
      this.gone(new Error(`${this.owner}: the writer thread exited (code ${code})`));
      this.exited?.();
    });
  }

  /** False once the thread has died or was closed. */
  get alive(): boolean {
    return this.running;
  }

  /**
   * Posts the work; resolves with its outcome once committed, rejects when
   * the commit failed or the thread died first. Throws at once (posting
   * nothing) when the work cannot be cloned to the thread.
   */
  commit(work: CommitWork): Promise<CommitOutcome> {
    if (!this.running) return Promise.reject(new Error(`${this.owner}: the writer thread is not running`));
    const id = this.nextId++;
    this.post({ type: 'commit', id, work });
    return new Promise<CommitOutcome>((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** Resolves once everything posted before is answered (at once if the thread is not running). Never rejects. */
  flush(): Promise<void> {
    if (!this.running) return Promise.resolve();
    const id = this.nextId++;
    this.post({ type: 'flush', id });
    return new Promise<void>((resolve) => this.flushes.set(id, resolve));
  }

  /**
   * Closes the thread's connection once everything posted is answered, and
   * resolves when the thread has ended (so that nothing of it outlives its
   * owner); rejects with what closing the connection threw. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.exited = () => (this.closeError === undefined ? resolve() : reject(this.closeError));
      if (this.hasExited) this.exited();
      else if (this.running) {
        this.worker.ref();
        this.post({ type: 'close' });
      } else void this.worker.terminate();
    });
    return this.closing;
  }

  /** Keep the process alive while the thread runs (the default). */
  ref(): void {
    this.worker.ref();
  }

  /** Let the process exit with the thread still running (the processor's: its exit hook commits what is left). */
  unref(): void {
    this.worker.unref();
  }

  private post(message: ToIngestWriter): void {
    this.worker.postMessage(message);
  }

  private onMessage(message: FromIngestWriter): void {
    switch (message.type) {
      case 'committed':
      case 'failed': {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.type === 'committed') pending?.resolve(message.outcome);
        else pending?.reject(fromWire(message.error));
        break;
      }
      case 'flushed':
        this.flushes.get(message.id)?.();
        this.flushes.delete(message.id);
        break;
      case 'closed':
        this.running = false;
        if (message.error !== undefined) this.closeError = fromWire(message.error);
        break;
    }
  }

  private gone(error: unknown): void {
    const unexpected = this.running;
    this.running = false;
    if (unexpected) this.options.onError(error);
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
    for (const resolve of this.flushes.values()) resolve();
    this.flushes.clear();
  }
}
