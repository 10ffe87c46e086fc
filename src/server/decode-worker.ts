/**
 * A decode thread of the OTLP receivers (see decode-pool.ts): decodes one
 * request body of any signal at a time and hands the items back in slices,
 * each sent only when the receiver's thread asks for it, so that thread
 * never spends more than one slice's deserialization at a time away from its
 * other requests.
 */
import { parentPort } from 'node:worker_threads';
import { OtlpDecodeError } from '../otlp/index.js';
import type { FromDecodeWorker, ToDecodeWorker } from './decode-protocol.js';
import { ITEMS_KEY, SIGNAL_DECODERS } from './otlp-signals.js';

const port = parentPort;
if (port === null) throw new Error('decode-worker.js runs only as a worker thread');

let current: { id: number; items: unknown[]; rest: Record<string, unknown>; next: number; sliceItems: number } | undefined;

function sendSlice(): void {
  if (current === undefined) return;
  const { id, items, rest, next, sliceItems } = current;
  const end = Math.min(items.length, next + sliceItems);
  const slice = items.slice(next, end);
  let message: FromDecodeWorker;
  if (end === items.length) {
    current = undefined;
    message = { type: 'items', id, items: slice, last: true, rest };
  } else {
    current.next = end;
    message = { type: 'items', id, items: slice, last: false };
  }
  port?.postMessage(message);
}

port.on('message', (message: ToDecodeWorker) => {
  if (message.type === 'more') {
    if (current?.id === message.id) sendSlice();
    return;
  }
  let decoded: Record<string, unknown>;
  try {
    decoded = { ...SIGNAL_DECODERS[message.signal](message.body, message.format) };
  } catch (error) {
    const badRequest = error instanceof OtlpDecodeError;
    port.postMessage({
      type: 'failed',
      id: message.id,
      badRequest,
      message: error instanceof Error ? error.message : String(error),
      stack: badRequest || !(error instanceof Error) ? undefined : error.stack,
    } satisfies FromDecodeWorker);
    return;
  }
  const key = ITEMS_KEY[message.signal];
  const items = decoded[key] as unknown[];
  delete decoded[key];
  current = { id: message.id, items, rest: decoded, next: 0, sliceItems: message.sliceItems };
  sendSlice();
});
port.postMessage({ type: 'ready' } satisfies FromDecodeWorker);
