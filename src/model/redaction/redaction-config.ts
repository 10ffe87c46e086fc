/**
 * The `redaction` section of a config file, checked field by field so a
 * mistake is reported with the file and the field it is in.
 */

import { DETECTOR_KINDS } from './detectors.js';
import type { DetectorKind } from './detectors.js';
import { RedactionConfigError, compileRedactionPattern } from './redaction-pattern.js';
import type { RedactionPattern } from './redaction-pattern.js';
import type { RedactionOptions } from './redactor.js';

const FIELDS = ['enabled', 'detectors', 'denyKeys', 'replaceDefaultDenyKeys', 'patterns'];
const PATTERN_FIELDS = ['name', 'pattern', 'flags'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates the `redaction` value of a config file (`source` names the file
 * in errors, e.g. `skein.config.json`). `undefined` means defaults. Throws
 * `RedactionConfigError` naming the file and field.
 */
export function parseRedactionConfig(json: unknown, source: string): RedactionOptions {
  const fail = (field: string, problem: string): never => {
    throw new RedactionConfigError(`${source}: redaction.${field}: ${problem}`);
  };
  if (json === undefined) return {};
  if (!isObject(json)) throw new RedactionConfigError(`${source}: redaction: must be an object`);
  for (const key of Object.keys(json)) {
    if (!FIELDS.includes(key)) fail(key, `unknown field (known: ${FIELDS.join(', ')})`);
  }
  const options: RedactionOptions = {};
  const { enabled, detectors, denyKeys, replaceDefaultDenyKeys, patterns } = json;

  if (enabled !== undefined) {
    if (typeof enabled !== 'boolean') fail('enabled', 'must be true or false');
    options.enabled = enabled as boolean;
  }
  if (replaceDefaultDenyKeys !== undefined) {
    if (typeof replaceDefaultDenyKeys !== 'boolean') fail('replaceDefaultDenyKeys', 'must be true or false');
    options.replaceDefaultDenyKeys = replaceDefaultDenyKeys as boolean;
  }
  if (detectors !== undefined) {
    if (!isObject(detectors)) fail('detectors', `must be an object of detector names to true/false`);
    const toggles: Partial<Record<DetectorKind, boolean>> = {};
    for (const [kind, on] of Object.entries(detectors as Record<string, unknown>)) {
      if (!(DETECTOR_KINDS as readonly string[]).includes(kind)) {
        fail(`detectors.${kind}`, `unknown detector (known: ${DETECTOR_KINDS.join(', ')})`);
      }
      if (typeof on !== 'boolean') fail(`detectors.${kind}`, 'must be true or false');
      toggles[kind as DetectorKind] = on as boolean;
    }
    options.detectors = toggles;
  }
  if (denyKeys !== undefined) {
    if (!Array.isArray(denyKeys)) fail('denyKeys', 'must be an array of key globs');
    (denyKeys as unknown[]).forEach((glob, i) => {
      if (typeof glob !== 'string' || glob.length === 0) fail(`denyKeys[${i}]`, 'must be a non-empty string');
    });
    options.denyKeys = denyKeys as string[];
  }
  if (patterns !== undefined) {
    if (!Array.isArray(patterns)) fail('patterns', 'must be an array of { name, pattern, flags? }');
    options.patterns = (patterns as unknown[]).map((entry, i): RedactionPattern => {
      if (!isObject(entry)) return fail(`patterns[${i}]`, 'must be an object { name, pattern, flags? }');
      for (const key of Object.keys(entry)) {
        if (!PATTERN_FIELDS.includes(key)) fail(`patterns[${i}].${key}`, `unknown field (known: ${PATTERN_FIELDS.join(', ')})`);
      }
      const pattern = entry as unknown as RedactionPattern;
      try {
        compileRedactionPattern(pattern, `redaction.patterns[${i}]`);
      } catch (error) {
        throw new RedactionConfigError(`${source}: ${(error as Error).message}`);
      }
      return pattern.flags === undefined
        ? { name: pattern.name, pattern: pattern.pattern }
        : { name: pattern.name, pattern: pattern.pattern, flags: pattern.flags };
    });
  }
  return options;
}
