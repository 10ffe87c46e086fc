import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Redactor } from '../model/redaction/redactor.js';
import { addBeforeExitHook, removeBeforeExitHook } from './exit-hooks.js';
import type { InternalWork } from './internal-work.js';
import { redactingExporter } from './redacting-exporter.js';
import { errorMessage, reportOnly } from './report-only.js';

/**
 * The processor's `forward` option: ended spans, their secrets removed, also
 * exported through the SDK's own `BatchSpanProcessor`. Never throws or
 * rejects: a failed export is reported to the OTel error handler and counted
 * (`failedSpans`); the upstream being down is not the app's problem.
 */
export class SpanForwarder {
  private readonly processor: BatchSpanProcessor;
  private readonly internal: InternalWork;
  private readonly beforeExitHook = (): void => this.forwardBeforeExit();
  /** Spans handed on since the last `beforeExit` flush. */
  private sinceExitFlush = 0;
  private failed = 0;
  private stopped = false;

  constructor(exporter: SpanExporter, redactor: Redactor, internal: InternalWork) {
    this.internal = internal;
    this.processor = new BatchSpanProcessor(this.reportingFailures(redactingExporter(exporter, redactor)));
    addBeforeExitHook(this.beforeExitHook);
  }

  /** Spans the exporter failed to export (the upstream down, refused, timed out): not forwarded, still stored. */
  get failedSpans(): number {
    return this.failed;
  }

  onEnd(span: ReadableSpan): void {
    this.sinceExitFlush++;
    try {
      this.internal.run(() => this.processor.onEnd(span));
    } catch (error) {
      reportOnly(error);
    }
  }

  async forceFlush(): Promise<void> {
    try {
      await this.processor.forceFlush();
    } catch (error) {
      // Only what the exporter wrapper did not see (the SDK's own export timeout).
      reportOnly(forwardingError('flushing', error));
    }
  }

  /** The processor is shutting down: no more flushes of its own at `beforeExit`. */
  stopExitFlush(): void {
    this.stopped = true;
    removeBeforeExitHook(this.beforeExitHook);
  }

  async shutdown(): Promise<void> {
    this.stopExitFlush();
    try {
      await this.processor.shutdown();
    } catch (error) {
      reportOnly(forwardingError('shutting down', error));
    }
  }

  /**
   * The event loop drained without shutdown(): export what is queued for
   * forwarding now, while the process can still wait for the network (the
   * pending request keeps it alive, within the exporter's timeout). Once per
   * drain that has new spans, so the hook cannot keep the process alive.
   */
  private forwardBeforeExit(): void {
    if (this.stopped || this.sinceExitFlush === 0) return;
    this.sinceExitFlush = 0;
    void this.forceFlush();
  }

  /**
   * Failed exports are counted and reported here, once each, then answered
   * as done: the SDK's batch processor would otherwise report a failure on
   * its timer a second time, or reject the app's forceFlush()/shutdown().
   */
  private reportingFailures(exporter: SpanExporter): SpanExporter {
    const failed = (count: number, error: unknown): void => {
      this.failed += count;
      reportOnly(forwardingError(`exporting ${count} spans`, error));
    };
    return {
      export: (spans, resultCallback) => {
        try {
          exporter.export(spans, (result) => {
            if (result.code !== ExportResultCode.SUCCESS) failed(spans.length, result.error);
            resultCallback({ code: ExportResultCode.SUCCESS });
          });
        } catch (error) {
          failed(spans.length, error);
          resultCallback({ code: ExportResultCode.SUCCESS });
        }
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    };
  }
}

function forwardingError(doing: string, cause: unknown): Error {
  return new Error(`SkeinSpanProcessor: forwarding failed (${doing}): ${cause === undefined ? 'no reason given' : errorMessage(cause)}`, {
    cause,
  });
}
