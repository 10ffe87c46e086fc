import type { BudgetConfig, BudgetEventRecord } from '../model/budgets.js';
import type { RedactionOptions } from '../model/redaction/redactor.js';
import type { EncodedBatch } from './span-batch-encoder.js';

/** What the writer thread is started with (structured-cloneable). */
export interface WriterThreadData {
  dbPath: string;
  maxTextLength?: number;
  redaction?: RedactionOptions;
  /** Evaluated in each write transaction; the crossings come back with `written`. */
  budgets?: BudgetConfig;
  /** Read again by the worker for its `prices` (a price table cannot cross threads). */
  configFile?: string;
}

export type ToWorker =
  /** One batch of spans, read with `decodeSpanBatch`. */
  | { type: 'write'; id: number; batch: EncodedBatch }
  /** Answered once everything posted before it is committed. */
  | { type: 'flush'; id: number }
  | { type: 'close' };

export type FromWorker =
  /**
   * `failed` spans of the batch were lost (normalization or the write failed), the last `error` says why;
   * `budgets`: the crossings its commit recorded.
   */
  | { type: 'written'; id: number; failed?: number; error?: WireError; budgets?: BudgetEventRecord[] }
  | { type: 'flushed'; id: number }
  | { type: 'closed'; error?: WireError };

/**
 * An error as it crosses threads. Structured clone keeps only the standard
 * Error classes whole: a SqliteError would arrive with no message or code.
 */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
}

export function toWire(error: unknown): WireError {
  if (error instanceof Error) {
    const { code } = error as Error & { code?: unknown };
    return { name: error.name, message: error.message, stack: error.stack, code };
  }
  return { name: 'Error', message: String(error) };
}

export function fromWire(wire: WireError): Error {
  const error = new Error(wire.message) as Error & { code?: unknown };
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  if (wire.code !== undefined) error.code = wire.code;
  return error;
}
