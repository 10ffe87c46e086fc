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
