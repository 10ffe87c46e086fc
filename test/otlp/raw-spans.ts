import type { InstrumentationScope, RawSpan, SpanResource } from '../../src/model/types.js';

/** RawSpans that use every field and every AnyValue kind, across two resources and three scopes. */
export function everyFieldSpans(): RawSpan[] {
  const resourceA: SpanResource = {
    attributes: { 'service.name': 'agent', 'deployment.environment': 'test', 'host.cpu.count': 8 },
    droppedAttributesCount: 2,
    schemaUrl: 'https://opentelemetry.io/schemas/1.28.0',
  };
  const resourceB: SpanResource = { attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
  const scopeA: InstrumentationScope = {
    name: '@skein/agent',
    version: '0.1.0',
    attributes: { 'scope.attr': true },
    droppedAttributesCount: 1,
    schemaUrl: 'https://opentelemetry.io/schemas/1.27.0',
  };
  const scopeA2: InstrumentationScope = { name: 'tools', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
  const emptyScope: InstrumentationScope = { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' };
  const base = {
    traceState: '',
    flags: 0,
    kind: 1 as const,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: 0 as const,
    statusMessage: '',
  };
  return [
    {
      ...base,
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: null,
      traceState: 'vendor=a,other=b',
      flags: 0x301,
      name: 'invoke_agent support',
      kind: 2,
      startTimeUnixNano: 1_760_000_000_123_456_789n,
      endTimeUnixNano: 9_223_372_036_854_775_807n, // the largest time kept (2^63-1; fixed64 goes on to 2^64-1)
      attributes: {
        string: 'text with ünïcödé and "quotes"',
        emptyString: '',
        yes: true,
        no: false,
        zero: 0,
        negative: -5,
        maxSafe: Number.MAX_SAFE_INTEGER,
        big: 2n ** 62n,
        minInt64: -(2n ** 63n),
        maxInt64: 2n ** 63n - 1n,
        double: 3.14,
        negativeZero: -0,
        tiny: 5e-324,
        nan: NaN,
        infinity: Infinity,
        negativeInfinity: -Infinity,
        bytes: new Uint8Array([0, 1, 254, 255]),
        emptyBytes: new Uint8Array(0),
        empty: null,
        list: ['a', 1, 2.5, true, null, new Uint8Array([9]), [], {}],
        nested: { inner: { list: [{ deep: 'yes', big: 2n ** 60n }] }, count: 2 },
        '': 'empty key',
        ['__proto__']: 'not a prototype',
      } as RawSpan['attributes'],
      droppedAttributesCount: 3,
      events: [
        { name: 'gen_ai.content.prompt', timeUnixNano: 1_760_000_000_200_000_000n, attributes: { prompt: 'hi' }, droppedAttributesCount: 1 },
        { name: '', timeUnixNano: 0n, attributes: {}, droppedAttributesCount: 0 },
      ],
      droppedEventsCount: 4,
      links: [
        {
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
          traceState: 'k=v',
          attributes: { 'link.reason': 'retry', n: 7 },
          droppedAttributesCount: 5,
          flags: 0x201,
        },
        { traceId: '0af7651916cd43dd8448eb211c80319d', spanId: 'b7ad6b7169203332', traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0 },
      ],
      droppedLinksCount: 6,
      statusCode: 2,
      statusMessage: 'rate limited',
      resource: resourceA,
      scope: scopeA,
    },
    {
      ...base,
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b175',
      parentSpanId: 'eee19b7ec3c1b174',
      name: 'execute_tool lookup',
      kind: 3,
      startTimeUnixNano: 1_760_000_000_300_000_000n,
      endTimeUnixNano: null,
      attributes: { 'gen_ai.tool.name': 'lookup' },
      statusCode: 1,
      resource: { ...resourceA, attributes: { ...resourceA.attributes } }, // equal, not identical: same group
      scope: scopeA2,
    },
    {
      ...base,
      traceId: 'ffffffffffffffffffffffffffffffff',
      spanId: 'ffffffffffffffff',
      parentSpanId: null,
      name: '',
      kind: 0,
      startTimeUnixNano: 0n,
      endTimeUnixNano: 1n,
      attributes: {},
      resource: resourceB,
      scope: emptyScope,
    },
    {
      ...base,
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: '0000000000000001',
      parentSpanId: 'eee19b7ec3c1b175',
      name: 'back to the first resource',
      kind: 5,
      startTimeUnixNano: 1n,
      endTimeUnixNano: 2n,
      attributes: { k: 'v' },
      resource: resourceA,
      scope: scopeA,
    },
  ];
}
