import type Long from 'long';

/**
 * 64-bit values for the generated (protobufjs) encoder, exactly: its writer
 * reads `{ low, high }` off a Long, so a plain object with those carries every
 * bit without the `long` package being a dependency.
 */
export function long(value: bigint): Long {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned: value >= 0n } as unknown as Long;
}
