/** Named store errors; the server maps them to HTTP in one place. */

export class StoreError extends Error {
  override name = 'StoreError';
}

export class SessionNotFoundError extends StoreError {
  override name = 'SessionNotFoundError';
  constructor(readonly sessionId: string) {
    super(`session not found: ${sessionId}`);
  }
}

export class TraceNotFoundError extends StoreError {
  override name = 'TraceNotFoundError';
  constructor(readonly traceId: string) {
    super(`trace not found: ${traceId}`);
  }
}

export class InvalidQueryError extends StoreError {
  override name = 'InvalidQueryError';
  constructor(
    message: string,
    /** The query parameter at fault, when there is one. */
    readonly parameter?: string,
  ) {
    super(message);
  }
}

/** The database was written by a newer Skein (or is not a Skein database). */
export class SchemaVersionError extends StoreError {
  override name = 'SchemaVersionError';
  constructor(
    message: string,
    readonly file: string,
    readonly foundVersion: number,
    readonly supportedVersion: number,
  ) {
    super(message);
  }
}

/** The database file cannot be created or opened: the message names the path and the reason. */
export class DatabaseOpenError extends StoreError {
  override name = 'DatabaseOpenError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`cannot open the database ${file}: ${reason}`);
  }
}

/**
 * The database cannot be reached, or the connection to it was lost (a
 * server down or restarting, a network fault, no connection slot free): a
 * passing condition, worth trying again after `retryAfterSeconds` (the
 * receiver answers 503 with that `Retry-After`). What the call wrote is not
 * committed, except when the connection was lost during COMMIT itself: its
 * outcome is then unknown, and the retry may write it a second time.
 */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';
  constructor(
    /** The database, named without its password. */
    readonly database: string,
    cause: unknown,
    readonly retryAfterSeconds = 1,
  ) {
    super(`the database ${database} is unavailable: ${reasonOf(cause)}`, { cause });
  }
}

/** An error's message; for one without (Node's AggregateError of a refused connection), its errors' or its code. */
function reasonOf(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  if (cause.message !== '') return cause.message;
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return [...new Set(cause.errors.map(reasonOf))].join('; ');
  }
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? code : cause.name;
}
