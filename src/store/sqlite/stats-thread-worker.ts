import { parentPort, workerData } from 'node:worker_threads';
import { SqliteTraceStore } from './sqlite-trace-store.js';
import type { StatsThreadReply, StatsThreadRequest } from './stats-thread.js';

const port = parentPort;
if (port === null) throw new Error('stats-thread-worker.js runs only as a worker thread');
const store = new SqliteTraceStore({ path: (workerData as { dbPath: string }).dbPath, readonly: true });

port.on('message', (request: StatsThreadRequest) => {
  if (request.type === 'close') {
    store.closeSync();
    port.close();
    return;
  }
  void store.stats(request.query).then(
    (rows) => port.postMessage({ id: request.id, rows } satisfies StatsThreadReply),
    (error: Error) =>
      port.postMessage({ id: request.id, error: { name: error.name, message: error.message } } satisfies StatsThreadReply),
  );
});
