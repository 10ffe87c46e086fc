/**
 * Redaction of log records and metrics (issue 16), with the walkers the
 * redactor uses for spans: the same detectors, deny keys, depth limit and
 * key handling reach every string a record holds. This module only knows
 * where a record keeps its strings; `createRedactor` supplies the walk.
 * Records are copied only where something was replaced.
 */
import type { RawLogRecord } from '../log-types.js';
import type { PointBase, RawMetric } from '../metric-types.js';
import type { AttributeValue, Attributes, InstrumentationScope, SpanResource } from '../types.js';

/** The redactor's walkers, as `createRedactor` exposes them to this module. */
export interface RedactionWalk {
  /** An attribute map (top level: deny keys match its keys); the same object when nothing was replaced. */
  attributes(attributes: Attributes): Attributes;
  /** Any AnyValue at the top level: a kvlist is walked as attributes, a string as text. */
  value(value: AttributeValue): AttributeValue;
  /** A string field as text. */
  field<T>(value: T): T;
  /** A resource or scope, redacted once per object (records of one request share them). */
  part<T extends SpanResource | InstrumentationScope>(part: T): T;
}

export function redactLogRecord(record: RawLogRecord, walk: RedactionWalk): RawLogRecord {
  let out: RawLogRecord | undefined;
  const body = walk.value(record.body);
  if (body !== record.body) (out ??= { ...record }).body = body;
  const attributes = walk.attributes(record.attributes);
  if (attributes !== record.attributes) (out ??= { ...record }).attributes = attributes;
  // The event name and level are text the sender chose, like a span's name.
  const eventName = walk.field(record.eventName);
  if (eventName !== record.eventName) (out ??= { ...record }).eventName = eventName;
  const severityText = walk.field(record.severityText);
  if (severityText !== record.severityText) (out ??= { ...record }).severityText = severityText;
  const resource = walk.part(record.resource);
  if (resource !== record.resource) (out ??= { ...record }).resource = resource;
  const scope = walk.part(record.scope);
  if (scope !== record.scope) (out ??= { ...record }).scope = scope;
  return out ?? record;
}

export function redactMetric(metric: RawMetric, walk: RedactionWalk): RawMetric {
  let out: RawMetric | undefined;
  const name = walk.field(metric.name);
  if (name !== metric.name) (out ??= { ...metric }).name = name;
  const description = walk.field(metric.description);
  if (description !== metric.description) (out ??= { ...metric }).description = description;
  const unit = walk.field(metric.unit);
  if (unit !== metric.unit) (out ??= { ...metric }).unit = unit;
  const metadata = walk.attributes(metric.metadata);
  if (metadata !== metric.metadata) (out ??= { ...metric }).metadata = metadata;
  const points = redactPoints<PointBase>(metric.points, walk);
  if (points !== metric.points) (out ??= { ...metric }).points = points as typeof metric.points;
  const resource = walk.part(metric.resource);
  if (resource !== metric.resource) (out ??= { ...metric }).resource = resource;
  const scope = walk.part(metric.scope);
  if (scope !== metric.scope) (out ??= { ...metric }).scope = scope;
  return out ?? metric;
}

/** Points' attributes (the only text a point holds); the same array when nothing was replaced. */
function redactPoints<T extends PointBase>(points: readonly T[], walk: RedactionWalk): readonly T[] {
  if (!Array.isArray(points)) return points;
  let copy: T[] | undefined;
  for (let i = 0; i < points.length; i++) {
    const point = points[i];
    const attributes = walk.attributes(point.attributes);
    if (attributes !== point.attributes) (copy ??= points.slice())[i] = { ...point, attributes };
  }
  return copy ?? points;
}
