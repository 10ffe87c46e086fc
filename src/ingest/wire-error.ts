/**
 * An error as it crosses threads. Structured clone keeps only the standard
 * Error classes whole: a SqliteError would arrive with no message or code.
 */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
}

export function toWire(error: unknown): WireError {
  if (error instanceof Error) {
    const { code } = error as Error & { code?: unknown };
    return { name: error.name, message: error.message, stack: error.stack, code };
  }
  return { name: 'Error', message: String(error) };
}

export function fromWire(wire: WireError): Error {
  const error = new Error(wire.message) as Error & { code?: unknown };
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  if (wire.code !== undefined) error.code = wire.code;
  return error;
}
