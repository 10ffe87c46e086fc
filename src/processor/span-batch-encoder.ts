import type { Attributes as OtelAttributes, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { InstrumentationScope, SpanResource } from '../model/types.js';
import { convertLink, convertResource, convertScope, spanFlags } from './readable-span-to-raw.js';
import type { EncodedBatch } from '../ingest/encoded-batch.js';
import {
  INTS_PER_SPAN,
  INT_DROPPED_ATTRIBUTES,
  INT_DROPPED_EVENTS,
  INT_DROPPED_LINKS,
  INT_ENDED,
  INT_FLAGS,
  INT_HAS_PARENT,
  INT_KIND,
  INT_LINKS,
  INT_RESOURCE,
  INT_SCOPE,
  INT_STATUS_CODE,
  TAG_ARRAY,
  TAG_FALSE,
  TAG_NULL,
  TAG_NUMBER,
  TAG_STRING,
  TAG_TRUE,
  TAG_VALUE,
} from '../ingest/encoded-batch.js';

export type { EncodedBatch } from '../ingest/encoded-batch.js';

const INITIAL_INTS = 1 << 14;
const INITIAL_FLOATS = 1 << 12;
/** Longer strings (messages, prompts) are nearly always new: not compared, always sent. */
const MAX_SHARED_LENGTH = 64;
// Slots of the span's own string fields; each attribute key has two after them (its value, its array items).
const SLOT_TRACE_ID = 0;
const SLOT_PARENT_SPAN_ID = 1;
const SLOT_TRACE_STATE = 2;
const SLOT_NAME = 3;
const SLOT_STATUS_MESSAGE = 4;
const SLOT_EVENT_NAME = 5;
const FIXED_SLOTS = 6;

/**
 * Encodes the spans of one batch. Reused across batches: `finish()` hands out
 * the batch and starts the next one.
 */
export class SpanBatchEncoder {
  private ints = new Int32Array(INITIAL_INTS);
  private intCount = 0;
  private floats = new Float64Array(INITIAL_FLOATS);
  private floatCount = 0;
  private strings: string[] = [];
  /**
   * Per slot (a span field, or an attribute key's value or array item), the
   * last short string sent in it and its index in `strings`: a value equal
   * to the previous one (the same trace, parent, model, session) is sent as
   * that index. Cheaper than a lookup by content, and it halves the strings
   * structured clone copies (each costs the app thread ~30 ns, whatever its
   * length) and the writer thread recreates.
   */
  private slotStrings: (string | undefined)[] = [];
  private slotIndexes: number[] = [];
  private keys: string[] = [];
  private keyIndex = new Map<string, number>();
  private count = 0;
  private values: unknown[] = [];
  private resources: SpanResource[] = [];
  private scopes: InstrumentationScope[] = [];
  private lastResource: object | undefined;
  private lastResourceIndex = -1;
  private lastScope: object | undefined;
  private lastScopeIndex = -1;

  constructor() {
    this.resetSlots();
  }

  get size(): number {
    return this.count;
  }

  /**
   * Appends one span (an open one as it is now). Throws only on a span the
   * SDK would not make; the batch then stays as it was before the call.
   */
  add(span: ReadableSpan, ended: boolean): void {
    const ints = this.intCount;
    const floats = this.floatCount;
    const strings = this.strings.length;
    const values = this.values.length;
    try {
      this.addSpan(span, ended);
    } catch (error) {
      this.intCount = ints;
      this.floatCount = floats;
      this.strings.length = strings;
      this.values.length = values;
      // A slot may name a string dropped above.
      this.slotStrings.fill(undefined);
      throw error;
    }
    this.count++;
  }

  /** The batch so far (it references the spans' own strings and values, not the spans), and starts the next. */
  finish(): EncodedBatch {
    const values = this.values;
    const batch: EncodedBatch = {
      spans: this.count,
      ints: this.ints.slice(0, this.intCount),
      floats: this.floats.slice(0, this.floatCount),
      strings: this.strings,
      keys: this.keys,
      values,
      resources: this.resources,
      scopes: this.scopes,
    };
    this.intCount = 0;
    this.floatCount = 0;
    this.strings = [];
    this.keys = [];
    this.keyIndex = new Map();
    this.resetSlots();
    this.count = 0;
    this.values = [];
    this.resources = [];
    this.scopes = [];
    this.lastResource = undefined;
    this.lastScope = undefined;
    return batch;
  }

  private addSpan(span: ReadableSpan, ended: boolean): void {
    const ctx = span.spanContext();
    const parent = span.parentSpanContext;
    // An empty parent id is a root, as `parentSpanId: null`.
    const parentSpanId = parent?.spanId;
    const hasParent = parentSpanId !== undefined && parentSpanId !== '';
    const links = span.links;
    this.reserveInts(INTS_PER_SPAN);
    const n = this.ints;
    const i = this.intCount;
    n[i + INT_ENDED] = ended ? 1 : 0;
    n[i + INT_FLAGS] = spanFlags(ctx.traceFlags, parent?.isRemote);
    n[i + INT_KIND] = span.kind;
    n[i + INT_RESOURCE] = this.resourceIndex(span.resource);
    n[i + INT_SCOPE] = this.scopeIndex(span.instrumentationScope);
    n[i + INT_DROPPED_ATTRIBUTES] = span.droppedAttributesCount;
    n[i + INT_DROPPED_EVENTS] = span.droppedEventsCount;
    n[i + INT_DROPPED_LINKS] = span.droppedLinksCount;
    n[i + INT_STATUS_CODE] = span.status.code;
    // Links hold SDK objects (TraceState): converted here, and rare.
    n[i + INT_LINKS] = links.length === 0 ? -1 : this.values.push(links.map(convertLink)) - 1;
    n[i + INT_HAS_PARENT] = hasParent ? 1 : 0;
    this.intCount = i + INTS_PER_SPAN;
    const startTime: HrTime = span.startTime;
    this.float(startTime[0]);
    this.float(startTime[1]);
    if (ended) {
      const endTime: HrTime = span.endTime;
      this.float(endTime[0]);
      this.float(endTime[1]);
    } else {
      this.float(0);
      this.float(0);
    }
    this.string(str(ctx.traceId), SLOT_TRACE_ID);
    this.newString(str(ctx.spanId));
    if (hasParent) this.string(str(parentSpanId), SLOT_PARENT_SPAN_ID);
    this.string(ctx.traceState === undefined ? '' : ctx.traceState.serialize(), SLOT_TRACE_STATE);
    this.string(str(span.name), SLOT_NAME);
    this.string(str(span.status.message ?? ''), SLOT_STATUS_MESSAGE);
    this.attributes(span.attributes);
    const events = span.events;
    this.int(events.length);
    for (const event of events) {
      this.string(str(event.name), SLOT_EVENT_NAME);
      this.float(event.time[0]);
      this.float(event.time[1]);
      this.int(event.droppedAttributesCount ?? 0);
      this.attributes(event.attributes);
    }
  }

  private attributes(attributes: OtelAttributes | undefined): void {
    const countAt = this.intCount;
    this.int(0);
    if (attributes === undefined) return;
    let count = 0;
    for (const key in attributes) {
      const value = attributes[key];
      if (value === undefined) continue;
      let index = this.keyIndex.get(key);
      if (index === undefined) {
        index = this.keys.push(key) - 1;
        this.keyIndex.set(key, index);
        // Its two slots, in step with the key's index (dense arrays).
        this.slotStrings.push(undefined, undefined);
        this.slotIndexes.push(-1, -1);
      }
      this.int(index);
      this.value(value, FIXED_SLOTS + 2 * index);
      count++;
    }
    this.ints[countAt] = count;
  }

  /** `slot`: the key's value slot; its array items use the next one. */
  private value(value: unknown, slot: number): void {
    switch (typeof value) {
      case 'string':
        this.int(TAG_STRING);
        this.string(value, slot);
        return;
      case 'number':
        this.int(TAG_NUMBER);
        this.float(value);
        return;
      case 'boolean':
        this.int(value ? TAG_TRUE : TAG_FALSE);
        return;
      default:
        if (value === null || value === undefined) {
          this.int(TAG_NULL);
        } else if (Array.isArray(value) && value.every(isFlat)) {
          this.int(TAG_ARRAY);
          this.int(value.length);
          // Item by item: the span's own array may still be changed by the app.
          for (const item of value) this.value(item, slot + 1);
        } else {
          this.int(TAG_VALUE);
          this.int(this.values.push(value) - 1);
        }
    }
  }

  /** Sends the string as an index in `strings`: the slot's last one if equal, else a new one. */
  private string(value: string, slot: number): void {
    if (value.length > MAX_SHARED_LENGTH) {
      this.newString(value);
      return;
    }
    if (this.slotStrings[slot] === value) {
      this.int(this.slotIndexes[slot]);
      return;
    }
    this.slotStrings[slot] = value;
    this.slotIndexes[slot] = this.newString(value);
  }

  private newString(value: string): number {
    const index = this.strings.push(value) - 1;
    this.int(index);
    return index;
  }

  private resetSlots(): void {
    this.slotStrings = [undefined, undefined, undefined, undefined, undefined, undefined];
    this.slotIndexes = [-1, -1, -1, -1, -1, -1];
  }

  private int(value: number): void {
    if (this.intCount === this.ints.length) this.reserveInts(1);
    this.ints[this.intCount++] = value;
  }

  private float(value: number): void {
    if (this.floatCount === this.floats.length) {
      const grown = new Float64Array(this.floats.length * 2);
      grown.set(this.floats);
      this.floats = grown;
    }
    this.floats[this.floatCount++] = value;
  }

  private reserveInts(more: number): void {
    if (this.intCount + more <= this.ints.length) return;
    const grown = new Int32Array(Math.max(this.ints.length * 2, this.intCount + more));
    grown.set(this.ints.subarray(0, this.intCount));
    this.ints = grown;
  }

  // Resource and scope are shared by every span of a provider/tracer: one per batch, found by identity.
  private resourceIndex(resource: ReadableSpan['resource']): number {
    if (resource === this.lastResource && !resource.asyncAttributesPending) return this.lastResourceIndex;
    const converted = convertResource(resource);
    let index = this.resources.indexOf(converted);
    if (index === -1) index = this.resources.push(converted) - 1;
    this.lastResource = resource;
    this.lastResourceIndex = index;
    return index;
  }

  private scopeIndex(scope: ReadableSpan['instrumentationScope']): number {
    if (scope === this.lastScope) return this.lastScopeIndex;
    const converted = convertScope(scope);
    let index = this.scopes.indexOf(converted);
    if (index === -1) index = this.scopes.push(converted) - 1;
    this.lastScope = scope;
    this.lastScopeIndex = index;
    return index;
  }
}

/** The SDK's types say string; a value forced past them is sent as an exporter would. */
function str(value: string): string {
  return typeof value === 'string' ? value : String(value);
}

function isFlat(item: unknown): boolean {
  const type = typeof item;
  return type === 'string' || type === 'number' || type === 'boolean' || item === null || item === undefined;
}
