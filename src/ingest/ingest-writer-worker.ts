/**
 * The writer thread (see ingest-writer-thread.ts): commits what the other
 * thread posts, in order, through its own connection and the same commit as
 * everywhere else, and answers each once it is durable. Messages are handled
 * in order, so a `flushed` answer means everything posted before it is answered.
 */
import { parentPort, workerData } from 'node:worker_threads';
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

const port = parentPort;
if (port === null) throw new Error('ingest-writer-worker.js runs only as a worker thread');
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

port.on('message', (message: ToIngestWriter) => {
  switch (message.type) {
    case 'commit': {
      let answer: FromIngestWriter;
      try {
        const { work } = message;
        const batch = isEncodedBatch(work) ? decodeSpanBatch(work) : work;
        answer = { type: 'committed', id: message.id, outcome: commit(batch) };
        checkpointer.committed(itemCount(batch));
      } catch (error) {
        answer = { type: 'failed', id: message.id, error: toWire(error) };
      }
      port.postMessage(answer);
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
});

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
