import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { numberOption, optionalNumberOption } from '../model/option-values.js';
import { OtlpDecodeError } from '../otlp/index.js';
import type { OtlpFormat } from '../otlp/index.js';
import { fromSources, workerScript } from '../model/worker-script.js';
import type { FromDecodeWorker, ToDecodeWorker } from './decode-protocol.js';
import { ITEMS_KEY, SIGNAL_DECODERS } from './otlp-signals.js';
import type { DecodedBySignal, OtlpSignal } from './otlp-signals.js';

/** A decode thread died with the request's body, or the pool was closed: the request cannot be decoded. */
export class DecodeThreadError extends Error {
  override name = 'DecodeThreadError';
  constructor(
    message: string,
    /** True when the pool is shutting down (503); false when a thread failed (500). */
    readonly closing: boolean,
  ) {
    super(message);
  }
}

export interface DecodePoolOptions {
  /** Decode threads. Default: one per core beyond the first, at most 2 (1 on a 2-core machine). */
  threads?: number;
  /** Items (spans, log records, metrics) per slice handed back (each slice is one structured clone on the receiver's thread). Default 2,000. */
  sliceSpans?: number;
  /**
   * Heap limit of each decode thread (V8 old generation, MiB). A body whose
   * decoding grows past it ends that thread (its request gets 500), not the
   * collector. One single allocation far past the limit is still fatal to
   * the process, as it would be on the main thread. Default: Node's own limit.
   */
  maxHeapMib?: number;
}

interface Task {
  id: number;
  signal: OtlpSignal;
  format: OtlpFormat;
  body: Uint8Array;
  items: unknown[];
  resolve: (decoded: DecodedBySignal[OtlpSignal]) => void;
  reject: (error: unknown) => void;
}

interface Thread {
  worker: Worker;
  online: boolean;
  task: Task | undefined;
}

const OWNER = 'DecodePool';

/**
 * Decodes big OTLP bodies of every signal on worker threads so that the collector's thread
 * keeps answering the API, /healthz and the live stream meanwhile (a 60 MiB
 * JSON body takes seconds to decode). Threads start on first use and do not
 * keep the process alive while idle.
 *
 * - The body's buffer is transferred (the caller must not use it afterwards);
 *   the items (spans, log records, metrics) come back by structured clone,
 *   in slices of `sliceSpans`, one slice per turn of the event loop.
 * - The result and errors are what inline decoding gives: `OtlpDecodeError`
 *   with the same message; items rejected one by one counted as there.
 * - The queue has no bound of its own: every queued body is charged to the
 *   receiver's in-flight byte budget, which bounds it.
 * - A thread that dies fails the request it had (`DecodeThreadError`) and is
 *   replaced for the next one. A thread that cannot start at all (its script
 *   missing) had not been given the body yet: that request, and every later
 *   one, is decoded inline instead.
 */
export class DecodePool {
  readonly threads: number;
  private readonly sliceSpans: number;
  private readonly maxHeapMib: number | undefined;
  private readonly running: Thread[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private broken = false;

  constructor(options: DecodePoolOptions = {}) {
    const cores = typeof availableParallelism === 'function' ? availableParallelism() : 2;
    this.threads = numberOption(OWNER, 'threads', options.threads, Math.max(1, Math.min(2, cores - 1)), {
      min: 1,
      max: 64,
      integer: true,
    });
    this.sliceSpans = numberOption(OWNER, 'sliceSpans', options.sliceSpans, 2_000, { min: 1, integer: true });
    this.maxHeapMib = optionalNumberOption(OWNER, 'maxHeapMib', options.maxHeapMib, { min: 1 });
  }

  /** Requests waiting for a thread. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Decodes `body`, a request of `signal` (default traces), on a decode
   * thread, as `decodeTraceRequest` / `decodeLogsRequest` /
   * `decodeMetricsRequest` would. Its buffer is transferred there (copied
   * first when it is only a view).
   */
  decode<S extends OtlpSignal = 'traces'>(body: Uint8Array, format: OtlpFormat, signal: S = 'traces' as S): Promise<DecodedBySignal[S]> {
    if (this.closed) return Promise.reject(new DecodeThreadError('the collector is shutting down', true));
    if (this.broken) return Promise.resolve().then(() => SIGNAL_DECODERS[signal](body, format));
    return new Promise<DecodedBySignal[S]>((resolve, reject) => {
      const task: Task = { id: this.nextId++, signal, format, body, items: [], resolve: resolve as Task['resolve'], reject };
      this.queue.push(task);
      this.dispatch();
    });
  }

  /** Fails what is queued or being decoded (503: shutting down) and ends the threads. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const error = new DecodeThreadError('the collector is shutting down', true);
    for (const task of this.queue.splice(0)) task.reject(error);
    const threads = this.running.splice(0);
    for (const thread of threads) {
      thread.task?.reject(error);
      thread.task = undefined;
    }
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      let thread = this.running.find((t) => t.task === undefined);
      if (thread === undefined) {
        if (this.running.length >= this.threads) return;
        thread = this.start();
      }
      const task = this.queue.shift() as Task;
      thread.task = task;
      thread.worker.ref();
      if (thread.online) this.post(thread, task);
    }
  }

  private start(): Thread {
    const worker = new Worker(workerScript(import.meta.url, 'decode-worker'), {
      execArgv: [],
      eval: fromSources(import.meta.url),
      resourceLimits: this.maxHeapMib === undefined ? undefined : { maxOldGenerationSizeMb: this.maxHeapMib },
    });
    const thread: Thread = { worker, online: false, task: undefined };
    this.running.push(thread);
    worker.on('message', (message: FromDecodeWorker) => {
      if (message.type !== 'ready') return this.onMessage(thread, message);
      thread.online = true;
      if (thread.task !== undefined) this.post(thread, thread.task);
    });
    worker.on('error', (error) => this.gone(thread, error));
    worker.on('exit', (code) => this.gone(thread, new Error(`exited with code ${code}`)));
    return thread;
  }

  private post(thread: Thread, task: Task): void {
    let { body } = task;
    // Transfer needs a buffer of its own: a view into a larger one (a pooled Buffer, a slice) is copied first.
    if (body.byteOffset !== 0 || body.byteLength !== body.buffer.byteLength || !(body.buffer instanceof ArrayBuffer)) {
      body = new Uint8Array(body); // a copy (Buffer#slice would be another view)
    }
    task.body = new Uint8Array(0);
    const message: ToDecodeWorker = {
      type: 'decode',
      id: task.id,
      signal: task.signal,
      format: task.format,
      body,
      sliceItems: this.sliceSpans,
    };
    thread.worker.postMessage(message, [body.buffer as ArrayBuffer]);
  }

  private onMessage(thread: Thread, message: Exclude<FromDecodeWorker, { type: 'ready' }>): void {
    const task = thread.task;
    if (task === undefined || task.id !== message.id) return;
    if (message.type === 'failed') {
      this.finish(thread);
      if (message.badRequest) task.reject(new OtlpDecodeError(message.message));
      else task.reject(Object.assign(new Error(message.message), { stack: message.stack }));
      return;
    }
    for (const item of message.items) task.items.push(item);
    if (message.last) {
      this.finish(thread);
      task.resolve({ ...message.rest, [ITEMS_KEY[task.signal]]: task.items } as unknown as DecodedBySignal[OtlpSignal]);
      return;
    }
    // The next slice after other events had their turn: a big request never holds this thread for long.
    setImmediate(() => {
      if (thread.task === task) thread.worker.postMessage({ type: 'more', id: task.id } satisfies ToDecodeWorker);
    });
  }

  private finish(thread: Thread): void {
    thread.task = undefined;
    thread.worker.unref();
    this.dispatch();
  }

  private gone(thread: Thread, error: Error): void {
    const at = this.running.indexOf(thread);
    if (at < 0) return;
    this.running.splice(at, 1);
    const task = thread.task;
    thread.task = undefined;
    void thread.worker.terminate();
    if (!thread.online) {
      // The thread never got ready: its script cannot run here. The body was not sent; decode inline from now on.
      if (!this.broken) console.error('skein: decode threads cannot start; decoding on the main thread:', error);
      this.broken = true;
      const waiting = task === undefined ? this.queue.splice(0) : [task, ...this.queue.splice(0)];
      for (const t of waiting) {
        try {
          t.resolve(SIGNAL_DECODERS[t.signal](t.body, t.format));
        } catch (decodeError) {
          t.reject(decodeError);
        }
      }
      return;
    }
    task?.reject(new DecodeThreadError(`the decode thread failed while decoding this request: ${error.message}`, false));
    this.dispatch();
  }
}
