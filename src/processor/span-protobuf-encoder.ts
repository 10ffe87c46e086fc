import type { HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes, InstrumentationScope, SpanResource } from '../model/types.js';
import { ProtobufWriter, utf8Write, varintSize } from './protobuf-writer.js';
import { convertResource, convertScope, spanFlags } from './readable-span-to-raw.js';

// Tags (field << 3 | wire type) of opentelemetry-proto's trace messages, written as bytes.
const SPAN_TRACE_ID = 0x0a;
const SPAN_SPAN_ID = 0x12;
const SPAN_TRACE_STATE = 0x1a;
const SPAN_PARENT_SPAN_ID = 0x22;
const SPAN_NAME = 0x2a;
const SPAN_KIND = 0x30;
const SPAN_START = 0x39;
const SPAN_END = 0x41;
const SPAN_ATTRIBUTE = 0x4a;
const SPAN_DROPPED_ATTRIBUTES = 0x50;
const SPAN_EVENT = 0x5a;
const SPAN_DROPPED_EVENTS = 0x60;
const SPAN_LINK = 0x6a;
const SPAN_DROPPED_LINKS = 0x70;
const SPAN_STATUS = 0x7a;
/** Field 16, fixed32: a two-byte tag. */
const SPAN_FLAGS = [0x85, 0x01] as const;
const EVENT_TIME = 0x09;
const EVENT_NAME = 0x12;
const EVENT_ATTRIBUTE = 0x1a;
const EVENT_DROPPED_ATTRIBUTES = 0x20;
const LINK_TRACE_ID = 0x0a;
const LINK_SPAN_ID = 0x12;
const LINK_TRACE_STATE = 0x1a;
const LINK_ATTRIBUTE = 0x22;
const LINK_DROPPED_ATTRIBUTES = 0x28;
const LINK_FLAGS = 0x35;
const STATUS_MESSAGE = 0x12;
const STATUS_CODE = 0x18;
const KEY_VALUE_KEY = 0x0a;
const KEY_VALUE_VALUE = 0x12;
const ANY_STRING = 0x0a;
const ANY_BOOL = 0x10;
const ANY_INT = 0x18;
const ANY_DOUBLE = 0x21;
const ANY_ARRAY = 0x2a;
const ANY_KVLIST = 0x32;
const ANY_BYTES = 0x3a;
const ARRAY_VALUE = 0x0a;
const KVLIST_VALUE = 0x0a;
// ExportTraceServiceRequest → ResourceSpans → ScopeSpans → Span.
const REQUEST_RESOURCE_SPANS = 0x0a;
const RESOURCE_SPANS_RESOURCE = 0x0a;
const RESOURCE_SPANS_SCOPE_SPANS = 0x12;
const RESOURCE_SPANS_SCHEMA_URL = 0x1a;
const SCOPE_SPANS_SCOPE = 0x0a;
const SCOPE_SPANS_SPAN = 0x12;
const SCOPE_SPANS_SCHEMA_URL = 0x1a;
const RESOURCE_ATTRIBUTE = 0x0a;
const RESOURCE_DROPPED_ATTRIBUTES = 0x10;
const SCOPE_NAME = 0x0a;
const SCOPE_VERSION = 0x12;
const SCOPE_ATTRIBUTE = 0x1a;
const SCOPE_DROPPED_ATTRIBUTES = 0x20;

const MIN_INT64 = -(1n << 63n);
const MAX_INT64 = (1n << 63n) - 1n;
const TWO_32 = 4294967296;
/** Values nested deeper than this (an object an app forced in that refers to itself) are sent as strings. */
const MAX_VALUE_DEPTH = 32;
const MAX_CACHED_KEYS = 1024;
/** Longer string values are not kept for the next span (a message, a prompt: rarely the same twice). */
const MAX_REPEATED_STRING = 256;
const MIN_BUFFER_BYTES = 1 << 16;
const MAX_POOLED = 4;
const MAX_POOLED_BYTES = 16 << 20;

/** A run of consecutive spans of one resource and scope: one ScopeSpans (inside one ResourceSpans per run of resource). */
interface Run {
  /** Where its first span starts in the writer. */
  start: number;
  resource: SpanResource;
  scope: InstrumentationScope;
}

/**
 * Encodes a batch of SDK spans as one OTLP `ExportTraceServiceRequest`
 * (protobuf), straight from the `ReadableSpan`s: each span is written as it
 * is added (an open one without its end time, as it is now), and `finish()`
 * hands out the request in an `ArrayBuffer` of its own, to be transferred to
 * the writer thread. The request decodes (decodeProtobufTraceRequest) to
 * exactly what `readableSpanToRaw` makes of each span, and its bytes are
 * those of `encodeProtobufTraceRequest` over them.
 *
 * Values an app forced in past the API's types are sent as an exporter
 * would: bigint as int64 (the nearest double outside it), bytes as bytes, a
 * plain object as a key-value list, anything else (a function, a class
 * instance) as its string.
 */
export class SpanProtobufEncoder {
  private readonly w = new ProtobufWriter();
  private runs: Run[] = [];
  private count = 0;
  /** Where the batch's first span starts: room before it for the envelope of a batch of one run. */
  private gap = 0;
  /** Buffers handed back (`recycle`) to write later batches in: their pages are warm, a new one's are not. */
  private readonly pool: ArrayBuffer[] = [];
  private readonly resources = new WeakMap<SpanResource, Uint8Array>();
  private readonly scopes = new WeakMap<InstrumentationScope, Uint8Array>();
  /** Per attribute key: its bytes, and its last repeated value's whole KeyValue (an app uses a small set of keys, many with the same value span after span). */
  private readonly keys = new Map<string, KeyEntry>();
  /** The last trace id and parent id written (a trace's spans come together, a parent's children too): tag, length and bytes. */
  private readonly traceIds = new IdBytes(SPAN_TRACE_ID);
  private readonly parentIds = new IdBytes(SPAN_PARENT_SPAN_ID);
  private lastSdkResource: object | undefined;
  private lastResource: SpanResource | undefined;
  private lastSdkScope: object | undefined;
  private lastScope: InstrumentationScope | undefined;

  get size(): number {
    return this.count;
  }

  /**
   * Appends one span. Throws only on a span the SDK would not make (a time
   * that is not whole nanoseconds); the batch then stays as it was.
   */
  add(span: ReadableSpan, ended: boolean): void {
    const w = this.w;
    const resource = this.resourceOf(span.resource);
    const scope = this.scopeOf(span.instrumentationScope);
    if (this.runs.length === 0) {
      // The first span: room for ResourceSpans and ScopeSpans before it (tag, longest length, content).
      this.gap = 12 + this.fieldSize(this.resourceBytes(resource)) + this.fieldSize(this.scopeBytes(scope));
      w.pos = 0;
      w.ensure(this.gap);
      w.pos = this.gap;
    }
    const start = w.pos;
    try {
      w.ensure(2);
      w.byte(SCOPE_SPANS_SPAN);
      const body = w.begin(2);
      this.span(span, ended);
      w.end(body, 2);
    } catch (error) {
      w.pos = start;
      throw error;
    }
    const last = this.runs.length === 0 ? undefined : this.runs[this.runs.length - 1];
    if (last === undefined || last.resource !== resource || last.scope !== scope) this.runs.push({ start, resource, scope });
    this.count++;
  }

  /**
   * The request of the spans added since the last call, in an ArrayBuffer
   * this encoder no longer touches (to be transferred); starts the next batch.
   */
  finish(): Uint8Array {
    const runs = this.runs;
    const request = runs.length === 1 ? this.finishInPlace(runs[0]) : this.finishCopied();
    this.runs = [];
    this.count = 0;
    return request;
  }

  /** A buffer a request was sent in, given back: a later batch is written in it. */
  recycle(buffer: ArrayBuffer): void {
    if (this.pool.length < MAX_POOLED && buffer.byteLength <= MAX_POOLED_BYTES) this.pool.push(buffer);
  }

  /** One resource and scope (the usual batch): the envelope goes in the room left before the spans, nothing is copied. */
  private finishInPlace(run: Run): Uint8Array {
    const w = this.w;
    const spans = w.pos - run.start;
    const resourceBytes = this.resourceBytes(run.resource);
    const scopeBytes = this.scopeBytes(run.scope);
    const scopeSpans = this.fieldSize(scopeBytes) + spans + stringFieldSize(run.scope.schemaUrl);
    const resourceSpans = this.fieldSize(resourceBytes) + fieldSize(scopeSpans) + stringFieldSize(run.resource.schemaUrl);
    const header = 1 + varintSize(resourceSpans) + this.fieldSize(resourceBytes) + 1 + varintSize(scopeSpans) + this.fieldSize(scopeBytes);
    const trailer = stringFieldSize(run.scope.schemaUrl) + stringFieldSize(run.resource.schemaUrl);
    w.ensure(trailer);
    const buffer = w.buf;
    const first = run.start - header;
    const o = new BytesOver(buffer, first);
    o.tag(REQUEST_RESOURCE_SPANS).length(resourceSpans);
    o.field(RESOURCE_SPANS_RESOURCE, resourceBytes);
    o.tag(RESOURCE_SPANS_SCOPE_SPANS).length(scopeSpans);
    o.field(SCOPE_SPANS_SCOPE, scopeBytes);
    o.pos += spans;
    o.stringField(SCOPE_SPANS_SCHEMA_URL, run.scope.schemaUrl);
    o.stringField(RESOURCE_SPANS_SCHEMA_URL, run.resource.schemaUrl);
    if (o.pos !== w.pos + trailer) throw new Error(`SkeinSpanProcessor: a span batch encoded to ${o.pos - first} bytes, ${w.pos + trailer - first} expected`);
    w.adopt(this.nextBuffer(o.pos));
    return new Uint8Array(buffer.buffer, buffer.byteOffset + first, o.pos - first);
  }

  /** Several runs: ResourceSpans per run of one resource, ScopeSpans per run, copied into a buffer of their own. */
  private finishCopied(): Uint8Array {
    const w = this.w;
    const runs = this.runs;
    const end = w.pos;
    const groups: { first: number; last: number; size: number }[] = [];
    let total = 0;
    for (let i = 0; i < runs.length; ) {
      const resource = runs[i].resource;
      let j = i;
      let size = this.fieldSize(this.resourceBytes(resource)) + stringFieldSize(resource.schemaUrl);
      for (; j < runs.length && runs[j].resource === resource; j++) size += fieldSize(this.scopeSpansSize(runs, j, end));
      groups.push({ first: i, last: j, size });
      total += fieldSize(size);
      i = j;
    }
    const out = this.nextBuffer(total);
    const o = new BytesOver(out, 0);
    for (const group of groups) {
      const resource = runs[group.first].resource;
      o.tag(REQUEST_RESOURCE_SPANS).length(group.size);
      o.field(RESOURCE_SPANS_RESOURCE, this.resourceBytes(resource));
      for (let r = group.first; r < group.last; r++) {
        const run = runs[r];
        const spansEnd = r + 1 < runs.length ? runs[r + 1].start : end;
        o.tag(RESOURCE_SPANS_SCOPE_SPANS).length(this.scopeSpansSize(runs, r, end));
        o.field(SCOPE_SPANS_SCOPE, this.scopeBytes(run.scope));
        o.copy(w.buf, run.start, spansEnd);
        o.stringField(SCOPE_SPANS_SCHEMA_URL, run.scope.schemaUrl);
      }
      o.stringField(RESOURCE_SPANS_SCHEMA_URL, resource.schemaUrl);
    }
    if (o.pos !== total) throw new Error(`SkeinSpanProcessor: a span batch encoded to ${o.pos} bytes, ${total} expected`);
    w.reset();
    return new Uint8Array(out.buffer, out.byteOffset, total);
  }

  /** A buffer of at least `size` bytes of its own (not from Node's shared pool: it is transferred). */
  private nextBuffer(size: number): Buffer {
    for (let i = this.pool.length - 1; i >= 0; i--) {
      const buffer = this.pool[i];
      if (buffer.byteLength >= size) {
        this.pool.splice(i, 1);
        return Buffer.from(buffer);
      }
    }
    // A quarter more: the next batch, a little larger than this one, still fits.
    return Buffer.allocUnsafeSlow(Math.max(MIN_BUFFER_BYTES, Math.ceil(size * 1.25)));
  }

  private resourceOf(resource: ReadableSpan['resource']): SpanResource {
    if (resource === this.lastSdkResource && this.lastResource !== undefined) return this.lastResource;
    const converted = convertResource(resource);
    // One whose attributes are pending converts empty, not to be remembered: the next span may find them settled.
    if (resource.asyncAttributesPending) return converted;
    this.lastSdkResource = resource;
    this.lastResource = converted;
    return converted;
  }

  private scopeOf(scope: ReadableSpan['instrumentationScope']): InstrumentationScope {
    if (scope === this.lastSdkScope && this.lastScope !== undefined) return this.lastScope;
    const converted = convertScope(scope);
    this.lastSdkScope = scope;
    this.lastScope = converted;
    return converted;
  }

  private scopeSpansSize(runs: Run[], r: number, end: number): number {
    const run = runs[r];
    const spansEnd = r + 1 < runs.length ? runs[r + 1].start : end;
    return this.fieldSize(this.scopeBytes(run.scope)) + (spansEnd - run.start) + stringFieldSize(run.scope.schemaUrl);
  }

  /** An optional message field: absent when empty. */
  private fieldSize(bytes: Uint8Array): number {
    return bytes.length === 0 ? 0 : fieldSize(bytes.length);
  }

  /** The Resource message's content, empty when it has nothing (then not written, as encodeGrouped does). */
  private resourceBytes(resource: SpanResource): Uint8Array {
    let bytes = this.resources.get(resource);
    if (bytes === undefined) {
      const w = new ProtobufWriter(256);
      if (!isEmpty(resource.attributes) || resource.droppedAttributesCount !== 0) {
        this.plainAttributes(w, RESOURCE_ATTRIBUTE, resource.attributes, 0);
        if (resource.droppedAttributesCount !== 0) {
          w.byte(RESOURCE_DROPPED_ATTRIBUTES);
          w.uint32(resource.droppedAttributesCount);
        }
      }
      bytes = w.buf.subarray(0, w.pos);
      this.resources.set(resource, bytes);
    }
    return bytes;
  }

  private scopeBytes(scope: InstrumentationScope): Uint8Array {
    let bytes = this.scopes.get(scope);
    if (bytes === undefined) {
      const w = new ProtobufWriter(256);
      if (scope.name !== '' || scope.version !== '' || !isEmpty(scope.attributes) || scope.droppedAttributesCount !== 0) {
        if (scope.name !== '') {
          w.byte(SCOPE_NAME);
          w.string(scope.name);
        }
        if (scope.version !== '') {
          w.byte(SCOPE_VERSION);
          w.string(scope.version);
        }
        this.plainAttributes(w, SCOPE_ATTRIBUTE, scope.attributes, 0);
        if (scope.droppedAttributesCount !== 0) {
          w.byte(SCOPE_DROPPED_ATTRIBUTES);
          w.uint32(scope.droppedAttributesCount);
        }
      }
      bytes = w.buf.subarray(0, w.pos);
      this.scopes.set(scope, bytes);
    }
    return bytes;
  }

  private span(span: ReadableSpan, ended: boolean): void {
    const w = this.w;
    const ctx = span.spanContext();
    const parent = span.parentSpanContext;
    w.raw(this.traceIds.bytes(str(ctx.traceId)));
    w.byte(SPAN_SPAN_ID);
    w.hexBytes(str(ctx.spanId));
    if (ctx.traceState !== undefined) {
      const traceState = ctx.traceState.serialize();
      if (traceState !== '') {
        w.byte(SPAN_TRACE_STATE);
        w.string(traceState);
      }
    }
    const parentSpanId = parent?.spanId;
    if (parentSpanId !== undefined && parentSpanId !== '') {
      w.raw(this.parentIds.bytes(str(parentSpanId)));
    }
    const name = str(span.name);
    if (name !== '') {
      w.byte(SPAN_NAME);
      w.string(name);
    }
    // The API's SpanKind starts at INTERNAL = 0; OTLP reserves 0 for "unspecified".
    const kind = span.kind + 1;
    if (kind !== 0) {
      w.byte(SPAN_KIND);
      w.int32(kind);
    }
    this.time(SPAN_START, span.startTime);
    if (ended) this.time(SPAN_END, span.endTime);
    this.attributes(SPAN_ATTRIBUTE, span.attributes);
    if (span.droppedAttributesCount !== 0) {
      w.byte(SPAN_DROPPED_ATTRIBUTES);
      w.uint32(span.droppedAttributesCount);
    }
    for (const event of span.events) {
      w.byte(SPAN_EVENT);
      const start = w.begin(1);
      this.time(EVENT_TIME, event.time);
      const eventName = str(event.name);
      if (eventName !== '') {
        w.byte(EVENT_NAME);
        w.string(eventName);
      }
      this.attributes(EVENT_ATTRIBUTE, event.attributes);
      const dropped = event.droppedAttributesCount ?? 0;
      if (dropped !== 0) {
        w.byte(EVENT_DROPPED_ATTRIBUTES);
        w.uint32(dropped);
      }
      w.end(start, 1);
    }
    if (span.droppedEventsCount !== 0) {
      w.byte(SPAN_DROPPED_EVENTS);
      w.uint32(span.droppedEventsCount);
    }
    for (const link of span.links) {
      const context = link.context;
      w.byte(SPAN_LINK);
      const start = w.begin(1);
      w.byte(LINK_TRACE_ID);
      w.hexBytes(str(context.traceId));
      w.byte(LINK_SPAN_ID);
      w.hexBytes(str(context.spanId));
      const traceState = context.traceState?.serialize() ?? '';
      if (traceState !== '') {
        w.byte(LINK_TRACE_STATE);
        w.string(traceState);
      }
      this.attributes(LINK_ATTRIBUTE, link.attributes);
      const dropped = link.droppedAttributesCount ?? 0;
      if (dropped !== 0) {
        w.byte(LINK_DROPPED_ATTRIBUTES);
        w.uint32(dropped);
      }
      const flags = spanFlags(context.traceFlags, context.isRemote);
      if (flags !== 0) {
        w.byte(LINK_FLAGS);
        w.fixed32(flags);
      }
      w.end(start, 1);
    }
    if (span.droppedLinksCount !== 0) {
      w.byte(SPAN_DROPPED_LINKS);
      w.uint32(span.droppedLinksCount);
    }
    const status = span.status;
    const message = str(status.message ?? '');
    if (status.code !== 0 || message !== '') {
      w.byte(SPAN_STATUS);
      const start = w.begin(1);
      if (message !== '') {
        w.byte(STATUS_MESSAGE);
        w.string(message);
      }
      if (status.code !== 0) {
        w.byte(STATUS_CODE);
        w.int32(status.code);
      }
      w.end(start, 1);
    }
    const flags = spanFlags(ctx.traceFlags, parent?.isRemote);
    if (flags !== 0) {
      w.byte(SPAN_FLAGS[0]);
      w.byte(SPAN_FLAGS[1]);
      w.fixed32(flags);
    }
  }

  /**
   * An HrTime as exact nanoseconds (fixed64), not written when 0. Whole
   * seconds and nanoseconds below 2^32 are split into 32-bit words with
   * exact double arithmetic; anything else goes through BigInt, which
   * throws on a time that is not whole, as `hrTimeToUnixNano` does.
   */
  private time(tag: number, time: HrTime): void {
    const seconds = time[0];
    const nanos = time[1];
    let lo: number;
    let hi: number;
    if (Number.isInteger(seconds) && Number.isInteger(nanos) && seconds >= 0 && nanos >= 0 && seconds < TWO_32 && nanos < TWO_32) {
      // seconds * 1e9 + nanos, with 1e9 = 15258 * 2^16 + 51712: every partial product stays below 2^53.
      const a = seconds * 51712 + nanos;
      const b = seconds * 15258;
      const bLow = b % 65536;
      const t = bLow * 65536 + a;
      lo = t % TWO_32;
      hi = (b - bLow) / 65536 + (t - lo) / TWO_32;
    } else {
      const value = BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
      lo = Number(value & 0xffffffffn);
      hi = Number((value >> 32n) & 0xffffffffn);
    }
    if (lo === 0 && hi === 0) return;
    const w = this.w;
    w.byte(tag);
    w.fixed64(lo, hi);
  }

  /** The SDK's attributes (as `convertAttributes` reads them: undefined values skipped, missing array items null). */
  private attributes(tag: number, attributes: Readonly<Record<string, unknown>> | undefined): void {
    if (attributes === undefined) return;
    const w = this.w;
    for (const key in attributes) {
      const value = attributes[key];
      if (value === undefined) continue;
      const entry = this.keyEntry(key);
      if (tag !== SPAN_ATTRIBUTE) {
        this.keyValue(w, tag, entry.key, value, 0);
        continue;
      }
      // A span attribute with the value it had last time: its KeyValue as it was written then.
      if (entry.pair !== undefined && Object.is(value, entry.value)) {
        w.raw(entry.pair);
        continue;
      }
      const start = w.pos;
      this.keyValue(w, tag, entry.key, value, 0);
      if (!repeatable(value)) continue;
      // Kept from its second time on: a value seen once (an id, a count) costs no copy.
      if (Object.is(value, entry.seen)) {
        entry.value = value;
        // A copy (Buffer#slice would be a view into this batch's buffer, which leaves with it).
        entry.pair = new Uint8Array(w.buf.subarray(start, w.pos));
      } else entry.seen = value;
    }
  }

  private plainAttributes(w: ProtobufWriter, tag: number, attributes: Attributes, depth: number): void {
    for (const key in attributes) this.keyValue(w, tag, this.keyEntry(key).key, attributes[key], depth);
  }

  /** A KeyValue; `key` is the key's field (tag, length and UTF-8, nothing for ""). */
  private keyValue(w: ProtobufWriter, tag: number, key: Uint8Array, value: unknown, depth: number): void {
    // Room for the lengths of a key and a string value of one byte per character; `end` moves the rest.
    const valueGuess = typeof value === 'string' ? value.length + 3 : 1;
    const guess = key.length + valueGuess + 4;
    const outer = varintSize(guess);
    const inner = varintSize(valueGuess);
    w.ensure(2);
    w.byte(tag);
    const start = w.begin(outer);
    w.raw(key);
    w.byte(KEY_VALUE_VALUE);
    const valueStart = w.begin(inner);
    this.anyValue(w, value, depth);
    w.end(valueStart, inner);
    w.end(start, outer);
  }

  private keyEntry(key: string): KeyEntry {
    let entry = this.keys.get(key);
    if (entry === undefined) {
      const w = new ProtobufWriter(16 + 3 * key.length);
      if (key !== '') {
        w.byte(KEY_VALUE_KEY);
        w.string(key);
      }
      entry = { key: w.buf.subarray(0, w.pos), seen: undefined, value: undefined, pair: undefined };
      // Keys made up on the fly (an id in the key) must not grow it without bound.
      if (this.keys.size >= MAX_CACHED_KEYS) this.keys.clear();
      this.keys.set(key, entry);
    }
    return entry;
  }

  /** An AnyValue's content; null (and undefined) is an AnyValue with nothing set. */
  private anyValue(w: ProtobufWriter, value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        w.byte(ANY_STRING);
        w.string(value);
        return;
      case 'boolean':
        w.byte(ANY_BOOL);
        w.byte(value ? 1 : 0);
        return;
      case 'number':
        // An integral number is an intValue: JS cannot tell 3 from 3.0 (as encode-protobuf-parts.ts).
        if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
          w.byte(ANY_INT);
          w.int64(value);
        } else {
          w.byte(ANY_DOUBLE);
          w.double(value);
        }
        return;
      case 'bigint':
        if (value >= MIN_INT64 && value <= MAX_INT64) {
          w.byte(ANY_INT);
          w.int64Big(value);
        } else {
          w.byte(ANY_DOUBLE);
          w.double(Number(value));
        }
        return;
      case 'undefined':
        return;
      case 'object':
        if (value === null) return;
        if (depth < MAX_VALUE_DEPTH) {
          if (value instanceof Uint8Array) {
            w.byte(ANY_BYTES);
            w.bytes(value);
            return;
          }
          if (Array.isArray(value)) {
            w.byte(ANY_ARRAY);
            const start = w.begin(1);
            for (const item of value as unknown[]) {
              w.byte(ARRAY_VALUE);
              const itemStart = w.begin(1);
              this.anyValue(w, item, depth + 1);
              w.end(itemStart, 1);
            }
            w.end(start, 1);
            return;
          }
          const prototype: unknown = Object.getPrototypeOf(value);
          if (prototype === Object.prototype || prototype === null) {
            w.byte(ANY_KVLIST);
            const start = w.begin(1);
            this.plainAttributes(w, KVLIST_VALUE, value as Attributes, depth + 1);
            w.end(start, 1);
            return;
          }
        }
        break;
    }
    // A function, a symbol, a class instance: its string, as an OTLP exporter would send it.
    w.byte(ANY_STRING);
    w.string(String(value));
  }
}

interface KeyEntry {
  /** The key's field of a KeyValue: tag, length, UTF-8 (nothing for ""). */
  key: Uint8Array;
  /** The value last written under this key, to keep it when it comes again. */
  seen: unknown;
  /** A value that came at least twice, and its whole KeyValue. */
  value: unknown;
  pair: Uint8Array | undefined;
}

/** A value whose KeyValue may be kept for the next span: a primitive, compared by Object.is, not too long. */
function repeatable(value: unknown): boolean {
  const type = typeof value;
  return type === 'number' || type === 'boolean' || (type === 'string' && (value as string).length <= MAX_REPEATED_STRING);
}

/** An id field's bytes, kept for the last id written. */
class IdBytes {
  private hex: string | undefined;
  private encoded: Uint8Array = new Uint8Array(0);

  constructor(private readonly tag: number) {}

  bytes(hex: string): Uint8Array {
    if (hex !== this.hex) {
      const w = new ProtobufWriter(8 + hex.length);
      w.byte(this.tag);
      w.hexBytes(hex);
      this.encoded = w.buf.subarray(0, w.pos);
      this.hex = hex;
    }
    return this.encoded;
  }
}

/** Writes the envelope of a request whose size is known, from `pos` on. */
class BytesOver {
  constructor(
    private readonly out: Buffer,
    public pos: number,
  ) {}

  tag(tag: number): this {
    this.out[this.pos++] = tag;
    return this;
  }

  length(value: number): void {
    const b = this.out;
    let p = this.pos;
    while (value > 127) {
      b[p++] = (value & 127) | 128;
      value >>>= 7;
    }
    b[p++] = value;
    this.pos = p;
  }

  /** A message field, left out when empty. */
  field(tag: number, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.tag(tag).length(bytes.length);
    this.out.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  stringField(tag: number, value: string): void {
    if (value === '') return;
    const length = Buffer.byteLength(value);
    this.tag(tag).length(length);
    this.pos += utf8Write(this.out, value, this.pos);
  }

  copy(from: Buffer, start: number, end: number): void {
    from.copy(this.out, this.pos, start, end);
    this.pos += end - start;
  }
}

function fieldSize(length: number): number {
  return 1 + varintSize(length) + length;
}

function stringFieldSize(value: string): number {
  return value === '' ? 0 : fieldSize(Buffer.byteLength(value));
}

/** The SDK's types say string; a value forced past them is sent as an exporter would. */
function str(value: string): string {
  return typeof value === 'string' ? value : String(value);
}

function isEmpty(attributes: Attributes): boolean {
  for (const _key in attributes) return false;
  return true;
}
