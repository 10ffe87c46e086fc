/**
 * A decode thread of the OTLP receiver (see decode-pool.ts): decodes one
 * request body at a time and hands the spans back in slices, each sent only
 * when the receiver's thread asks for it, so that thread never spends more
 * than one slice's deserialization at a time away from its other requests.
 */
import { parentPort } from 'node:worker_threads';
import { OtlpDecodeError, decodeTraceRequest } from '../otlp/index.js';
import type { DecodedTraces } from '../otlp/index.js';
import type { FromDecodeWorker, ToDecodeWorker } from './decode-protocol.js';

const port = parentPort;
if (port === null) throw new Error('decode-worker.js runs only as a worker thread');

let current: { id: number; decoded: DecodedTraces; next: number; sliceSpans: number } | undefined;

function sendSlice(): void {
  if (current === undefined) return;
  const { id, decoded, next, sliceSpans } = current;
  const end = Math.min(decoded.spans.length, next + sliceSpans);
  const last = end === decoded.spans.length;
  const message: FromDecodeWorker = {
    type: 'spans',
    id,
    spans: decoded.spans.slice(next, end),
    last,
    rejectedSpans: decoded.rejectedSpans,
    rejectionMessage: decoded.rejectionMessage,
  };
  if (last) current = undefined;
  else current.next = end;
  port?.postMessage(message);
}

port.on('message', (message: ToDecodeWorker) => {
  if (message.type === 'more') {
    if (current?.id === message.id) sendSlice();
    return;
  }
  let decoded: DecodedTraces;
  try {
    decoded = decodeTraceRequest(message.body, message.format);
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
  current = { id: message.id, decoded, next: 0, sliceSpans: message.sliceSpans };
  sendSlice();
});
port.postMessage({ type: 'ready' } satisfies FromDecodeWorker);
