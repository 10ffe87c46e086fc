import { TraceFlags } from '@opentelemetry/api';
import type { Attributes, SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Captures the live span at onStart, as the Skein processor sees it. */
export class StartCapture implements SpanProcessor {
  started: Span[] = [];
  onStart(span: Span): void {
    this.started.push(span);
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A real SDK pipeline that keeps every span both as started and as ended. */
export function captureSpans(resource: Attributes) {
  const exporter = new InMemorySpanExporter();
  const starts = new StartCapture();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [starts, new SimpleSpanProcessor(exporter)],
  });
  return { exporter, starts, provider, tracer: provider.getTracer('scope-a', '2.1.0') };
}

export const remoteParent: SpanContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: new TraceState('vendor=abc'),
};
