import type { OtlpFormat } from '../otlp/index.js';
import type { OtlpSignal } from './otlp-signals.js';

/** The receiver's thread to a decode thread. The body's buffer is transferred, not copied. */
export type ToDecodeWorker =
  | { type: 'decode'; id: number; signal: OtlpSignal; format: OtlpFormat; body: Uint8Array; sliceItems: number }
  | { type: 'more'; id: number };

/**
 * A decode thread's answer: the decoded request's items (spans, log records
 * or metrics) in slices, the last of which carries the rest of the decoded
 * form (its counts and message); or why the body could not be decoded.
 */
export type FromDecodeWorker =
  /** The thread has loaded its modules and takes bodies from now on. */
  | { type: 'ready' }
  | { type: 'items'; id: number; items: unknown[]; last: false }
  | { type: 'items'; id: number; items: unknown[]; last: true; rest: Record<string, unknown> }
  | {
      type: 'failed';
      id: number;
      /** An OtlpDecodeError: the body is bad (400). Otherwise the decoder failed (500). */
      badRequest: boolean;
      message: string;
      stack?: string;
    };
