/**
 * The writer thread of `SkeinSpanProcessor` (see worker-writer.ts): turns
 * the span batches the app thread posts into records (redacted,
 * normalized) and commits each batch in one transaction. Messages are handled in order, so a
 * `flushed` answer means every batch posted before it is committed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BudgetEventRecord } from '../model/budgets.js';
import { createRedactingNormalizer } from '../model/normalize.js';
import { loadSkeinConfigFile } from '../model/skein-config.js';
import type { RawSpan, SpanRecord } from '../model/types.js';
import { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import { decodeSpanBatch } from '../ingest/span-batch-decoder.js';
import { toWire } from './worker-protocol.js';
import type { FromWorker, ToWorker, WriterThreadData } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('span-writer-worker.js runs only as a worker thread');
const { dbPath, maxTextLength, redaction, budgets, configFile } = workerData as WriterThreadData;
// The app thread read the same file a moment ago and checked it.
const prices = configFile === undefined ? undefined : loadSkeinConfigFile(configFile).prices;
const { normalize } = createRedactingNormalizer({ redaction, maxTextLength, prices });
const store = openStore();

// The app thread opened the same file a moment ago; if this fails all the same, the app thread takes over the writes.
function openStore(): SqliteTraceStore {
  try {
    return new SqliteTraceStore({ path: dbPath });
  } catch (cause) {
    throw new Error(`SkeinSpanProcessor writer thread: cannot open the database ${dbPath}: ${(cause as Error).message}`, { cause });
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'write': {
      const records: SpanRecord[] = [];
      let failed = 0;
      let error: unknown;
      let crossings: BudgetEventRecord[] = [];
      let raws: RawSpan[] = [];
      try {
        raws = decodeSpanBatch(message.batch);
      } catch (cause) {
        failed = message.batch.spans;
        error = cause;
      }
      for (const raw of raws) {
        try {
          records.push(normalize(raw));
        } catch (cause) {
          failed++;
          error = cause;
        }
      }
      try {
        if (records.length > 0) crossings = store.writeSync(records, { budgets });
      } catch (cause) {
        failed += records.length;
        error = cause;
      }
      const answer: FromWorker = {
        type: 'written',
        id: message.id,
        ...(error === undefined ? {} : { failed, error: toWire(error) }),
        ...(crossings.length === 0 ? {} : { budgets: crossings }),
      };
      port.postMessage(answer);
      break;
    }
    case 'flush':
      port.postMessage({ type: 'flushed', id: message.id });
      break;
    case 'close':
      try {
        store.closeSync();
        port.postMessage({ type: 'closed' });
      } catch (error) {
        port.postMessage({ type: 'closed', error: toWire(error) });
      }
      port.close();
      break;
  }
});
