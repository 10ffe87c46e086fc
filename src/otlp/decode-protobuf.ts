/**
 * OTLP/HTTP binary protobuf → RawSpan[], straight from the bytes.
 *
 * Measured against protobufjs static code generated from the same .proto files
 * (bench/otlp-decode.ts): building the message objects first and flattening
 * them afterwards costs more than reading each field into its final place, so
 * this decoder walks the wire format with protobufjs' `Reader` and writes rows
 * directly. Field numbers are those of opentelemetry-proto (test/oracle/otlp/proto/);
 * the generated code is the test oracle that keeps them honest.
 *
 * Unknown fields, and known fields sent with another wire type, are skipped as
 * protobuf requires. Strings are decoded leniently (invalid UTF-8 becomes
 * U+FFFD) rather than refusing the whole request.
 */
import type {
  Attributes,
  InstrumentationScope,
  RawSpan,
  SpanEvent,
  SpanLink,
  SpanResource,
} from '../model/types.js';
import type { DecodedTraces } from './otlp-decode-error.js';
import { LEN, OtlpWireReader, tag } from './protobuf-otlp-reader.js';
import {
  SpanRejections,
  sessionIdProblem,
  spanKindProblem,
  spanPath,
  statusCodeProblem,
  timeProblem,
  uint32Problem,
} from './span-rejections.js';


const PLACEHOLDER_RESOURCE: SpanResource = Object.freeze({ attributes: {}, droppedAttributesCount: 0, schemaUrl: '' });
const PLACEHOLDER_SCOPE: InstrumentationScope = Object.freeze({
  name: '',
  version: '',
  attributes: {},
  droppedAttributesCount: 0,
  schemaUrl: '',
});


export function decodeProtobufTraceRequest(body: Uint8Array): DecodedTraces {
  const decoder = new ProtobufTraceDecoder(body);
  try {
    decoder.request();
  } catch (error) {
    throw decoder.describe(error);
  }
  return {
    spans: decoder.spans,
    rejectedSpans: decoder.rejections.count,
    rejectionMessage: decoder.rejections.message(),
  };
}

class ProtobufTraceDecoder extends OtlpWireReader {
  readonly spans: RawSpan[] = [];
  readonly rejections = new SpanRejections();
  request(): void {
    const r = this.r;
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(1, LEN)) {
        this.resourceIndex++;
        const saved = this.enter();
        this.depth = 1;
        this.resourceSpans();
        this.depth = 0;
        r.len = saved;
      } else this.skip(t);
    }
  }

  private resourceSpans(): void {
    const r = this.r;
    const first = this.spans.length;
    let fields: { attributes: Attributes; droppedAttributesCount: number } = { attributes: {}, droppedAttributesCount: 0 };
    let schemaUrl = '';
    this.scopeIndex = -1;
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(2, LEN)) {
        this.scopeIndex++;
        const saved = this.enter();
        this.depth = 2;
        this.scopeSpans();
        this.depth = 1;
        r.len = saved;
      } else if (t === tag(1, LEN)) fields = this.resource();
      else if (t === tag(3, LEN)) schemaUrl = this.string();
      else this.skip(t);
    }
    if (this.spans.length === first) return;
    const resource: SpanResource = { ...fields, schemaUrl };
    for (let i = first; i < this.spans.length; i++) this.spans[i].resource = resource;
  }

  private scopeSpans(): void {
    const r = this.r;
    const first = this.spans.length;
    let scope: InstrumentationScope | null = null;
    let schemaUrl = '';
    this.spanIndex = -1;
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(2, LEN)) {
        this.spanIndex++;
        const saved = this.enter();
        this.depth = 3;
        this.span();
        this.depth = 2;
        r.len = saved;
      } else if (t === tag(1, LEN)) scope = this.scope('');
      else if (t === tag(3, LEN)) schemaUrl = this.string();
      else this.skip(t);
    }
    if (this.spans.length === first) return;
    const whole: InstrumentationScope = scope === null ? { ...PLACEHOLDER_SCOPE, attributes: {}, schemaUrl } : { ...scope, schemaUrl };
    for (let i = first; i < this.spans.length; i++) this.spans[i].scope = whole;
  }

  private span(): void {
    const r = this.r;
    let traceStart = 0;
    let traceLength = 0;
    let spanStart = 0;
    let spanLength = 0;
    let parentStart = 0;
    let parentLength = 0;
    let traceState = '';
    let flags = 0;
    let name = '';
    let kind: number | bigint = 0;
    let startTimeUnixNano = 0n;
    let endTimeUnixNano = 0n;
    const attributes: Attributes = {};
    let droppedAttributesCount: number | bigint = 0;
    const events: SpanEvent[] = [];
    let droppedEventsCount: number | bigint = 0;
    const links: SpanLink[] = [];
    let droppedLinksCount: number | bigint = 0;
    let statusCode: number | bigint = 0;
    let statusMessage = '';
    let badLink: string | null = null;
    let badEvent: string | null = null;
    while (r.pos < r.len) {
      const t = this.nextTag();
      switch (t) {
        case tag(1, LEN): {
          const end = this.delimited();
          traceStart = r.pos;
          traceLength = end - r.pos;
          r.pos = end;
          break;
        }
        case tag(2, LEN): {
          const end = this.delimited();
          spanStart = r.pos;
          spanLength = end - r.pos;
          r.pos = end;
          break;
        }
        case tag(3, LEN):
          traceState = this.string();
          break;
        case tag(4, LEN): {
          const end = this.delimited();
          parentStart = r.pos;
          parentLength = end - r.pos;
          r.pos = end;
          break;
        }
        case tag(5, LEN):
          name = this.string();
          break;
        case tag(6, 0):
          // Read whole, not cut to 32 bits: 2^63 must not pass as kind 0.
          kind = this.int64();
          break;
        case tag(7, 1):
          startTimeUnixNano = this.fixed64();
          break;
        case tag(8, 1):
          endTimeUnixNano = this.fixed64();
          break;
        case tag(9, LEN):
          this.keyValue(attributes);
          break;
        case tag(10, 0):
          droppedAttributesCount = this.uint64();
          break;
        case tag(11, LEN): {
          const event = this.event(events.length);
          if (typeof event === 'string') badEvent ??= event;
          else events.push(event);
          break;
        }
        case tag(12, 0):
          droppedEventsCount = this.uint64();
          break;
        case tag(13, LEN): {
          const link = this.link(links.length);
          if (typeof link === 'string') badLink ??= link;
          else links.push(link);
          break;
        }
        case tag(14, 0):
          droppedLinksCount = this.uint64();
          break;
        case tag(15, LEN): {
          const saved = this.enter();
          while (r.pos < r.len) {
            const st = this.nextTag();
            if (st === tag(2, LEN)) statusMessage = this.string();
            else if (st === tag(3, 0)) statusCode = this.int64();
            else this.skip(st);
          }
          r.len = saved;
          break;
        }
        case tag(16, 5):
          flags = this.fixed32();
          break;
        default:
          this.skip(t);
      }
    }
    const path = (): string => spanPath(this.resourceIndex, this.scopeIndex, this.spanIndex);
    const reason =
      this.idProblem('traceId', traceStart, traceLength, 16) ??
      this.idProblem('spanId', spanStart, spanLength, 8) ??
      (parentLength !== 0 && parentLength !== 8 ? `parentSpanId must be empty or 8 bytes, got ${parentLength}` : null) ??
      badLink ??
      spanKindProblem(kind) ??
      statusCodeProblem(statusCode) ??
      timeProblem('startTimeUnixNano', startTimeUnixNano) ??
      timeProblem('endTimeUnixNano', endTimeUnixNano) ??
      badEvent ??
      uint32Problem('droppedAttributesCount', droppedAttributesCount) ??
      uint32Problem('droppedEventsCount', droppedEventsCount) ??
      uint32Problem('droppedLinksCount', droppedLinksCount) ??
      sessionIdProblem(attributes);
    if (reason !== null) {
      this.rejections.reject(path(), reason);
      return;
    }
    this.spans.push({
      traceId: this.hex(traceStart, traceLength),
      spanId: this.hex(spanStart, spanLength),
      // An all-zero parent is how some converters spell "no parent".
      parentSpanId:
        parentLength === 0 || this.allZero(parentStart, parentLength) ? null : this.hex(parentStart, parentLength),
      traceState,
      flags,
      name,
      kind: kind as RawSpan['kind'],
      startTimeUnixNano,
      // OTLP has no "still open": a zero end time means none was recorded.
      endTimeUnixNano: endTimeUnixNano === 0n ? null : endTimeUnixNano,
      attributes,
      droppedAttributesCount: droppedAttributesCount as number,
      events,
      droppedEventsCount: droppedEventsCount as number,
      links,
      droppedLinksCount: droppedLinksCount as number,
      statusCode: statusCode as RawSpan['statusCode'],
      statusMessage,
      resource: PLACEHOLDER_RESOURCE,
      scope: PLACEHOLDER_SCOPE,
    });
  }

  /** An event, or why it makes its span unkeepable. */
  private event(index: number): SpanEvent | string {
    const r = this.r;
    const saved = this.enter();
    let timeUnixNano = 0n;
    let name = '';
    const attributes: Attributes = {};
    let droppedAttributesCount: number | bigint = 0;
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(1, 1)) timeUnixNano = this.fixed64();
      else if (t === tag(2, LEN)) name = this.string();
      else if (t === tag(3, LEN)) this.keyValue(attributes);
      else if (t === tag(4, 0)) droppedAttributesCount = this.uint64();
      else this.skip(t);
    }
    r.len = saved;
    const problem =
      timeProblem(`events[${index}].timeUnixNano`, timeUnixNano) ??
      uint32Problem(`events[${index}].droppedAttributesCount`, droppedAttributesCount);
    if (problem !== null) return problem;
    return { name, timeUnixNano, attributes, droppedAttributesCount: droppedAttributesCount as number };
  }

  /** A link, or why it makes its span unkeepable. */
  private link(index: number): SpanLink | string {
    const r = this.r;
    const saved = this.enter();
    let traceStart = 0;
    let traceLength = 0;
    let spanStart = 0;
    let spanLength = 0;
    let traceState = '';
    const attributes: Attributes = {};
    let droppedAttributesCount: number | bigint = 0;
    let flags = 0;
    while (r.pos < r.len) {
      const t = this.nextTag();
      if (t === tag(1, LEN) || t === tag(2, LEN)) {
        const end = this.delimited();
        if (t === tag(1, LEN)) {
          traceStart = r.pos;
          traceLength = end - r.pos;
        } else {
          spanStart = r.pos;
          spanLength = end - r.pos;
        }
        r.pos = end;
      } else if (t === tag(3, LEN)) traceState = this.string();
      else if (t === tag(4, LEN)) this.keyValue(attributes);
      else if (t === tag(5, 0)) droppedAttributesCount = this.uint64();
      else if (t === tag(6, 5)) flags = this.fixed32();
      else this.skip(t);
    }
    r.len = saved;
    const problem =
      this.idProblem('traceId', traceStart, traceLength, 16) ??
      this.idProblem('spanId', spanStart, spanLength, 8) ??
      uint32Problem('droppedAttributesCount', droppedAttributesCount);
    if (problem !== null) return `links[${index}].${problem}`;
    return {
      traceId: this.hex(traceStart, traceLength),
      spanId: this.hex(spanStart, spanLength),
      traceState,
      attributes,
      droppedAttributesCount: droppedAttributesCount as number,
      flags,
    };
  }

}
