/**
 * Removing secrets from spans before anything is stored or forwarded.
 *
 * Hot path: runs on every span in-process and on ingest. Each detector first
 * looks for a literal every match contains (`k-`, `AIza`, `.eyJ`,
 * `-----BEGIN`, a digit, …) with `String.includes`, which V8 runs far
 * faster than a regex walks a string; only then does its pattern run.
 * Strings shorter than a detector's shortest match are not scanned for it.
 * The span is copied only where something was replaced, so a span without
 * secrets costs the scan and no allocation.
 */

import type { RawLogRecord } from '../log-types.js';
import type { RawMetric } from '../metric-types.js';
import type { AttributeValue, Attributes, InstrumentationScope, RawSpan, SpanEvent, SpanLink, SpanResource } from '../types.js';
import { DEFAULT_DENY_KEYS, compileDenyKeys } from './deny-keys.js';
import { DETECTORS_OFF_BY_DEFAULT, builtinDetectors } from './detectors.js';
import type { Detector, DetectorKind } from './detectors.js';
import { RedactionConfigError, compileRedactionPattern } from './redaction-pattern.js';
import type { RedactionPattern } from './redaction-pattern.js';
import { redactLogRecord, redactMetric } from './signal-redaction.js';
import type { RedactionWalk } from './signal-redaction.js';

export interface RedactionOptions {
  /** Default true. */
  enabled?: boolean;
  /** Built-in detectors to turn on or off; all are on except `email`. */
  detectors?: Partial<Record<DetectorKind, boolean>>;
  /** Attribute-key globs (`*` matches any run, dots included; case-insensitive) added to the defaults. */
  denyKeys?: string[];
  /** Use `denyKeys` instead of the defaults rather than in addition to them. */
  replaceDefaultDenyKeys?: boolean;
  /** Extra patterns; every match is replaced. */
  patterns?: RedactionPattern[];
}

export interface RedactedSpan {
  /** The input itself when nothing was replaced, else a copy; the input is never changed. */
  span: RawSpan;
  /** Values and matches replaced. */
  count: number;
}

export interface Redactor {
  /** False when redaction is off or has nothing to look for: every method returns its input. */
  readonly enabled: boolean;
  redactRaw(raw: RawSpan): RedactedSpan;
  /**
   * Redacts a batch, remembering each result's count: a later `redactRaw` of
   * a span returned here is a lookup that reports the same count (the
   * collector redacts once, before both normalizing and forwarding).
   */
  redactSpans(spans: readonly RawSpan[]): RawSpan[];
  /**
   * Log records with the rules spans get: body (text, or a kvlist walked as
   * attributes, deny keys included), attributes, event name, level text,
   * resource and scope. A record with nothing replaced is returned as it is.
   */
  redactLogs(records: readonly RawLogRecord[]): RawLogRecord[];
  /** Metrics the same way: name, description, unit, metadata, every point's attributes, resource and scope. */
  redactMetrics(metrics: readonly RawMetric[]): RawMetric[];
  /** Attributes as a copy with secrets replaced (the same object when nothing was); any attribute-shaped object. */
  redactAttributes<T extends object>(attributes: T): { attributes: T; count: number };
  redactText(text: string): { text: string; count: number };
}

/** Marker for values replaced whole because of their key. */
export const DENIED_KEY_MARKER = '[REDACTED:denied-key]';
/** Marker for structures nested deeper than redaction walks: they are not kept unread. */
export const TOO_DEEP_MARKER = '[REDACTED:too-deep]';
/** Distinct attribute keys whose redacted form is remembered (keys with ids in them are unbounded). */
const MAX_CACHED_KEYS = 4096;
/** Texts from this long are remembered with their redaction (hashing one costs less than scanning it). */
const MIN_REMEMBERED_LENGTH = 1024;
/** Longer texts are scanned each time: remembering one would cost more memory than it saves CPU. */
const MAX_REMEMBERED_LENGTH = 262_144;
/** Characters of remembered texts at most (then all are forgotten at once): a few MB. */
const MAX_REMEMBERED_CHARS = 2_097_152;
/** Nesting walked into attribute values; OTLP values from real SDKs are a few levels deep. */
const MAX_DEPTH = 16;

interface ActiveDetector {
  quick: (text: string) => boolean;
  minLength: number;
  /** The text with this detector's matches replaced (the same string when there were none). */
  apply: (text: string) => string;
}

export function createRedactor(options: RedactionOptions = {}): Redactor {
  const { enabled = true, detectors: toggles = {}, denyKeys = [], replaceDefaultDenyKeys = false, patterns = [] } = options;
  for (const kind of Object.keys(toggles)) {
    if (!builtinDetectors().some((d) => d.kind === kind)) throw new RedactionConfigError(`unknown redaction detector "${kind}"`);
  }
  // Count of replacements in the span being redacted; a redactor runs one span at a time.
  let count = 0;
  const marker = (kind: string): string => `[REDACTED:${kind}]`;
  const applier = (detector: Detector): ((text: string) => string) => {
    const mark = marker(detector.kind);
    if ('find' in detector) {
      const find = detector.find;
      return (value) => {
        const found = find(value);
        count += found.length / 2;
        return assemble(value, found, mark);
      };
    }
    const { pattern, accept } = detector;
    // `exec` rather than `replace` with a callback: a value with many matches (tens of thousands
    // in a hostile one) costs a call with a fresh substring for each, and builds no output twice.
    return (value) => {
      let found: number[] | undefined;
      pattern.lastIndex = 0;
      for (let m = pattern.exec(value); m !== null; m = pattern.exec(value)) {
        const match = m[0];
        if (accept !== undefined && !accept(match, m.index, value)) continue;
        // Capture group 1, where it matched, opens the match and is kept (`Bearer `).
        const context = m[1];
        (found ??= []).push(context === undefined ? m.index : m.index + context.length, m.index + match.length);
      }
      if (found === undefined) return value;
      count += found.length / 2;
      return assemble(value, found, mark);
    };
  };

  const builtins = builtinDetectors().filter((d) => toggles[d.kind] ?? !DETECTORS_OFF_BY_DEFAULT.includes(d.kind));
  const active: ActiveDetector[] = builtins.map((d) => ({ quick: d.quick, minLength: d.minLength, apply: applier(d) }));
  const minLength = builtins.reduce((min, d) => Math.min(min, d.minLength), Number.MAX_SAFE_INTEGER);
  const custom = patterns.map((p, i) => {
    const mark = marker(p.name);
    return {
      pattern: compileRedactionPattern(p, `redaction.patterns[${i}]`),
      replace: (): string => {
        count++;
        return mark;
      },
    };
  });
  const isDenied = compileDenyKeys(replaceDefaultDenyKeys ? denyKeys : [...DEFAULT_DENY_KEYS, ...denyKeys]);
  const hasDenyKeys = (replaceDefaultDenyKeys ? denyKeys.length : DEFAULT_DENY_KEYS.length) > 0;
  const on = enabled && (active.length > 0 || custom.length > 0 || hasDenyKeys);

  // Long texts an agent sends again with every call (Gemini CLI's ~13 KB system instructions, tool
  // definitions): scanned once, then found by their hash, ~4x cheaper than running every detector again.
  // The texts are kept as they arrived (secrets included) while remembered: in this process, which
  // holds them anyway while it redacts.
  const seen = new Map<string, { text: string; count: number }>();
  let seenChars = 0;
  function text(value: string): string {
    if (value.length < MIN_REMEMBERED_LENGTH || value.length > MAX_REMEMBERED_LENGTH) return scan(value);
    const known = seen.get(value);
    if (known !== undefined) {
      count += known.count;
      return known.text;
    }
    const before = count;
    const out = scan(value);
    if (seenChars + value.length > MAX_REMEMBERED_CHARS) {
      seen.clear();
      seenChars = 0;
    }
    seen.set(value, { text: out, count: count - before });
    seenChars += value.length;
    return out;
  }

  function scan(value: string): string {
    let out = value;
    if (out.length >= minLength) {
      for (const detector of active) {
        if (out.length >= detector.minLength && detector.quick(out)) out = detector.apply(out);
      }
    }
    for (const pattern of custom) out = out.replace(pattern.pattern, pattern.replace);
    return out;
  }

  function deniedValue(value: unknown): unknown {
    if (value === null || value === undefined || typeof value === 'boolean' || value === DENIED_KEY_MARKER) return value;
    count++;
    return DENIED_KEY_MARKER;
  }

  function anyValue(value: unknown, path: string, depth: number): unknown {
    if (typeof value === 'string') return text(value);
    if (value instanceof Uint8Array) return bytes(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth >= MAX_DEPTH) {
      count++;
      return TOO_DEEP_MARKER;
    }
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const kept = anyValue(item, path, depth + 1);
        if (kept !== item) (copy ??= value.slice())[i] = kept;
      }
      return copy ?? value;
    }
    return map(value as Record<string, unknown>, path === '' ? '' : `${path}.`, depth + 1);
  }

  /**
   * Bytes read as Latin-1 (one character per byte, so the copy is exact): a
   * secret written as ASCII or UTF-8 is found; one encoded otherwise (UTF-16,
   * base64, compressed) is not. Matches are replaced in place; bytes stay bytes.
   */
  function bytes(value: Uint8Array): Uint8Array {
    if (value.length < minLength && custom.length === 0) return value;
    const before = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
    const after = text(before);
    return after === before ? value : new Uint8Array(Buffer.from(after, 'latin1'));
  }

  // Keys repeat on every span: each distinct key is scanned once (bounded, as deny-key decisions are).
  const keys = new Map<string, { name: string; count: number }>();
  function key(name: string): string {
    let known = keys.get(name);
    if (known === undefined) {
      const before = count;
      known = { name: text(name), count: count - before };
      if (keys.size >= MAX_CACHED_KEYS) keys.clear();
      keys.set(name, known);
    } else {
      count += known.count;
    }
    return known.name;
  }

  /**
   * `prefix` is the dotted path of the map for nested keys, '' at the top.
   * Deny globs match the key as it arrived; a key holding a secret is
   * redacted like any text, in place (order kept), numbered when two keys
   * come out the same (`x.[REDACTED:openai-key]`, `x.[REDACTED:openai-key]#2`).
   */
  function map(attributes: Record<string, unknown>, prefix: string, depth: number): Record<string, unknown> {
    let copy: Record<string, unknown> | undefined;
    let renamed: string[] | undefined;
    const names = Object.keys(attributes);
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const value = attributes[name];
      const path = prefix === '' ? name : prefix + name;
      const kept = isDenied(path) ? deniedValue(value) : anyValue(value, path, depth);
      if (kept !== value) (copy ??= { ...attributes })[name] = kept;
      const redactedName = key(name);
      if (redactedName !== name) (renamed ??= names.slice())[i] = redactedName;
    }
    if (renamed === undefined) return copy ?? attributes;
    const values = copy ?? attributes;
    const used = new Set<string>();
    const entries: Array<[string, unknown]> = [];
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const base = renamed[i];
      let unique = base;
      for (let n = 2; used.has(unique) || (unique !== name && Object.hasOwn(attributes, unique)); n++) unique = `${base}#${n}`;
      used.add(unique);
      entries.push([unique, values[name]]);
    }
    // fromEntries defines properties: a `__proto__` key stays a key.
    return Object.fromEntries(entries);
  }

  function attributesOf(value: unknown): Attributes | undefined {
    return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
      ? (value as Attributes)
      : undefined;
  }

  /** A string field redacted as text; anything else (a value no decoder produces) as it is. */
  function field<T>(value: T): T {
    return (typeof value === 'string' && value.length > 0 ? text(value) : value) as T;
  }

  // Resource and scope objects are shared by the spans of one provider or request: redacted once each.
  const shared = new WeakMap<object, { value: SpanResource | InstrumentationScope; count: number }>();
  function sharedPart<T extends SpanResource | InstrumentationScope>(part: T): T {
    if (typeof part !== 'object' || part === null) return part;
    const cached = shared.get(part);
    if (cached !== undefined) {
      count += cached.count;
      return cached.value as T;
    }
    const before = count;
    let value = part;
    const attributes = attributesOf(part.attributes);
    if (attributes !== undefined) {
      const redacted = map(attributes, '', 0);
      if (redacted !== attributes) value = { ...value, attributes: redacted as Attributes };
    }
    const schemaUrl = field(part.schemaUrl);
    if (schemaUrl !== part.schemaUrl) value = { ...value, schemaUrl };
    if ('name' in part) {
      // The instrumentation scope: its name and version are text a client chose.
      const scope = part as InstrumentationScope;
      const name = field(scope.name);
      const version = field(scope.version);
      if (name !== scope.name || version !== scope.version) value = { ...value, name, version };
    }
    shared.set(part, { value, count: count - before });
    return value;
  }

  /** Events (name and attributes) or links (trace state and attributes), copied only where something was replaced. */
  function each<T extends SpanEvent | SpanLink>(items: T[]): T[] {
    let copy: T[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (typeof item !== 'object' || item === null) continue;
      let out = item;
      const attributes = attributesOf(item.attributes);
      if (attributes !== undefined) {
        const redacted = map(attributes, '', 0);
        if (redacted !== attributes) out = { ...out, attributes: redacted as Attributes };
      }
      if ('name' in item) {
        const name = field(item.name);
        if (name !== item.name) out = { ...out, name };
      }
      if ('traceState' in item) {
        const traceState = field(item.traceState);
        if (traceState !== item.traceState) out = { ...out, traceState };
      }
      if (out !== item) (copy ??= items.slice())[i] = out;
    }
    return copy ?? items;
  }

  function span(raw: RawSpan): RawSpan {
    let out: RawSpan | undefined;
    // The name stays the step's name, with what it held replaced: `call [REDACTED:openai-key]`.
    const name = field(raw.name);
    if (name !== raw.name) (out ??= { ...raw }).name = name;
    const traceState = field(raw.traceState);
    if (traceState !== raw.traceState) (out ??= { ...raw }).traceState = traceState;
    const attributes = attributesOf(raw.attributes);
    if (attributes !== undefined) {
      const redacted = map(attributes, '', 0);
      if (redacted !== attributes) (out ??= { ...raw }).attributes = redacted as Attributes;
    }
    const statusMessage = field(raw.statusMessage);
    if (statusMessage !== raw.statusMessage) (out ??= { ...raw }).statusMessage = statusMessage;
    if (Array.isArray(raw.events)) {
      const events = each(raw.events);
      if (events !== raw.events) (out ??= { ...raw }).events = events;
    }
    if (Array.isArray(raw.links)) {
      const links = each(raw.links);
      if (links !== raw.links) (out ??= { ...raw }).links = links;
    }
    const resource = sharedPart(raw.resource);
    if (resource !== raw.resource) (out ??= { ...raw }).resource = resource;
    const scope = sharedPart(raw.scope);
    if (scope !== raw.scope) (out ??= { ...raw }).scope = scope;
    return out ?? raw;
  }

  const walk: RedactionWalk = {
    attributes: (attributes) => (attributesOf(attributes) === undefined ? attributes : (map(attributes, '', 0) as Attributes)),
    value: (value) => (attributesOf(value) === undefined ? anyValue(value, '', 0) : map(value as Attributes, '', 0)) as AttributeValue,
    field,
    part: sharedPart,
  };

  let remembered: WeakMap<RawSpan, number> | undefined;

  function redactRaw(raw: RawSpan): RedactedSpan {
    if (!on) return { span: raw, count: 0 };
    const known = remembered?.get(raw);
    if (known !== undefined) return { span: raw, count: known };
    count = 0;
    try {
      const redacted = span(raw);
      return { span: redacted, count };
    } catch {
      // Only values no decoder produces get here (throwing getters): what could not be read is not kept.
      return { span: withoutContent(raw, text), count: count + 1 };
    }
  }

  return {
    enabled: on,
    redactRaw,
    redactSpans(spans) {
      if (!on) return spans.slice();
      const memo = (remembered ??= new WeakMap());
      return spans.map((raw) => {
        const result = redactRaw(raw);
        memo.set(result.span, result.count);
        return result.span;
      });
    },
    redactLogs(records) {
      if (!on) return records.slice();
      count = 0;
      return records.map((record) => redactLogRecord(record, walk));
    },
    redactMetrics(metrics) {
      if (!on) return metrics.slice();
      count = 0;
      return metrics.map((metric) => redactMetric(metric, walk));
    },
    redactAttributes<T extends object>(attributes: T) {
      if (!on) return { attributes, count: 0 };
      count = 0;
      const redacted = map(attributes as Record<string, unknown>, '', 0) as T;
      return { attributes: redacted, count };
    },
    redactText(value) {
      if (!on) return { text: value, count: 0 };
      count = 0;
      const redacted = text(value);
      return { text: redacted, count };
    },
  };
}

/** Above this many matches in one value, its redacted copy is assembled in one buffer. */
const MANY_MATCHES = 256;

/** `text` with each range of `found` (start, end pairs, in order) replaced by `mark`. */
function assemble(text: string, found: readonly number[], mark: string): string {
  if (found.length === 0) return text;
  if (found.length > 2 * MANY_MATCHES) return assembleInBuffer(text, found, mark);
  const kept: string[] = [];
  let last = 0;
  for (let i = 0; i < found.length; i += 2) {
    kept.push(text.slice(last, found[i]));
    last = found[i + 1];
  }
  kept.push(text.slice(last));
  return kept.join(mark);
}

/**
 * The same, as UTF-16 copied between two buffers: a hostile value with tens
 * of thousands of matches would otherwise be that many small strings alive at
 * once, which V8's young generation copies at every scavenge (measured:
 * 4× the text, 12× the time, for code that is linear).
 */
function assembleInBuffer(text: string, found: readonly number[], mark: string): string {
  const source = Buffer.from(text, 'utf16le');
  const marker = Buffer.from(mark, 'utf16le');
  let length = source.length;
  for (let i = 0; i < found.length; i += 2) length += marker.length - 2 * (found[i + 1] - found[i]);
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  let last = 0;
  for (let i = 0; i < found.length; i += 2) {
    at += source.copy(out, at, 2 * last, 2 * found[i]);
    at += marker.copy(out, at);
    last = found[i + 1];
  }
  source.copy(out, at, 2 * last);
  return out.toString('utf16le');
}

/** A span reduced to what identifies it, every read guarded; its name and trace state go through `redact`. */
function withoutContent(raw: RawSpan, redact: (text: string) => string): RawSpan {
  const read = <T>(get: () => unknown, ok: (v: unknown) => boolean, fallback: T): T => {
    try {
      const value = get();
      return ok(value) ? (value as T) : fallback;
    } catch {
      return fallback;
    }
  };
  const isString = (v: unknown): boolean => typeof v === 'string';
  const isNumber = (v: unknown): boolean => typeof v === 'number';
  return {
    traceId: read(() => raw.traceId, isString, ''),
    spanId: read(() => raw.spanId, isString, ''),
    parentSpanId: read(() => raw.parentSpanId, isString, null),
    traceState: read(() => redact(raw.traceState), isString, ''),
    flags: read(() => raw.flags, isNumber, 0),
    name: read(() => redact(raw.name), isString, ''),
    kind: read(() => raw.kind, isNumber, 0),
    startTimeUnixNano: read(() => raw.startTimeUnixNano, (v) => typeof v === 'bigint', 0n),
    endTimeUnixNano: read(() => raw.endTimeUnixNano, (v) => typeof v === 'bigint', null),
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: read(() => raw.statusCode, isNumber, 0),
    statusMessage: '',
    resource: { attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
    scope: { name: '', version: '', attributes: {}, droppedAttributesCount: 0, schemaUrl: '' },
  };
}
