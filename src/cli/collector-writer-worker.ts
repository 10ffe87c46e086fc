/**
 * The collector's writer thread (see collector-writer.ts): commits each group
 * of requests the collector's thread posts, in order, through its own
 * connection, and answers with the outcome once it is durable.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createRedactingNormalizer } from '../model/normalize.js';
import { createPriceTable } from '../model/pricing.js';
import { toWire } from '../processor/worker-protocol.js';
import { SqliteOutbox } from '../store/sqlite/sqlite-outbox.js';
import { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import { createCollectorCommit } from '../ingest/ingest-commit.js';
import type { CollectorWriterData, FromCollectorWriter, ToCollectorWriter } from './collector-writer-protocol.js';

const port = parentPort;
if (port === null) throw new Error('collector-writer-worker.js runs only as a worker thread');
const data = workerData as CollectorWriterData;
const store = new SqliteTraceStore({ path: data.dbPath });
const { redactor, normalize } = createRedactingNormalizer({
  redaction: data.redaction,
  maxTextLength: data.maxTextLength,
  prices: data.prices === undefined ? undefined : createPriceTable(data.prices, { includeDefaults: false }),
});
const commit = createCollectorCommit({
  store,
  outbox: new SqliteOutbox(store.database),
  redactor,
  normalize,
  upstreams: data.upstreams,
  storeMode: data.storeMode,
  budgets: data.budgets,
});

port.on('message', (message: ToCollectorWriter) => {
  let answer: FromCollectorWriter;
  switch (message.type) {
    case 'commit':
      try {
        answer = { type: 'committed', id: message.id, outcome: commit(message.spans) };
      } catch (error) {
        answer = { type: 'failed', id: message.id, error: toWire(error) };
      }
      port.postMessage(answer);
      break;
    case 'close':
      try {
        // The WAL is copied into the database here, off the collector's thread: its own close,
        // the last one, then has nothing left to write (a large final checkpoint and its fsync
        // held that thread for tens of milliseconds while it was shutting down).
        store.database.pragma('wal_checkpoint(TRUNCATE)');
        store.closeSync();
        port.postMessage({ type: 'closed' } satisfies FromCollectorWriter);
      } catch (error) {
        port.postMessage({ type: 'closed', error: toWire(error) } satisfies FromCollectorWriter);
      }
      port.close();
      break;
  }
});
