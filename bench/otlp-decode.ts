/**
 * OTLP decode candidates on one realistic 1000-span request, reported as
 * spans/s and as ratios against baselines measured in the same run (gunzip of
 * the gzipped protobuf body, JSON.parse of the JSON body), because absolute
 * numbers on a shared machine drift by ±20%.
 *
 *   npx tsx bench/otlp-decode.ts
 *
 * Candidates:
 * - protobufjs static code generated from test/oracle/otlp/proto (npm run gen:proto):
 *   decode only, and decode + flatten to RawSpan[] (hex ids, bigint times,
 *   attributes to plain values) — what a receiver needs.
 * - the hand-written decoder (src/otlp/decode-protobuf.ts): protobufjs' Reader,
 *   bytes straight to RawSpan[].
 * - OTLP/JSON: JSON.parse + checked conversion (src/otlp/decode-json.ts).
 */
import { gzipSync, gunzipSync } from 'node:zlib';
import type { AttributeValue, Attributes, RawSpan } from '../src/model/types.js';
import { decodeTraceRequest, encodeTraceRequest } from '../src/otlp/index.js';
import { opentelemetry } from '../test/oracle/otlp/generated/otlp.js';

const pb = opentelemetry.proto;
const SPAN_COUNT = 1000;
const ROUNDS = 5;
const MIN_ROUND_MILLIS = 300;

function agentSpans(count: number): RawSpan[] {
  const resource = {
    attributes: {
      'service.name': 'support-agent',
      'service.version': '1.4.2',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.version': '2.12.1',
      'host.name': 'worker-7',
    },
    droppedAttributesCount: 0,
    schemaUrl: 'https://opentelemetry.io/schemas/1.28.0',
  };
  const scope = { name: '@skein/agent', version: '0.1.0', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
  const spans: RawSpan[] = [];
  const start = 1_760_000_000_000_000_000n;
  for (let i = 0; i < count; i++) {
    const traceId = (BigInt(i >> 5) + 0x5b8efff798038103d269b633813fc60cn).toString(16).padStart(32, '0');
    const llm = i % 3 !== 0;
    const attributes: Attributes = llm
      ? {
          'gen_ai.operation.name': 'chat',
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
          'gen_ai.usage.input_tokens': 1200 + i,
          'gen_ai.usage.output_tokens': 230 + (i % 50),
          'gen_ai.request.temperature': 0.2,
          'gen_ai.conversation.id': `conv-${i >> 5}`,
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.input.messages': `[{"role":"user","content":"Question number ${i}: where is my order? It was due last week."}]`,
        }
      : {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'lookup_order',
          'gen_ai.tool.call.id': `call_${i}`,
          'gen_ai.conversation.id': `conv-${i >> 5}`,
          'tool.arguments': `{"orderId":"A-${100000 + i}"}`,
          'tool.result': '{"status":"shipped","carrier":"DHL","eta":"2025-10-14"}',
          'http.status_code': 200,
          'retry.count': 0,
          'cache.hit': false,
          'latency.budget_ms': 1500,
        };
    spans.push({
      traceId,
      spanId: (0xeee19b7ec3c1b174n + BigInt(i)).toString(16).padStart(16, '0'),
      parentSpanId: i % 32 === 0 ? null : (0xeee19b7ec3c1b174n + BigInt(i - (i % 32))).toString(16).padStart(16, '0'),
      traceState: '',
      flags: 0x101,
      name: llm ? 'chat gpt-4o-mini' : 'execute_tool lookup_order',
      kind: llm ? 3 : 1,
      startTimeUnixNano: start + BigInt(i) * 1_000_000n,
      endTimeUnixNano: start + BigInt(i) * 1_000_000n + 850_000n,
      attributes,
      droppedAttributesCount: 0,
      events: [
        {
          name: 'gen_ai.content.prompt',
          timeUnixNano: start + BigInt(i) * 1_000_000n + 1000n,
          attributes: { 'gen_ai.prompt': 'You are a helpful support agent.' },
          droppedAttributesCount: 0,
        },
        {
          name: 'gen_ai.content.completion',
          timeUnixNano: start + BigInt(i) * 1_000_000n + 800_000n,
          attributes: { 'gen_ai.completion': 'Your order shipped with DHL and arrives on Tuesday.' },
          droppedAttributesCount: 0,
        },
      ],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      statusCode: i % 50 === 0 ? 2 : 0,
      statusMessage: i % 50 === 0 ? 'rate limited' : '',
      resource,
      scope,
    });
  }
  return spans;
}

// ---- protobufjs generated code: message objects → RawSpan[] -------------------

type AnyValueMessage = InstanceType<typeof pb.common.v1.AnyValue>;
type KeyValueMessage = InstanceType<typeof pb.common.v1.KeyValue>;

function hex(bytes: Uint8Array | null | undefined): string {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') : '';
}

function nanos(value: number | { low: number; high: number } | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'number') return BigInt(value);
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

function anyValue(v: AnyValueMessage | null | undefined): AttributeValue {
  if (!v) return null;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) {
    const i = v.intValue;
    if (typeof i === 'number') return i;
    const n = i.toNumber();
    return Number.isSafeInteger(n) ? n : BigInt(i.toString());
  }
  if (v.doubleValue != null) return v.doubleValue;
  if (v.bytesValue != null) return new Uint8Array(v.bytesValue);
  if (v.arrayValue != null) return (v.arrayValue.values ?? []).map((x) => anyValue(x as AnyValueMessage));
  if (v.kvlistValue != null) return attrs((v.kvlistValue.values ?? []) as KeyValueMessage[]);
  return null;
}

function attrs(list: readonly KeyValueMessage[] | null | undefined): Attributes {
  const out: Attributes = {};
  if (list) for (const kv of list) out[kv.key ?? ''] = anyValue(kv.value as AnyValueMessage);
  return out;
}

function flattenGenerated(body: Uint8Array): RawSpan[] {
  const request = pb.collector.trace.v1.ExportTraceServiceRequest.decode(body);
  const spans: RawSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = {
      attributes: attrs(rs.resource?.attributes as KeyValueMessage[]),
      droppedAttributesCount: rs.resource?.droppedAttributesCount ?? 0,
      schemaUrl: rs.schemaUrl ?? '',
    };
    for (const ss of rs.scopeSpans ?? []) {
      const scope = {
        name: ss.scope?.name ?? '',
        version: ss.scope?.version ?? '',
        attributes: attrs(ss.scope?.attributes as KeyValueMessage[]),
        droppedAttributesCount: ss.scope?.droppedAttributesCount ?? 0,
        schemaUrl: ss.schemaUrl ?? '',
      };
      for (const s of ss.spans ?? []) {
        const end = nanos(s.endTimeUnixNano);
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: s.parentSpanId?.length ? hex(s.parentSpanId) : null,
          traceState: s.traceState ?? '',
          flags: s.flags ?? 0,
          name: s.name ?? '',
          kind: (s.kind ?? 0) as RawSpan['kind'],
          startTimeUnixNano: nanos(s.startTimeUnixNano),
          endTimeUnixNano: end === 0n ? null : end,
          attributes: attrs(s.attributes as KeyValueMessage[]),
          droppedAttributesCount: s.droppedAttributesCount ?? 0,
          events: (s.events ?? []).map((e) => ({
            name: e.name ?? '',
            timeUnixNano: nanos(e.timeUnixNano),
            attributes: attrs(e.attributes as KeyValueMessage[]),
            droppedAttributesCount: e.droppedAttributesCount ?? 0,
          })),
          droppedEventsCount: s.droppedEventsCount ?? 0,
          links: (s.links ?? []).map((l) => ({
            traceId: hex(l.traceId),
            spanId: hex(l.spanId),
            traceState: l.traceState ?? '',
            attributes: attrs(l.attributes as KeyValueMessage[]),
            droppedAttributesCount: l.droppedAttributesCount ?? 0,
            flags: l.flags ?? 0,
          })),
          droppedLinksCount: s.droppedLinksCount ?? 0,
          statusCode: (s.status?.code ?? 0) as RawSpan['statusCode'],
          statusMessage: s.status?.message ?? '',
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

// ---- measurement ---------------------------------------------------------------

let sink = 0;

/** Median over ROUNDS of requests decoded per second, each round at least MIN_ROUND_MILLIS. */
function requestsPerSecond(fn: () => unknown): number {
  for (let i = 0; i < 20; i++) fn(); // warm-up
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    let elapsedNs = 0n;
    do {
      const out = fn();
      sink += Array.isArray(out) ? out.length : 1;
      n++;
      elapsedNs = process.hrtime.bigint() - t0;
    } while (elapsedNs < BigInt(MIN_ROUND_MILLIS) * 1_000_000n);
    rates.push(n / (Number(elapsedNs) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

const spans = agentSpans(SPAN_COUNT);
const protobufBody = encodeTraceRequest(spans, 'protobuf');
const jsonBody = encodeTraceRequest(spans, 'json');
const gzipped = gzipSync(protobufBody);
const jsonText = Buffer.from(jsonBody).toString('utf8');

// The candidates must agree before their speed means anything.
const reference = JSON.stringify(decodeTraceRequest(protobufBody, 'protobuf').spans, (_k, v: unknown) =>
  typeof v === 'bigint' ? `${v}n` : v,
);
for (const [label, decoded] of [
  ['generated + flatten', flattenGenerated(protobufBody)],
  ['json', decodeTraceRequest(jsonBody, 'json').spans],
] as const) {
  const text = JSON.stringify(decoded, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  if (text !== reference) throw new Error(`${label} decodes differently from the hand-written decoder`);
}

const results: [string, number][] = [
  ['baseline: gunzip protobuf body', requestsPerSecond(() => gunzipSync(gzipped))],
  ['baseline: JSON.parse of the JSON body', requestsPerSecond(() => JSON.parse(jsonText))],
  ['protobufjs generated: decode only', requestsPerSecond(() => pb.collector.trace.v1.ExportTraceServiceRequest.decode(protobufBody))],
  ['protobufjs generated: decode + flatten to RawSpan[]', requestsPerSecond(() => flattenGenerated(protobufBody))],
  ['hand-written Reader decoder → RawSpan[]', requestsPerSecond(() => decodeTraceRequest(protobufBody, 'protobuf').spans)],
  ['OTLP/JSON: JSON.parse + convert → RawSpan[]', requestsPerSecond(() => decodeTraceRequest(jsonBody, 'json').spans)],
];

const gunzipRate = results[0][1];
const jsonParseRate = results[1][1];
console.log(
  `OTLP decode, ${SPAN_COUNT}-span request (protobuf ${protobufBody.length} B, gzip ${gzipped.length} B, JSON ${jsonBody.length} B), ` +
    `median of ${ROUNDS} rounds, Node ${process.version}`,
);
console.log(`${'path'.padEnd(54)} ${'spans/s'.padStart(10)}  vs gunzip  vs JSON.parse`);
for (const [label, rate] of results) {
  const spansPerSecond = rate * SPAN_COUNT;
  console.log(
    `${label.padEnd(54)} ${Math.round(spansPerSecond).toLocaleString('en-US').padStart(10)}  ` +
      `${(rate / gunzipRate).toFixed(2).padStart(8)}  ${(rate / jsonParseRate).toFixed(2).padStart(11)}`,
  );
}
if (sink < 0) console.log(sink);
