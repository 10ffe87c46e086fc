/**
 * What the in-process forward exporter is given: a secret in the span name,
 * an event name, the instrumentation scope or an attribute key is replaced,
 * as it is in what the processor stores.
 */
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/model/redaction/redactor.js';
import { redactReadableSpan } from '../../src/processor/redacting-exporter.js';
import { SECRETS } from '../fixtures/redaction/secrets.js';

describe('redactReadableSpan: names, scope and keys', () => {
  it('replaces secrets in the span name, event names, scope name and version, and attribute keys', () => {
    const ended: ReadableSpan[] = [];
    const capture: SpanProcessor = {
      onStart: () => {},
      onEnd: (span) => ended.push(span),
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    const provider = new BasicTracerProvider({ spanProcessors: [capture] });
    const span = provider.getTracer(`lib ${SECRETS.github}`, SECRETS.openaiProject).startSpan(`call ${SECRETS.openaiProject}`, {
      attributes: { [`x.${SECRETS.github}`]: 'v' },
    });
    span.addEvent(`event ${SECRETS.google}`);
    span.end();

    const copy = redactReadableSpan(ended[0], createRedactor());
    expect(copy.name).toBe('call [REDACTED:openai-key]');
    expect(copy.events[0].name).toBe('event [REDACTED:google-api-key]');
    expect(copy.instrumentationScope).toMatchObject({ name: 'lib [REDACTED:github-token]', version: '[REDACTED:openai-key]' });
    expect(copy.attributes).toEqual({ 'x.[REDACTED:github-token]': 'v' });
    expect(ended[0].name).toBe(`call ${SECRETS.openaiProject}`);
  });
});
