/** Custom redaction patterns: checked once, when the redactor is built. */

export interface RedactionPattern {
  /** Shown in the marker: `[REDACTED:<name>]`. Letters, digits, `.`, `_`, `-`. */
  name: string;
  /** A JavaScript regular expression source. */
  pattern: string;
  /** Any of `i`, `m`, `s`, `u`; `g` is implied. */
  flags?: string;
}

const PATTERN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const PATTERN_FLAGS = /^[imsu]*$/;

export class RedactionConfigError extends Error {
  override name = 'RedactionConfigError';
}

/** Compiles a custom pattern, refusing what would break redaction (bad syntax, flags, a pattern matching ''). */
export function compileRedactionPattern(pattern: RedactionPattern, where = 'redaction pattern'): RegExp {
  const { name, flags = '' } = pattern;
  if (typeof name !== 'string' || !PATTERN_NAME.test(name)) {
    throw new RedactionConfigError(`${where}: name must be 1-64 letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
  }
  if (typeof flags !== 'string' || !PATTERN_FLAGS.test(flags)) {
    throw new RedactionConfigError(`${where} "${name}": flags may only be i, m, s, u, got ${JSON.stringify(flags)}`);
  }
  if (typeof pattern.pattern !== 'string' || pattern.pattern.length === 0) {
    throw new RedactionConfigError(`${where} "${name}": pattern must be a non-empty string`);
  }
  let compiled: RegExp;
  try {
    compiled = new RegExp(pattern.pattern, `${flags}g`);
  } catch (error) {
    throw new RedactionConfigError(
      `${where} "${name}": invalid regular expression ${JSON.stringify(pattern.pattern)}: ${(error as Error).message}`,
    );
  }
  // A pattern that matches nothing at all would put a marker between every character.
  if (new RegExp(compiled.source, flags).test('')) {
    throw new RedactionConfigError(`${where} "${name}": pattern ${JSON.stringify(pattern.pattern)} matches the empty string`);
  }
  return compiled;
}
