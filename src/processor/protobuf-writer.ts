/**
 * A protobuf writer for the app thread's hot path (`SpanProtobufEncoder`):
 * bytes go straight into one growable buffer, with no operation objects per
 * field as protobufjs' `Writer` builds. A nested message's length is written
 * in front of it by reserving the bytes its varint will probably need and
 * moving the message when the guess was wrong (`begin`/`end`), so the output
 * is canonical protobuf: every length in its shortest varint, byte for byte
 * what Skein's own encoder (src/otlp/encode-protobuf.ts) writes.
 */

const INITIAL_BYTES = 1 << 16;
const TWO_32 = 4294967296;
/** Below this many UTF-16 units a string is written by the JS loop; above, by Buffer's native UTF-8 writer. */
const NATIVE_STRING_FROM = 48;
/** Up to this many bytes, `raw` copies in a JS loop. */
const RAW_LOOP_UP_TO = 16;

/**
 * Node's own UTF-8 writer without `Buffer#write`'s argument juggling
 * (undocumented, but what `write` calls, in every Node release since 0.x).
 */
export function utf8Write(buffer: Buffer, value: string, offset: number): number {
  return (buffer as unknown as { utf8Write(value: string, offset: number): number }).utf8Write(value, offset);
}

/** Bytes of `value`'s varint (an unsigned integer below 2^53). */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return value < TWO_32 * 8 ? 5 : 1 + varintSize(Math.floor(value / 128));
}

export class ProtobufWriter {
  buf: Buffer;
  pos = 0;
  private view: DataView;

  constructor(initialBytes = INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafeSlow(initialBytes);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Makes room for `more` bytes after `pos`. */
  ensure(more: number): void {
    if (this.pos + more > this.buf.length) this.grow(more);
  }

  private grow(more: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + more) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  /** Starts over, keeping the buffer. */
  reset(): void {
    this.pos = 0;
  }

  /** Starts over in `buffer` (the old one is someone else's now). */
  adopt(buffer: Buffer): void {
    this.buf = buffer;
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.pos = 0;
  }

  /** One byte (a tag below 128, a bool), room already made. */
  byte(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  /** An unsigned integer below 2^53. */
  varint(value: number): void {
    this.ensure(10);
    if (value < TWO_32) {
      this.varint32(value >>> 0);
      return;
    }
    const lo = value % TWO_32;
    this.varint64(lo >>> 0, ((value - lo) / TWO_32) >>> 0);
  }

  /** protobufjs' `uint32`: the value as an unsigned 32-bit integer. */
  uint32(value: number): void {
    this.ensure(5);
    this.varint32(value >>> 0);
  }

  /** protobufjs' `int32`: negative values take ten bytes (sign-extended to 64 bits). */
  int32(value: number): void {
    const v = value | 0;
    this.ensure(10);
    if (v >= 0) this.varint32(v);
    else this.varint64(v >>> 0, 0xffffffff);
  }

  /** An int64 from a safe integer (protobufjs' `LongBits.fromNumber`: two's complement). */
  int64(value: number): void {
    this.ensure(10);
    if (value >= 0 && value < TWO_32) {
      this.varint32(value);
      return;
    }
    const negative = value < 0;
    const magnitude = negative ? -value : value;
    let lo = magnitude >>> 0;
    let hi = ((magnitude - lo) / TWO_32) >>> 0;
    if (negative) {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
      if (++lo > 0xffffffff) {
        lo = 0;
        if (++hi > 0xffffffff) hi = 0;
      }
    }
    this.varint64(lo, hi);
  }

  /** An int64 from a bigint within its range. */
  int64Big(value: bigint): void {
    const bits = BigInt.asUintN(64, value);
    this.ensure(10);
    this.varint64(Number(bits & 0xffffffffn), Number(bits >> 32n));
  }

  fixed32(value: number): void {
    this.ensure(4);
    const b = this.buf;
    let p = this.pos;
    b[p++] = value & 0xff;
    b[p++] = (value >>> 8) & 0xff;
    b[p++] = (value >>> 16) & 0xff;
    b[p++] = value >>> 24;
    this.pos = p;
  }

  /** A fixed64 from its low and high 32-bit words (unsigned). */
  fixed64(lo: number, hi: number): void {
    this.fixed32(lo);
    this.fixed32(hi);
  }

  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** Bytes as they are (no length); a short run copied byte by byte, cheaper than a native call. */
  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    if (n <= RAW_LOOP_UP_TO) {
      for (let i = 0; i < n; i++) b[p++] = bytes[i];
    } else {
      b.set(bytes, p);
      p += n;
    }
    this.pos = p;
  }

  /** Length-prefixed bytes. */
  bytes(value: Uint8Array): void {
    const n = value.length;
    this.ensure(5 + n);
    this.varint32(n);
    this.buf.set(value, this.pos);
    this.pos += n;
  }

  /**
   * A length-prefixed UTF-8 string (lone surrogates become U+FFFD, as Node
   * writes them). The prefix is written for one byte per character and the
   * bytes moved in the rare case non-ASCII text crosses a varint boundary.
   */
  string(value: string): void {
    const n = value.length;
    const guess = varintSize(n);
    this.ensure(guess + 3 * n);
    const start = this.pos + guess;
    const written = n === 0 ? 0 : n < NATIVE_STRING_FROM ? this.utf8(value, start) : utf8Write(this.buf, value, start);
    this.prefixLength(start, guess, written);
  }

  /** Hex (an id) as length-prefixed bytes, as `Buffer.from(hex, 'hex')` reads it. */
  hexBytes(hex: string): void {
    const n = hex.length;
    this.ensure(2 + (n >> 1));
    const b = this.buf;
    let p = this.pos + 1;
    if (n < 256 && (n & 1) === 0) {
      for (let i = 0; i < n; i += 2) {
        const high = hexDigit(hex.charCodeAt(i));
        const low = hexDigit(hex.charCodeAt(i + 1));
        if ((high | low) < 0) {
          p = -1;
          break;
        }
        b[p++] = (high << 4) | low;
      }
      if (p !== -1) {
        b[this.pos] = n >> 1;
        this.pos = p;
        return;
      }
    }
    // Not plain hex (an id of the app's own making): read as the SDK's exporters read it.
    this.bytes(Buffer.from(hex, 'hex'));
  }

  /**
   * Starts a nested message (after its tag): reserves `reserve` bytes for its
   * length and returns where its content starts, for `end`.
   */
  begin(reserve: number): number {
    this.ensure(reserve);
    this.pos += reserve;
    return this.pos;
  }

  /** Ends the nested message `begin` started with the same `reserve`: writes its length, moving it if needed. */
  end(start: number, reserve: number): void {
    const length = this.pos - start;
    this.prefixLength(start, reserve, length);
  }

  /** The bytes `[start, pos)` were written `reserve` bytes after their prefix's place: writes the prefix and moves them if its size differs. */
  private prefixLength(start: number, reserve: number, length: number): void {
    const size = varintSize(length);
    const at = start - reserve;
    if (size !== reserve) {
      this.pos = start + length;
      if (size > reserve) this.ensure(size - reserve);
      this.buf.copyWithin(at + size, start, start + length);
    }
    this.pos = at;
    this.varint32(length);
    this.pos += length;
  }

  private varint32(value: number): void {
    const b = this.buf;
    let p = this.pos;
    while (value > 127) {
      b[p++] = (value & 127) | 128;
      value >>>= 7;
    }
    b[p++] = value;
    this.pos = p;
  }

  private varint64(lo: number, hi: number): void {
    const b = this.buf;
    let p = this.pos;
    while (hi !== 0) {
      b[p++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      b[p++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    b[p++] = lo;
    this.pos = p;
  }

  /** UTF-8 of a short string at `at`; returns the bytes written. */
  private utf8(value: string, at: number): number {
    const b = this.buf;
    let p = at;
    const n = value.length;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x80) {
        b[p++] = c;
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 63);
      } else if (c < 0xd800 || c >= 0xe000) {
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 63);
        b[p++] = 0x80 | (c & 63);
      } else {
        const next = i + 1 < n ? value.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
          const point = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          b[p++] = 0xf0 | (point >> 18);
          b[p++] = 0x80 | ((point >> 12) & 63);
          b[p++] = 0x80 | ((point >> 6) & 63);
          b[p++] = 0x80 | (point & 63);
          i++;
        } else {
          // A lone surrogate: U+FFFD.
          b[p++] = 0xef;
          b[p++] = 0xbf;
          b[p++] = 0xbd;
        }
      }
    }
    return p - at;
  }
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
