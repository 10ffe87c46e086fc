/** A mistake by the user (bad flag, bad value): one line and the usage, exit 1 — no stack. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}
