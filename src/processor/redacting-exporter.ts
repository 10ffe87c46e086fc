import type { Link } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { Redactor } from '../model/redaction/redactor.js';

/**
 * A `SpanExporter` that hands `exporter` the spans with their secrets removed
 * (name, attributes and their keys, event names and attributes, link
 * attributes, status message, resource, scope name and version), the way
 * they are stored. Redaction runs when a batch is exported, off the app's
 * span calls; the SDK's spans themselves are never changed.
 */
export function redactingExporter(exporter: SpanExporter, redactor: Redactor): SpanExporter {
  if (!redactor.enabled) return exporter;
  // Redacted resources are kept per original: exporters group spans by resource identity.
  const resources = new WeakMap<Resource, Resource>();
  const redactResource = (resource: Resource): Resource => {
    // Still settling: the SDK waits for it before exporting, so this is rare; do not cache a partial view.
    if (resource.asyncAttributesPending) return redactOnce(resource, redactor);
    let redacted = resources.get(resource);
    if (redacted === undefined) {
      redacted = redactOnce(resource, redactor);
      resources.set(resource, redacted);
    }
    return redacted;
  };
  return {
    export: (spans, resultCallback) => exporter.export(spans.map((span) => redactReadableSpan(span, redactor, redactResource)), resultCallback),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

function redactOnce(resource: Resource, redactor: Redactor): Resource {
  const { attributes, count } = redactor.redactAttributes(resource.attributes);
  return count === 0 ? resource : resourceFromAttributes(attributes, { schemaUrl: resource.schemaUrl });
}

/** The span itself when nothing needed redacting, else a read-only copy with redacted fields. */
export function redactReadableSpan(
  span: ReadableSpan,
  redactor: Redactor,
  redactResource: (resource: Resource) => Resource = (resource) => redactOnce(resource, redactor),
): ReadableSpan {
  const attributes = redactor.redactAttributes(span.attributes).attributes;
  const name = redactor.redactText(span.name).text;
  const scope = span.instrumentationScope;
  const scopeName = redactor.redactText(scope.name).text;
  const scopeVersion = scope.version === undefined ? undefined : redactor.redactText(scope.version).text;
  const instrumentationScope = scopeName === scope.name && scopeVersion === scope.version ? scope : { ...scope, name: scopeName, version: scopeVersion };
  const message = span.status.message;
  const statusMessage = message === undefined ? undefined : redactor.redactText(message).text;
  const events = eachRedacted(span.events, redactor);
  const links = eachRedacted(span.links, redactor);
  const resource = redactResource(span.resource);
  if (
    name === span.name &&
    instrumentationScope === scope &&
    attributes === span.attributes &&
    statusMessage === message &&
    events === span.events &&
    links === span.links &&
    resource === span.resource
  ) {
    return span;
  }
  return {
    name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: statusMessage === message ? span.status : { ...span.status, message: statusMessage },
    attributes,
    links,
    events,
    duration: span.duration,
    ended: span.ended,
    resource,
    instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

function eachRedacted<T extends TimedEvent | Link>(items: T[], redactor: Redactor): T[] {
  let copy: T[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const attributes = item.attributes === undefined ? undefined : redactor.redactAttributes(item.attributes).attributes;
    const name = 'name' in item ? redactor.redactText(item.name).text : undefined;
    if (attributes !== item.attributes || ('name' in item && name !== item.name)) {
      (copy ??= items.slice())[i] = 'name' in item ? { ...item, attributes, name } : { ...item, attributes };
    }
  }
  return copy ?? items;
}
