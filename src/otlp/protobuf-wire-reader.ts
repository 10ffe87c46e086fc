/**
 * The protobuf wire layer under decode-protobuf.ts: protobufjs' Reader plus
 * fixed-width reads through a DataView, int64 varints as number-or-bigint,
 * hex and UTF-8 through Node's Buffer, and error messages that say where in
 * the request (path and byte offset) the bytes stopped making sense.
 */
import protobuf from 'protobufjs/minimal.js';
import { MAX_ANY_VALUE_DEPTH } from './span-rejections.js';
import { OtlpDecodeError } from './otlp-decode-error.js';

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export class WireReader {
  protected readonly buf: Buffer;
  protected readonly view: DataView;
  protected readonly r: protobuf.Reader;
  // Where we are, kept as numbers so the happy path builds no path strings.
  protected depth = 0; // 0 request, 1 resourceSpans, 2 scopeSpans, 3 span
  protected resourceIndex = -1;
  protected scopeIndex = -1;
  protected spanIndex = -1;
  protected tagAt = 0;

  constructor(body: Uint8Array) {
    // A Buffer view (no copy) gives native hex and UTF-8 decoding.
    this.buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.r = protobuf.Reader.create(this.buf);
  }

  /** Reads a length prefix and checks it against the enclosing message; returns the end offset. */
  protected delimited(): number {
    const r = this.r;
    const at = r.pos;
    const length = r.size();
    const end = r.pos + length;
    if (end > r.len) throw this.truncated(at, length, r.len - r.pos);
    return end;
  }

  /** Enters a length-delimited sub-message: the reader's limit becomes its end. Returns the limit to restore. */
  protected enter(): number {
    const end = this.delimited();
    const saved = this.r.len;
    this.r.len = end;
    return saved;
  }

  protected string(): string {
    const end = this.delimited();
    const start = this.r.pos;
    this.r.pos = end;
    return end === start ? '' : this.buf.toString('utf8', start, end);
  }

  protected fixed64(): bigint {
    const r = this.r;
    if (r.pos + 8 > r.len) throw this.truncated(r.pos, 8, r.len - r.pos);
    const value = this.view.getBigUint64(r.pos, true);
    r.pos += 8;
    return value;
  }

  protected fixed32(): number {
    const r = this.r;
    if (r.pos + 4 > r.len) throw this.truncated(r.pos, 4, r.len - r.pos);
    const value = this.view.getUint32(r.pos, true);
    r.pos += 4;
    return value;
  }

  protected double(): number {
    const r = this.r;
    if (r.pos + 8 > r.len) throw this.truncated(r.pos, 8, r.len - r.pos);
    const value = this.view.getFloat64(r.pos, true);
    r.pos += 8;
    return value;
  }

  /** int64 varint: a number when it is a safe integer, else a bigint. */
  protected int64(): number | bigint {
    return this.varint64(true);
  }

  /**
   * A varint read whole as uint64 (a number when safe, else a bigint), for
   * 32-bit fields whose wider values must be seen rather than cut to 32 bits.
   */
  protected uint64(): number | bigint {
    return this.varint64(false);
  }

  private varint64(signed: boolean): number | bigint {
    const r = this.r;
    const buf = this.buf;
    let pos = r.pos;
    // Up to 7 bytes carry 49 bits: always a safe, non-negative number.
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (pos >= r.len) throw this.truncated(r.pos, i + 1, r.len - r.pos);
      const b = buf[pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        r.pos = pos;
        return result;
      }
      scale *= 128;
    }
    pos = r.pos;
    let big = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (pos >= r.len) throw this.truncated(r.pos, i + 1, r.len - r.pos);
      const b = buf[pos++];
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        r.pos = pos;
        const value = signed ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big);
        return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value;
      }
      shift += 7n;
    }
    throw new OtlpDecodeError(`malformed protobuf${this.where()}: varint longer than 10 bytes at byte offset ${r.pos}`);
  }

  protected nextTag(): number {
    this.tagAt = this.r.pos;
    return this.r.tag();
  }

  /** Skips an unknown field whose tag `t` was just read. */
  protected skip(t: number): void {
    const r = this.r;
    const wireType = t & 7;
    const field = t >>> 3;
    const at = this.tagAt;
    if (field === 0 || wireType === 4 || wireType > 5) {
      const problem = field === 0 ? 'field number 0' : `invalid wire type ${wireType} (field ${field})`;
      throw new OtlpDecodeError(`malformed protobuf${this.where()}: the tag at byte offset ${at} has ${problem}`);
    }
    try {
      r.skipType(wireType, 0, field);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new OtlpDecodeError(
        `truncated protobuf${this.where()}: field ${field} at byte offset ${at} runs past the end of its message`,
      );
    }
  }

  protected hex(start: number, length: number): string {
    return this.buf.toString('hex', start, start + length);
  }

  protected allZero(start: number, length: number): boolean {
    for (let i = start; i < start + length; i++) if (this.buf[i] !== 0) return false;
    return true;
  }

  protected idProblem(field: string, start: number, length: number, size: number): string | null {
    if (length !== size) return `${field} must be ${size} bytes, got ${length}`;
    return this.allZero(start, length) ? `${field} is all zeroes` : null;
  }

  // ---- errors ------------------------------------------------------------------

  protected where(): string {
    if (this.depth === 0) return '';
    let path = `resourceSpans[${this.resourceIndex}]`;
    if (this.depth >= 2) path += `.scopeSpans[${this.scopeIndex}]`;
    if (this.depth >= 3) path += `.spans[${this.spanIndex}]`;
    return ` in ${path}`;
  }

  /** `at` is the offset of the value (for length-delimited fields, of its length prefix). */
  protected truncated(at: number, needed: number, available: number): OtlpDecodeError {
    return new OtlpDecodeError(
      `truncated protobuf${this.where()}: the value at byte offset ${at} needs ${needed} bytes ` +
        `but only ${available} remain`,
    );
  }

  protected tooDeep(): OtlpDecodeError {
    return new OtlpDecodeError(
      `attribute value${this.where()} is nested more than ${MAX_ANY_VALUE_DEPTH} levels deep (byte offset ${this.r.pos})`,
    );
  }

  /** Turns what the Reader throws on bad input into an OtlpDecodeError; anything else is a bug and passes through. */
  describe(error: unknown): unknown {
    if (error instanceof OtlpDecodeError) return error;
    if (error instanceof RangeError) {
      return new OtlpDecodeError(`truncated protobuf${this.where()}: at byte offset ${this.r.pos}: ${error.message}`);
    }
    if (error instanceof Error && error.constructor === Error) {
      const reason = error.message.replace(/ at offset \d+$/, '');
      return new OtlpDecodeError(`malformed protobuf${this.where()} at byte offset ${this.r.pos}: ${reason}`);
    }
    return error;
  }
}
