/** A mistake by the user (bad flag, bad value): one line and the usage, exit 1 — no stack. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** A failure that is not a usage mistake but the user's to fix (a database file that cannot be opened): one line, no usage, exit 1. */
export class CliFailure extends Error {
  override name = 'CliFailure';
}
