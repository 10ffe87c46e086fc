import { globalErrorHandler } from '@opentelemetry/core';

/** To the OTel error handler only: for failures that are not the app's to handle (its own callback, forwarding, shutdown). */
export function reportOnly(error: unknown): void {
  try {
    globalErrorHandler(error as Error);
  } catch {
    // A throwing error handler must not turn into a throw in the app.
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
