/**
 * The writer thread of `SkeinSpanProcessor` (see worker-writer.ts): turns
 * the snapshots the app thread posts into records (redacted, normalized) and
 * commits each batch in one transaction. Messages are handled in order, so a
 * `flushed` answer means every batch posted before it is committed.
 */
import { deserialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { createNormalizer } from '../model/normalize.js';
import { createRedactor } from '../model/redaction/redactor.js';
import type { SpanRecord } from '../model/types.js';
import { SqliteTraceStore } from '../store/sqlite/sqlite-trace-store.js';
import { snapshotToRaw } from './span-snapshot.js';
import type { SpanSnapshot } from './span-snapshot.js';
import { toWire } from './worker-protocol.js';
import type { ToWorker, WriterThreadData } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('span-writer-worker.js runs only as a worker thread');
const { dbPath, maxTextLength, redaction } = workerData as WriterThreadData;
const normalize = createNormalizer({ maxTextLength, redactor: createRedactor(redaction) });
const store = new SqliteTraceStore({ path: dbPath });

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'write': {
      const records: SpanRecord[] = [];
      let failed = 0;
      let error: unknown;
      for (const snapshot of deserialize(message.bytes) as SpanSnapshot[]) {
        try {
          records.push(normalize(snapshotToRaw(snapshot)));
        } catch (cause) {
          failed++;
          error = cause;
        }
      }
      try {
        if (records.length > 0) store.writeSync(records);
      } catch (cause) {
        failed += records.length;
        error = cause;
      }
      port.postMessage(
        error === undefined ? { type: 'written', id: message.id } : { type: 'written', id: message.id, failed, error: toWire(error) },
      );
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
