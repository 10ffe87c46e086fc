/** The checkpoint thread of wal-checkpointer.ts: PASSIVE checkpoints on its own connection, one per request. */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointReply, CheckpointRequest } from './wal-checkpointer.js';

const port = parentPort;
if (port === null) throw new Error('wal-checkpointer-worker.js runs only as a worker thread');
const db = new Database((workerData as { dbPath: string }).dbPath, { fileMustExist: true });

port.on('message', (request: CheckpointRequest) => {
  if (request.type === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: CheckpointReply;
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    reply = { type: 'checkpointed', walFrames: result.log, checkpointedFrames: result.checkpointed };
  } catch (error) {
    reply = { type: 'failed', message: (error as Error).message };
  }
  port.postMessage(reply);
});
