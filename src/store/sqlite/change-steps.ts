/**
 * The step list of a `steps` change-feed row (migration 009): one session's
 * step events of one write transaction, in feed order, as a few bytes each
 * instead of a row each.
 *
 * An entry names the span by its rowid in `spans` (delta-coded against the
 * previous entry, so a batch's freshly inserted spans cost one byte) plus a
 * 32-bit check of its trace and span ids: rowids of deleted spans can be
 * reused by later inserts, and the check tells such a newcomer from the span
 * the event was about. Kinds: a start, an end, or both (`COMPLETED`: a step
 * first seen already ended, two events).
 */

export const STARTED = 0;
export const ENDED = 1;
export const COMPLETED = 2;
export type StepEntryKind = typeof STARTED | typeof ENDED | typeof COMPLETED;

export interface StepEntry {
  kind: StepEntryKind;
  rowid: number;
  check: number;
}

/** How many feed events an entry stands for. */
export const eventsOf = (kind: StepEntryKind): number => (kind === COMPLETED ? 2 : 1);

/** FNV-1a over `traceId/spanId`, as an unsigned 32-bit integer. */
export function stepCheck(traceId: string, spanId: string): number {
  // Loops rather than a closure over `hash`: this runs for every step written.
  let hash = 0x811c9dc5;
  for (let i = 0; i < traceId.length; i++) hash = Math.imul(hash ^ traceId.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ 0x2f, 0x01000193);
  for (let i = 0; i < spanId.length; i++) hash = Math.imul(hash ^ spanId.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export function encodeSteps(entries: readonly StepEntry[]): Buffer {
  const out = Buffer.allocUnsafe(entries.length * 14);
  let at = 0;
  let previous = 0;
  for (const { kind, rowid, check } of entries) {
    const delta = rowid - previous;
    previous = rowid;
    // Zigzag, in plain arithmetic: rowids go past 32 bits.
    let value = (delta >= 0 ? delta * 2 : -delta * 2 - 1) * 4 + kind;
    while (value >= 0x80) {
      out[at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    out[at++] = value;
    out.writeUInt32LE(check, at);
    at += 4;
  }
  return out.subarray(0, at);
}

export function decodeSteps(bytes: Uint8Array): StepEntry[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: StepEntry[] = [];
  let at = 0;
  let previous = 0;
  while (at < view.length) {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = view[at++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 0x80;
    }
    const kind = (value % 4) as StepEntryKind;
    const zigzag = Math.floor(value / 4);
    const delta = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
    const rowid = previous + delta;
    previous = rowid;
    entries.push({ kind, rowid, check: view.readUInt32LE(at) });
    at += 4;
  }
  return entries;
}
