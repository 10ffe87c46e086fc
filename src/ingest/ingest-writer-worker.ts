/**
 * The writer thread (see ingest-writer-thread.ts): commits what the other
 * thread posts, in order, through its own connection and the same commit as
 * everywhere else, and answers each once it is durable. Messages are handled
 * in order, so a `flushed` answer means everything posted before it is answered.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import { createIngestCommit } from './ingest-commit.js';
import { createIngest } from './ingest-settings.js';
import { isTraceRequest, receivedFrom } from './ingest-writer-protocol.js';
import type { FromIngestWriter, IngestWriterData, ToIngestWriter } from './ingest-writer-protocol.js';
import { toWire } from './wire-error.js';

const port = parentPort;
if (port === null) throw new Error('ingest-writer-worker.js runs only as a worker thread');
const { dbPath, settings, owner } = workerData as IngestWriterData;
const store = openStore();
const commit = createIngestCommit({ store, ingest: createIngest(settings) });

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
      const { work } = message;
      // A trace request's buffer goes back once decoded (its spans are copies): the other thread writes its next one in it.
      const buffer = isTraceRequest(work) ? (work.traces.buffer as ArrayBuffer) : undefined;
      let answer: FromIngestWriter;
      try {
        const { received, rejected } = receivedFrom(work);
        const outcome = commit(received);
        answer = { type: 'committed', id: message.id, outcome: rejected === undefined ? outcome : { ...outcome, rejected }, buffer };
      } catch (error) {
        answer = { type: 'failed', id: message.id, error: toWire(error), buffer };
      }
      port.postMessage(answer, buffer === undefined ? [] : [buffer]);
      break;
    }
    case 'flush':
      port.postMessage({ type: 'flushed', id: message.id } satisfies FromIngestWriter);
      break;
    case 'close':
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
      break;
  }
});
