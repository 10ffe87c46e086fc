/**
 * What every OTLP protobuf request Skein writes shares (traces, logs,
 * metrics): the Resource/Scope envelope, KeyValue and AnyValue, and exact
 * 64-bit integers, written with protobufjs' `Writer` (field numbers from
 * test/oracle/otlp/proto/). Proto3 defaults are omitted, except inside
 * AnyValue, whose oneof has presence: `stringValue: ""` and `intValue: 0`
 * are written.
 */
import protobuf from 'protobufjs/minimal.js';
import type { AttributeValue, Attributes, InstrumentationScope, SpanResource } from '../model/types.js';
import { type ScopedItem, groupSpans } from './span-groups.js';

export type Writer = protobuf.Writer;

export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;
export const tag = (field: number, wireType: number): number => (field << 3) | wireType;
const MIN_INT64 = -(1n << 63n);
const MAX_INT64 = (1n << 63n) - 1n;

/** A request: `items` grouped into Resource… (field 1) → Scope… (field 2) → items (field 2), as all three signals nest. */
export function encodeGrouped<T extends ScopedItem>(items: readonly T[], writeItem: (w: Writer, item: T) => void): Uint8Array {
  const w = protobuf.Writer.create();
  for (const group of groupSpans(items)) {
    w.uint32(tag(1, LEN)).fork();
    writeResource(w, group.resource);
    for (const scopeGroup of group.scopes) {
      w.uint32(tag(2, LEN)).fork();
      writeScope(w, scopeGroup.scope);
      for (const item of scopeGroup.items) {
        w.uint32(tag(2, LEN)).fork();
        writeItem(w, item);
        w.ldelim();
      }
      if (scopeGroup.scope.schemaUrl !== '') w.uint32(tag(3, LEN)).string(scopeGroup.scope.schemaUrl);
      w.ldelim();
    }
    if (group.resource.schemaUrl !== '') w.uint32(tag(3, LEN)).string(group.resource.schemaUrl);
    w.ldelim();
  }
  return w.finish();
}

function writeResource(w: Writer, resource: SpanResource): void {
  if (isEmpty(resource.attributes) && resource.droppedAttributesCount === 0) return;
  w.uint32(tag(1, LEN)).fork();
  writeAttributes(w, 1, resource.attributes);
  if (resource.droppedAttributesCount !== 0) w.uint32(tag(2, VARINT)).uint32(resource.droppedAttributesCount);
  w.ldelim();
}

function writeScope(w: Writer, scope: InstrumentationScope): void {
  if (scope.name === '' && scope.version === '' && isEmpty(scope.attributes) && scope.droppedAttributesCount === 0) {
    return;
  }
  w.uint32(tag(1, LEN)).fork();
  if (scope.name !== '') w.uint32(tag(1, LEN)).string(scope.name);
  if (scope.version !== '') w.uint32(tag(2, LEN)).string(scope.version);
  writeAttributes(w, 3, scope.attributes);
  if (scope.droppedAttributesCount !== 0) w.uint32(tag(4, VARINT)).uint32(scope.droppedAttributesCount);
  w.ldelim();
}

/** fixed64 (and sfixed64: two's complement) is little-endian: low word first. */
export function writeFixed64(w: Writer, field: number, value: bigint): void {
  w.uint32(tag(field, I64))
    .fixed32(Number(value & 0xffffffffn))
    .fixed32(Number((value >> 32n) & 0xffffffffn));
}

/**
 * A 64-bit integer as the `{ low, high }` pair protobufjs' writer reads off a
 * Long: every bit exact, whether or not the `long` package is loaded.
 */
export function long(value: bigint): protobuf.Long {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned: value >= 0n } as protobuf.Long;
}

/** A bytes id from lowercase hex. */
export function writeHexBytes(w: Writer, field: number, hex: string): void {
  w.uint32(tag(field, LEN)).bytes(Buffer.from(hex, 'hex'));
}

export function writeAttributes(w: Writer, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    w.uint32(tag(field, LEN)).fork();
    if (key !== '') w.uint32(tag(1, LEN)).string(key);
    writeAnyValue(w, 2, attributes[key]);
    w.ldelim();
  }
}

/** An AnyValue at `field`; null is an AnyValue with nothing set. */
export function writeAnyValue(w: Writer, field: number, value: AttributeValue): void {
  w.uint32(tag(field, LEN)).fork();
  if (typeof value === 'string') w.uint32(tag(1, LEN)).string(value);
  else if (typeof value === 'boolean') w.uint32(tag(2, VARINT)).bool(value);
  else if (typeof value === 'number') {
    // An integral number is an intValue: JS cannot tell 3 from 3.0 (see encode.ts).
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) w.uint32(tag(3, VARINT)).int64(value);
    else w.uint32(tag(4, I64)).double(value);
  } else if (typeof value === 'bigint') {
    // bigints come from int64; one outside int64 can only be sent as the nearest double.
    if (value >= MIN_INT64 && value <= MAX_INT64) w.uint32(tag(3, VARINT)).int64(long(value));
    else w.uint32(tag(4, I64)).double(Number(value));
  } else if (value instanceof Uint8Array) w.uint32(tag(7, LEN)).bytes(value);
  else if (Array.isArray(value)) {
    w.uint32(tag(5, LEN)).fork();
    for (const item of value) writeAnyValue(w, 1, item);
    w.ldelim();
  } else if (value !== null) {
    w.uint32(tag(6, LEN)).fork();
    writeAttributes(w, 1, value);
    w.ldelim();
  }
  w.ldelim();
}

function isEmpty(attributes: Attributes): boolean {
  for (const _key in attributes) return false;
  return true;
}
