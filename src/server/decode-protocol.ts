import type { RawSpan } from '../model/types.js';
import type { OtlpFormat } from '../otlp/index.js';

/** The receiver's thread to a decode thread. The body's buffer is transferred, not copied. */
export type ToDecodeWorker =
  | { type: 'decode'; id: number; format: OtlpFormat; body: Uint8Array; sliceSpans: number }
  | { type: 'more'; id: number };

/** A decode thread's answer: the spans in slices (the last one says so), or why the body could not be decoded. */
export type FromDecodeWorker =
  /** The thread has loaded its modules and takes bodies from now on. */
  | { type: 'ready' }
  | {
      type: 'spans';
      id: number;
      spans: RawSpan[];
      last: boolean;
      rejectedSpans: number;
      rejectionMessage: string | null;
    }
  | {
      type: 'failed';
      id: number;
      /** An OtlpDecodeError: the body is bad (400). Otherwise the decoder failed (500). */
      badRequest: boolean;
      message: string;
      stack?: string;
    };
