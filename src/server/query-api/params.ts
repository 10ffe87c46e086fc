/**
 * A small schema language for query parameters. Each `Param` carries both its
 * parser (the 400 it raises names the parameter and what was expected) and
 * its OpenAPI schema, so validation and the published document cannot drift.
 */

import { parseSeverity, SEVERITY_EXPECTED, SEVERITY_NAMES, MAX_SEVERITY } from '../../query/log-severity.js';
import { parseDurationNanos, parseTimeUnixNano } from '../../query/time-values.js';

/** The subset of JSON Schema / OpenAPI 3.1 the API's documents use. */
export interface JsonSchema {
  type?: string | string[];
  enum?: readonly (string | number)[];
  description?: string;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  examples?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  $ref?: string;
  oneOf?: JsonSchema[];
}

/** A query or path parameter the server rejects with this message when it cannot parse it. */
export class BadParameterError extends Error {
  override name = 'BadParameterError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }

  static invalid(parameter: string, expected: string, got: string): BadParameterError {
    return new BadParameterError(parameter, `${parameter}: expected ${expected}, got '${got}'`);
  }
}

export interface Param<T, R extends boolean = boolean> {
  description: string;
  /** What a valid value looks like, in the words of a 400 message. */
  expected: string;
  schema: JsonSchema;
  required: R;
  parse(raw: string, name: string): T;
}

type ParamOptions = { default?: unknown; examples?: unknown[] };

function param<T>(
  description: string,
  expected: string,
  schema: JsonSchema,
  parse: (raw: string) => T | undefined,
  options: ParamOptions = {},
): Param<T, false> {
  const full: JsonSchema = { ...schema };
  if (options.default !== undefined) full.default = options.default;
  if (options.examples !== undefined) full.examples = options.examples;
  return {
    description,
    expected,
    schema: full,
    required: false,
    parse(raw, name) {
      const value = parse(raw);
      if (value === undefined) throw BadParameterError.invalid(name, expected, raw);
      return value;
    },
  };
}

export function text(description: string, options?: ParamOptions): Param<string, false> {
  return param(description, 'a non-empty string', { type: 'string' }, (raw) => (raw === '' ? undefined : raw), options);
}

export function oneOf<const V extends string>(
  values: readonly V[],
  description: string,
  options?: ParamOptions,
): Param<V, false> {
  return param(
    description,
    `one of ${values.join(', ')}`,
    { type: 'string', enum: values },
    (raw) => (values as readonly string[]).includes(raw) ? (raw as V) : undefined,
    options,
  );
}

export function integer(
  description: string,
  range: { min: number; max?: number },
  options?: ParamOptions,
): Param<number, false> {
  const expected =
    range.max === undefined ? `an integer >= ${range.min}` : `an integer from ${range.min} to ${range.max}`;
  const schema: JsonSchema = { type: 'integer', minimum: range.min };
  if (range.max !== undefined) schema.maximum = range.max;
  return param(
    description,
    expected,
    schema,
    (raw) => {
      if (!/^-?\d+$/.test(raw)) return undefined;
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < range.min || (range.max !== undefined && n > range.max)) return undefined;
      return n;
    },
    options,
  );
}

export function decimal(description: string, options?: ParamOptions): Param<number, false> {
  return param(
    description,
    'a number >= 0',
    { type: 'number', minimum: 0 },
    (raw) => {
      if (!/^\d+(\.\d+)?$/.test(raw)) return undefined;
      return Number(raw);
    },
    options,
  );
}

export function flag(description: string, options?: ParamOptions): Param<boolean, false> {
  return param(
    description,
    'true or false',
    { type: 'boolean' },
    (raw) => (raw === 'true' ? true : raw === 'false' ? false : undefined),
    options,
  );
}

export function time(description: string, options?: ParamOptions): Param<bigint, false> {
  return param(
    `${description} An RFC 3339 timestamp (2025-01-31T12:00:00.123456789Z), Unix nanoseconds (all digits), or an age before now (90s, 15m, 24h, 7d).`,
    'an RFC 3339 timestamp, Unix nanoseconds, or an age such as 24h',
    { type: 'string', examples: ['2025-01-31T12:00:00Z', '1738324800000000000', '24h'] },
    (raw) => parseTimeUnixNano(raw) ?? undefined,
    options,
  );
}

export function duration(description: string, options?: ParamOptions): Param<bigint, false> {
  return param(
    `${description} A number with a unit (ns, us, ms, s, m, h, d; 1.5s) or plain nanoseconds.`,
    'a duration such as 250ms, 1.5s or plain nanoseconds',
    { type: 'string', pattern: '^\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h|d)?$', examples: ['250ms', '2s'] },
    (raw) => parseDurationNanos(raw) ?? undefined,
    options,
  );
}

/** An OTLP severity: a number, or a level name standing for the first number of its range. */
export function severity(description: string, options?: ParamOptions): Param<number, false> {
  return param(
    `${description} A SeverityNumber (0-${MAX_SEVERITY}) or a level name: ${SEVERITY_NAMES.join(', ')} (trace 1, debug 5, info 9, warn 13, error 17, fatal 21).`,
    SEVERITY_EXPECTED,
    { oneOf: [{ type: 'integer', minimum: 0, maximum: MAX_SEVERITY }, { type: 'string', enum: SEVERITY_NAMES }] },
    (raw) => parseSeverity(raw) ?? undefined,
    options,
  );
}

export function hexId(
  description: string,
  bytes: 8 | 16,
  options?: ParamOptions,
): Param<string, false> {
  const pattern = `^[0-9a-f]{${bytes * 2}}$`;
  const re = new RegExp(pattern);
  return param(
    description,
    `${bytes * 2} lowercase hex digits`,
    { type: 'string', pattern },
    (raw) => (re.test(raw) ? raw : undefined),
    options,
  );
}

/** The same parameter, required. */
export function required<T>(p: Param<T, false>): Param<T, true> {
  return { ...p, required: true };
}

export type ParamSpec = Record<string, Param<unknown>>;

type RequiredKeys<S extends ParamSpec> = { [K in keyof S]: S[K] extends Param<unknown, true> ? K : never }[keyof S];
type OptionalKeys<S extends ParamSpec> = Exclude<keyof S, RequiredKeys<S>>;
type ValueOf<P> = P extends Param<infer T> ? T : never;

export type Parsed<S extends ParamSpec> = { [K in RequiredKeys<S>]: ValueOf<S[K]> } & {
  [K in OptionalKeys<S>]?: ValueOf<S[K]>;
};

/** A family of parameters sharing a prefix (`attr.<key>=value`). */
export interface PrefixParam {
  prefix: string;
  description: string;
  schema: JsonSchema;
}

export interface QueryShape<S extends ParamSpec> {
  params: S;
  prefixed?: PrefixParam;
}

export interface ParsedQuery<S extends ParamSpec> {
  values: Parsed<S>;
  /** `attr.gen_ai.tool.name=search` → `{ 'gen_ai.tool.name': 'search' }`, values as given. */
  prefixed: Record<string, string>;
}

/**
 * Parses a query string against a shape. A parameter not in the shape is
 * refused (an unsupported filter is never silently ignored), and so is one
 * given twice.
 */
export function parseQuery<S extends ParamSpec>(shape: QueryShape<S>, search: URLSearchParams): ParsedQuery<S> {
  const values: Record<string, unknown> = {};
  const prefixed: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, raw] of search) {
    if (seen.has(name)) throw new BadParameterError(name, `${name}: given more than once; pass one value`);
    seen.add(name);
    const spec = Object.hasOwn(shape.params, name) ? shape.params[name] : undefined;
    if (spec) {
      values[name] = spec.parse(raw, name);
      continue;
    }
    const prefix = shape.prefixed?.prefix;
    if (prefix !== undefined && name.startsWith(prefix) && name.length > prefix.length) {
      prefixed[name.slice(prefix.length)] = raw;
      continue;
    }
    const known = Object.keys(shape.params).concat(prefix === undefined ? [] : [`${prefix}<key>`]);
    throw new BadParameterError(
      name,
      `unsupported parameter '${name}': this endpoint takes ${known.join(', ') || 'no parameters'}`,
    );
  }
  for (const [name, spec] of Object.entries(shape.params)) {
    if (spec.required && !(name in values)) {
      throw new BadParameterError(name, `${name} is required: expected ${spec.expected}`);
    }
  }
  return { values: values as Parsed<S>, prefixed };
}
