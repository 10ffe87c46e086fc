import type { InstrumentationScope, SpanResource } from '../model/types.js';

/**
 * A batch of spans as the app thread hands it to the writer thread, flat:
 * structure in `ints` (counts, tags, indexes), times and number values in
 * `floats`, strings in `strings` (the SDK's own, by reference), attribute
 * keys once per batch in `keys`. Read back by `decodeSpanBatch`, in order.
 * Each string is an index in `ints`: the next new string of `strings`, or
 * one sent before (a short value repeated, as the trace id, parent, model or
 * session of consecutive spans: structured clone then copies it once).
 *
 * Why not the snapshots themselves: structured clone (or v8.serialize) of
 * an object per span, a tuple per time and an attributes object each walks
 * every object and its property names on the app thread, ~3.5 µs a span,
 * about what the SDK itself costs to make the span. Here the app thread only
 * stores numbers and references; postMessage's clone of a few arrays per
 * batch is the only copy.
 */
export interface EncodedBatch {
  spans: number;
  /** Exactly the numbers written (copies, not the encoder's scratch buffers). */
  ints: Int32Array;
  floats: Float64Array;
  strings: string[];
  keys: string[];
  /** Values the flat form does not carry (links, bigint, bytes, arrays of objects), as the span holds them. */
  values: unknown[];
  resources: SpanResource[];
  scopes: InstrumentationScope[];
}

// Tags of attribute values in `ints`.
export const TAG_STRING = 0; // [tag, string index]
export const TAG_NUMBER = 1; // the next float
export const TAG_TRUE = 2;
export const TAG_FALSE = 3;
export const TAG_NULL = 4; // null, or undefined inside an array
export const TAG_ARRAY = 5; // [tag, count] then count tagged items, each a string, number, boolean or null
export const TAG_VALUE = 6; // [tag, index in `values`]

/**
 * `ints` of one span, in this order, then its attributes ([count, then key
 * index and tagged value each]) and events ([count, then name, dropped
 * attributes count and attributes each]). `floats`: start and end time (0 while open),
 * then attribute numbers, and per event its time. Strings (each an index in
 * `ints`, before the attributes): trace id, span id, parent span id (when
 * `INT_HAS_PARENT`), trace state, name, status message.
 */
export const INT_ENDED = 0;
export const INT_FLAGS = 1;
export const INT_KIND = 2;
export const INT_RESOURCE = 3;
export const INT_SCOPE = 4;
export const INT_DROPPED_ATTRIBUTES = 5;
export const INT_DROPPED_EVENTS = 6;
export const INT_DROPPED_LINKS = 7;
export const INT_STATUS_CODE = 8;
/** Index in `values` of the span's converted links, -1 without. */
export const INT_LINKS = 9;
export const INT_HAS_PARENT = 10;
export const INTS_PER_SPAN = 11;
