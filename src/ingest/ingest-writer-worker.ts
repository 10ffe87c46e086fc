/**
 * The writer thread (see ingest-writer-thread.ts): commits what the other
 * thread posts, in order, through its own connection and the same commit as
 * everywhere else, and answers each once it is durable. Messages are handled
 * in order, so a `flushed` answer means everything posted before it is answered.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { RawSpan } from '../model/types.js';
import { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import { WalCheckpointer } from '../store/sqlite/wal-checkpointer.js';
import { createIngestCommit } from './ingest-commit.js';
import { createIngest } from './ingest-settings.js';
import { isEncodedBatch } from './ingest-writer-protocol.js';
import type { FromIngestWriter, IngestWriterData, ToIngestWriter } from './ingest-writer-protocol.js';
import { asSignalBatch, metricPointCount } from './signal-batch.js';
import type { SignalBatch } from './signal-batch.js';
import { decodeSpanBatch } from './span-batch-decoder.js';
import { toWire } from './wire-error.js';

if (parentPort === null) throw new Error('ingest-writer-worker.js runs only as a worker thread');
const port: MessagePort = parentPort;
const { dbPath, settings, owner } = workerData as IngestWriterData;
const store = openStore();
const commit = createIngestCommit({ store, ingest: createIngest(settings) });
// Checkpoints run on their own thread: a commit never stalls copying the WAL (wal-checkpointer.ts).
const checkpointer = new WalCheckpointer(store.database, dbPath);

// The other thread opened the same file a moment ago; if this fails all the same, that thread takes over the writes.
function openStore(): SqliteTraceStore {
  try {
    return new SqliteTraceStore({ path: dbPath });
  } catch (cause) {
    throw new Error(`${owner}: the writer thread cannot open the database ${dbPath}: ${(cause as Error).message}`, { cause });
  }
}

port.on('message', handle);

/** One posted commit, decoded. */
interface Work {
  id: number;
  batch: RawSpan[] | SignalBatch;
  items: number;
}

/** Items past which commits waiting behind the one being made are not merged into it. */
const MAX_MERGED_ITEMS = 4096;

function handle(message: ToIngestWriter): void {
  switch (message.type) {
    case 'commit': {
      // Commits posted while the last one ran wait in the port: merged into one transaction
      // (SQLite pays per commit: 512-span batches of the processor cost ~70 µs a span, 100-span ones
      // ~110), each still answered on its own, in order. A message of another kind ends the group.
      const group: Work[] = [];
      let items = 0;
      let next: ToIngestWriter | undefined = message;
      while (next?.type === 'commit' && items < MAX_MERGED_ITEMS) {
        const work = decoded(next);
        if (work !== undefined) {
          group.push(work);
          items += work.items;
        }
        next = (receiveMessageOnPort(port) as { message: ToIngestWriter } | undefined)?.message;
      }
      commitGroup(group);
      if (next !== undefined) handle(next);
      break;
    }
    case 'flush':
      port.postMessage({ type: 'flushed', id: message.id } satisfies FromIngestWriter);
      break;
    case 'close':
      // Its connection first: one still open would keep the checkpoint below from removing the WAL.
      void checkpointer.close().then(() => closeStore(port));
      break;
  }
}

/** The posted work as a batch to commit; undefined (answered as failed) when it cannot be read. */
function decoded(message: Extract<ToIngestWriter, { type: 'commit' }>): Work | undefined {
  try {
    const { work } = message;
    const batch = isEncodedBatch(work) ? decodeSpanBatch(work) : work;
    return { id: message.id, batch, items: itemCount(batch) };
  } catch (error) {
    port.postMessage({ type: 'failed', id: message.id, error: toWire(error) } satisfies FromIngestWriter);
    return undefined;
  }
}

/**
 * Commits the group in one transaction; the first answer carries its outcome (budget crossings,
 * payloads queued), the others an empty one. If that fails, each is committed alone, so that one
 * batch's failure is its own.
 */
function commitGroup(group: readonly Work[]): void {
  if (group.length > 1) {
    try {
      const merged: SignalBatch = { spans: [], logs: [], metrics: [] };
      for (const { batch } of group) {
        const { spans, logs, metrics } = asSignalBatch(batch);
        for (const span of spans) merged.spans.push(span);
        for (const log of logs) merged.logs.push(log);
        for (const metric of metrics) merged.metrics.push(metric);
      }
      const outcome = commit(merged);
      checkpointer.committed(group.reduce((items, work) => items + work.items, 0));
      group.forEach((work, i) =>
        port.postMessage({
          type: 'committed',
          id: work.id,
          outcome: i === 0 ? outcome : { crossings: [], enqueued: [] },
        } satisfies FromIngestWriter),
      );
      return;
    } catch {
      // Committed alone below: the error is answered to the batch it belongs to.
    }
  }
  for (const work of group) {
    let answer: FromIngestWriter;
    try {
      answer = { type: 'committed', id: work.id, outcome: commit(work.batch) };
      checkpointer.committed(work.items);
    } catch (error) {
      answer = { type: 'failed', id: work.id, error: toWire(error) };
    }
    port.postMessage(answer);
  }
}

/** Spans, log records and metric points: what a commit wrote, for the checkpoint pace. */
function itemCount(batch: RawSpan[] | SignalBatch): number {
  const { spans, logs, metrics } = asSignalBatch(batch);
  return spans.length + logs.length + metricPointCount(metrics);
}

function closeStore(port: MessagePort): void {
  try {
    // The WAL is copied into the database here, off the other thread: its own close, the
    // last one, then has nothing left to write (a large final checkpoint and its fsync held
    // the collector's thread for tens of milliseconds while it was shutting down).
    store.database.pragma('wal_checkpoint(TRUNCATE)');
    store.closeSync();
    port.postMessage({ type: 'closed' } satisfies FromIngestWriter);
  } catch (error) {
    port.postMessage({ type: 'closed', error: toWire(error) } satisfies FromIngestWriter);
  }
  port.close();
}
