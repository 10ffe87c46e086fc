/**
 * What the generated (protobufjs) decoder reads, in Skein's in-memory shapes,
 * so an encoder's bytes can be compared with its input value for value.
 */
import type { AttributeValue, Attributes, InstrumentationScope, SpanResource } from '../../src/model/types.js';
import type { opentelemetry } from '../oracle/otlp/generated/otlp.js';

type OracleAnyValue = opentelemetry.proto.common.v1.IAnyValue;
type OracleKeyValue = opentelemetry.proto.common.v1.IKeyValue;

/** A Long (or number) the oracle gave back, as an exact bigint. */
export function big(value: unknown): bigint {
  if (value === null || value === undefined) return 0n;
  return BigInt(String(value as number));
}

/** An oracle int64 as Skein holds it: a number when it is a safe integer, else a bigint. */
function int(value: unknown): number | bigint {
  const n = big(value);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

export function anyValue(value: OracleAnyValue | null | undefined): AttributeValue {
  if (value === null || value === undefined) return null;
  const kind = (value as { value?: string }).value;
  switch (kind) {
    case 'stringValue':
      return value.stringValue!;
    case 'boolValue':
      return value.boolValue!;
    case 'intValue':
      return int(value.intValue);
    case 'doubleValue':
      return value.doubleValue!;
    case 'bytesValue':
      return new Uint8Array(value.bytesValue!);
    case 'arrayValue':
      return (value.arrayValue?.values ?? []).map(anyValue);
    case 'kvlistValue':
      return attributes(value.kvlistValue?.values);
    default:
      return null;
  }
}

export function attributes(list: OracleKeyValue[] | null | undefined): Attributes {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key ?? '', anyValue(kv.value)]));
}

export function resource(
  value: opentelemetry.proto.resource.v1.IResource | null | undefined,
  schemaUrl: string | null | undefined,
): SpanResource {
  return {
    attributes: attributes(value?.attributes),
    droppedAttributesCount: value?.droppedAttributesCount ?? 0,
    schemaUrl: schemaUrl ?? '',
  };
}

export function scope(
  value: opentelemetry.proto.common.v1.IInstrumentationScope | null | undefined,
  schemaUrl: string | null | undefined,
): InstrumentationScope {
  return {
    name: value?.name ?? '',
    version: value?.version ?? '',
    attributes: attributes(value?.attributes),
    droppedAttributesCount: value?.droppedAttributesCount ?? 0,
    schemaUrl: schemaUrl ?? '',
  };
}

export const hex = (bytes: Uint8Array | null | undefined): string | null =>
  bytes === null || bytes === undefined || bytes.length === 0 ? null : Buffer.from(bytes).toString('hex');
