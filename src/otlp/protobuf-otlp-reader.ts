/**
 * The OTLP messages every signal shares, read from the wire: KeyValue,
 * AnyValue (to MAX_ANY_VALUE_DEPTH), Resource and InstrumentationScope, plus
 * the scalar and packed-repeated reads the metrics messages need. The trace,
 * logs and metrics decoders extend this class, so each message is read by one
 * piece of code. Field numbers are opentelemetry-proto's common/v1 and
 * resource/v1 (test/oracle/otlp/proto/).
 */
import type { AttributeValue, Attributes, InstrumentationScope } from '../model/types.js';
import { setAttribute } from './attributes.js';
import { OtlpDecodeError } from './otlp-decode-error.js';
import { WireReader } from './protobuf-wire-reader.js';
import { MAX_ANY_VALUE_DEPTH, uint32Problem } from './span-rejections.js';

// Tags are (field number << 3) | wire type; 2 = length-delimited, 0 = varint, 1 = 64-bit, 5 = 32-bit.
export const LEN = 2;
export const tag = (field: number, wireType: number): number => (field << 3) | wireType;

/** A Resource message's content; the schema URL lives on its parent. */
export interface ResourceFields {
  attributes: Attributes;
  droppedAttributesCount: number;
}

export class OtlpWireReader extends WireReader {
  /** A `Resource` message (the tag was just read). */
  protected resource(): ResourceFields {
    const r = this.r;
    const attributes: Attributes = {};
    let droppedAttributesCount = 0;
    const saved = this.enter();
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(1, LEN)) this.keyValue(attributes);
      else if (t === tag(2, 0)) droppedAttributesCount = this.uint32Field('resource.droppedAttributesCount');
      else this.skip(t); // entity_refs (development status) has no place in the rows yet
    }
    r.len = saved;
    return { attributes, droppedAttributesCount };
  }

  /** An `InstrumentationScope` message (the tag was just read); `schemaUrl` is its parent's. */
  protected scope(schemaUrl: string): InstrumentationScope {
    const r = this.r;
    let name = '';
    let version = '';
    const attributes: Attributes = {};
    let droppedAttributesCount = 0;
    const saved = this.enter();
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(1, LEN)) name = this.string();
      else if (t === tag(2, LEN)) version = this.string();
      else if (t === tag(3, LEN)) this.keyValue(attributes);
      else if (t === tag(4, 0)) droppedAttributesCount = this.uint32Field('scope.droppedAttributesCount');
      else this.skip(t);
    }
    r.len = saved;
    return { name, version, attributes, droppedAttributesCount, schemaUrl };
  }

  /** sfixed64 (a metric's `as_int`), exactly. */
  protected sfixed64(): bigint {
    const r = this.r;
    if (r.pos + 8 > r.len) throw this.truncated(r.pos, 8, r.len - r.pos);
    const value = this.view.getBigInt64(r.pos, true);
    r.pos += 8;
    return value;
  }

  /** sint32 (zigzag varint): a bigint-wide value outside 32 bits is a malformed request. */
  protected sint32(field: string): number {
    const at = this.r.pos;
    const raw = this.uint64();
    const n = BigInt(raw);
    const value = n & 1n ? -((n + 1n) >> 1n) : n >> 1n;
    if (value < -(1n << 31n) || value >= 1n << 31n) {
      throw new OtlpDecodeError(`malformed protobuf${this.where()} at byte offset ${at}: ${field} ${value} is not a 32-bit integer`);
    }
    return Number(value);
  }

  /**
   * A repeated scalar (`t` just read): packed (length-delimited, elements
   * until its end) or one element, each read by `element`.
   */
  protected repeated<T>(t: number, into: T[], element: () => T): void {
    if ((t & 7) !== LEN) {
      into.push(element());
      return;
    }
    const saved = this.enter();
    while (this.r.pos < this.r.len) into.push(element());
    this.r.len = saved;
  }

  /** Element readers for `repeated`: fixed64 and uint64 varints exactly, as bigints; doubles as numbers. */
  protected readonly readFixed64 = (): bigint => this.fixed64();
  protected readonly readDouble = (): number => this.double();
  protected readonly readUint64 = (): bigint => BigInt(this.uint64());

  /** A uint32 outside any span (resource, scope): too wide a value is a malformed request, as in OTLP/JSON. */
  protected uint32Field(field: string): number {
    const at = this.r.pos;
    const value = this.uint64();
    const problem = uint32Problem(field, value);
    if (problem !== null) throw new OtlpDecodeError(`malformed protobuf${this.where()} at byte offset ${at}: ${problem}`);
    return value as number;
  }

  /** One KeyValue message into `target`. */
  protected keyValue(target: Attributes): void {
    const r = this.r;
    const saved = this.enter();
    let key = '';
    let value: AttributeValue = null;
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(1, LEN)) key = this.string();
      else if (t === tag(2, LEN)) value = this.anyValue(1);
      else this.skip(t);
    }
    r.len = saved;
    setAttribute(target, key, value);
  }

  protected anyValue(depth: number): AttributeValue {
    if (depth > MAX_ANY_VALUE_DEPTH) throw this.tooDeep();
    const r = this.r;
    const saved = this.enter();
    // A oneof: the last member on the wire wins.
    let value: AttributeValue = null;
    while (r.pos < r.len) {
      const t = this.nextTag();
      switch (t) {
        case tag(1, LEN):
          value = this.string();
          break;
        case tag(2, 0):
          value = r.bool();
          break;
        case tag(3, 0):
          value = this.int64();
          break;
        case tag(4, 1):
          value = this.double();
          break;
        case tag(5, LEN): {
          const values: AttributeValue[] = [];
          const inner = this.enter();
          while (r.pos < r.len) {
            const at = this.nextTag();
            if (at === tag(1, LEN)) values.push(this.anyValue(depth + 1));
            else this.skip(at);
          }
          r.len = inner;
          value = values;
          break;
        }
        case tag(6, LEN): {
          const object: Attributes = {};
          const inner = this.enter();
          while (r.pos < r.len) {
            const kt = this.nextTag();
            if (kt === tag(1, LEN)) this.nestedKeyValue(object, depth + 1);
            else this.skip(kt);
          }
          r.len = inner;
          value = object;
          break;
        }
        case tag(7, LEN): {
          const end = this.delimited();
          value = new Uint8Array(this.buf.subarray(r.pos, end)); // a copy: never pin the request body
          r.pos = end;
          break;
        }
        default:
          this.skip(t);
      }
    }
    r.len = saved;
    return value;
  }

  protected nestedKeyValue(target: Attributes, depth: number): void {
    const r = this.r;
    const saved = this.enter();
    let key = '';
    let value: AttributeValue = null;
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(1, LEN)) key = this.string();
      else if (t === tag(2, LEN)) value = this.anyValue(depth);
      else this.skip(t);
    }
    r.len = saved;
    setAttribute(target, key, value);
  }

}
