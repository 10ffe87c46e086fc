import type { AttributeValue, Attributes, RawSpan, SpanEvent, SpanKindNumber, SpanLink, StatusCodeNumber } from '../model/types.js';
import type { EncodedBatch } from './encoded-batch.js';
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
} from './encoded-batch.js';

const NANOS_PER_SECOND = 1_000_000_000n;

/** The spans of a batch `SpanBatchEncoder` made, as `readableSpanToRaw` would have made them. Throws on a batch it did not make. */
export function decodeSpanBatch(batch: EncodedBatch): RawSpan[] {
  return new SpanBatchReader(batch).read();
}

class SpanBatchReader {
  private int = 0;
  private float = 0;
  /** Strings read so far: an index below is a repeat, the next one is new, any other is an error. */
  private string = 0;

  constructor(private readonly batch: EncodedBatch) {}

  read(): RawSpan[] {
    const spans: RawSpan[] = [];
    for (let s = 0; s < this.batch.spans; s++) spans.push(this.span());
    const { ints, floats, strings } = this.batch;
    if (this.int !== ints.length || this.float !== floats.length || this.string !== strings.length) {
      throw new Error('SkeinSpanProcessor: a span batch did not decode to its end');
    }
    return spans;
  }

  private span(): RawSpan {
    const n = this.batch.ints;
    const i = this.int;
    this.int += INTS_PER_SPAN;
    const ended = n[i + INT_ENDED] === 1;
    const linksIndex = n[i + INT_LINKS];
    const startTimeUnixNano = this.time();
    const endTime = this.time();
    const traceId = this.nextString();
    const spanId = this.nextString();
    const parentSpanId = n[i + INT_HAS_PARENT] === 1 ? this.nextString() : null;
    const traceState = this.nextString();
    const name = this.nextString();
    const statusMessage = this.nextString();
    const attributes = this.attributes();
    const eventCount = this.nextInt();
    const events: SpanEvent[] = [];
    for (let e = 0; e < eventCount; e++) {
      const eventName = this.nextString();
      const timeUnixNano = this.time();
      const droppedAttributesCount = this.nextInt();
      events.push({ name: eventName, timeUnixNano, attributes: this.attributes(), droppedAttributesCount });
    }
    return {
      traceId,
      spanId,
      parentSpanId,
      traceState,
      flags: n[i + INT_FLAGS],
      name,
      // The API's SpanKind starts at INTERNAL = 0; OTLP reserves 0 for "unspecified".
      kind: (n[i + INT_KIND] + 1) as SpanKindNumber,
      startTimeUnixNano,
      endTimeUnixNano: ended ? endTime : null,
      attributes,
      droppedAttributesCount: n[i + INT_DROPPED_ATTRIBUTES],
      events,
      droppedEventsCount: n[i + INT_DROPPED_EVENTS],
      links: linksIndex === -1 ? [] : (this.batch.values[linksIndex] as SpanLink[]),
      droppedLinksCount: n[i + INT_DROPPED_LINKS],
      statusCode: n[i + INT_STATUS_CODE] as StatusCodeNumber,
      statusMessage,
      resource: this.batch.resources[n[i + INT_RESOURCE]],
      scope: this.batch.scopes[n[i + INT_SCOPE]],
    };
  }

  private attributes(): Attributes {
    const count = this.nextInt();
    const out: Attributes = {};
    for (let a = 0; a < count; a++) {
      const key = this.batch.keys[this.nextInt()];
      if (key === undefined) throw new Error('SkeinSpanProcessor: a span batch names an unknown attribute key');
      out[key] = this.value();
    }
    return out;
  }

  private value(): AttributeValue {
    const tag = this.nextInt();
    switch (tag) {
      case TAG_STRING:
        return this.nextString();
      case TAG_NUMBER:
        return this.nextFloat();
      case TAG_TRUE:
        return true;
      case TAG_FALSE:
        return false;
      case TAG_NULL:
        return null;
      case TAG_ARRAY: {
        const count = this.nextInt();
        const items: AttributeValue[] = [];
        for (let k = 0; k < count; k++) items.push(this.value());
        return items;
      }
      case TAG_VALUE: {
        const value = this.batch.values[this.nextInt()];
        // As convertAttributes: missing array items are null.
        return Array.isArray(value) ? value.map((item: unknown) => (item === undefined || item === null ? null : (item as AttributeValue))) : (value as AttributeValue);
      }
      default:
        throw new Error(`SkeinSpanProcessor: unknown value tag ${tag} in a span batch`);
    }
  }

  /** Exact nanoseconds: a float multiplication would lose the low digits past 2^53. */
  private time(): bigint {
    const seconds = this.nextFloat();
    return BigInt(seconds) * NANOS_PER_SECOND + BigInt(this.nextFloat());
  }

  private nextInt(): number {
    if (this.int >= this.batch.ints.length) throw new Error('SkeinSpanProcessor: a span batch ends early');
    return this.batch.ints[this.int++];
  }

  private nextFloat(): number {
    if (this.float >= this.batch.floats.length) throw new Error('SkeinSpanProcessor: a span batch ends early');
    return this.batch.floats[this.float++];
  }

  private nextString(): string {
    const index = this.nextInt();
    if (index < this.string && index >= 0) return this.batch.strings[index];
    if (index !== this.string) throw new Error(`SkeinSpanProcessor: a span batch names string ${index} before string ${this.string}`);
    if (index >= this.batch.strings.length) throw new Error('SkeinSpanProcessor: a span batch ends early');
    return this.batch.strings[this.string++];
  }
}
