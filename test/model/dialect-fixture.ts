/** Loads a dialect fixture (test/fixtures/dialects/*.json) into RawSpans and the records they should normalize to. */

import { readFileSync } from 'node:fs';
import type { Attributes, RawSpan, SpanKindNumber, SpanRecord, StatusCodeNumber } from '../../src/model/types.js';

type Expected = Omit<SpanRecord, 'traceId' | 'spanId' | 'parentSpanId' | 'name' | 'startTimeUnixNano' | 'endTimeUnixNano' | 'statusCode' | 'statusMessage' | 'counts' | 'raw' | 'input' | 'output' | 'reasoning'> & {
  input: string | null;
  output: string | null;
  reasoning: string | null;
};

interface FixtureSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: SpanKindNumber;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status?: { code: StatusCodeNumber; message: string };
  attributes: Attributes;
  events?: { name: string; timeUnixNano: string; attributes: Attributes }[];
  expected: Expected;
}

interface Fixture {
  dialect: string;
  traceId: string;
  resource: Attributes;
  scope: { name: string; version: string };
  spans: FixtureSpan[];
}

export interface FixtureCase {
  raw: RawSpan;
  expected: Expected;
}

export function loadDialectFixture(name: string): { dialect: string; cases: FixtureCase[] } {
  const url = new URL(`../fixtures/dialects/${name}.json`, import.meta.url);
  const fixture = JSON.parse(readFileSync(url, 'utf8')) as Fixture;
  const cases = fixture.spans.map((span): FixtureCase => ({
    expected: span.expected,
    raw: {
      traceId: fixture.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      traceState: '',
      flags: 1,
      name: span.name,
      kind: span.kind,
      startTimeUnixNano: BigInt(span.startTimeUnixNano),
      endTimeUnixNano: BigInt(span.endTimeUnixNano),
      attributes: span.attributes,
      droppedAttributesCount: 0,
      events: (span.events ?? []).map((event) => ({
        name: event.name,
        timeUnixNano: BigInt(event.timeUnixNano),
        attributes: event.attributes,
        droppedAttributesCount: 0,
      })),
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      statusCode: span.status?.code ?? 0,
      statusMessage: span.status?.message ?? '',
      resource: { attributes: fixture.resource, droppedAttributesCount: 0, schemaUrl: '' },
      scope: { name: fixture.scope.name, version: fixture.scope.version, attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
    },
  }));
  return { dialect: fixture.dialect, cases };
}

function content(text: string | null): SpanRecord['input'] {
  return text === null ? null : { text, originalLength: text.length, truncated: false };
}

/** The full record a fixture span must normalize to (cost compared separately, as floating point). */
export function expectedRecord(raw: RawSpan, expected: Expected): SpanRecord {
  return {
    ...expected,
    traceId: raw.traceId,
    spanId: raw.spanId,
    parentSpanId: raw.parentSpanId,
    name: raw.name,
    startTimeUnixNano: raw.startTimeUnixNano,
    endTimeUnixNano: raw.endTimeUnixNano,
    statusCode: raw.statusCode,
    statusMessage: raw.statusMessage,
    input: content(expected.input),
    output: content(expected.output),
    reasoning: content(expected.reasoning),
    counts: { coerced: 0, dropped: 0, truncated: 0, redacted: 0 },
    raw,
  };
}
