import type { InstrumentationScope, RawSpan, SpanResource } from '../model/types.js';
import { attributesEqual } from './attributes.js';

/** Anything an OTLP request groups by resource and scope: spans, log records, metrics. */
export interface ScopedItem {
  resource: SpanResource;
  scope: InstrumentationScope;
}

export interface ScopeGroup<T extends ScopedItem = RawSpan> {
  scope: InstrumentationScope;
  items: T[];
}

export interface ResourceGroup<T extends ScopedItem = RawSpan> {
  resource: SpanResource;
  scopes: ScopeGroup<T>[];
}

/**
 * Groups spans (or log records, or metrics) into ResourceSpans / ScopeSpans
 * by *consecutive* runs of equal resource and scope (the same object, which
 * is what decoders give the items of one group, or equal values). Runs, not a
 * global grouping, so that decoding the encoded request gives back the items
 * in their original order; a batch from one process is one run anyway.
 */
export function groupSpans<T extends ScopedItem = RawSpan>(items: readonly T[]): ResourceGroup<T>[] {
  const groups: ResourceGroup<T>[] = [];
  let group: ResourceGroup<T> | undefined;
  let scopeGroup: ScopeGroup<T> | undefined;
  for (const item of items) {
    if (group === undefined || !sameResource(group.resource, item.resource)) {
      scopeGroup = { scope: item.scope, items: [] };
      group = { resource: item.resource, scopes: [scopeGroup] };
      groups.push(group);
    } else if (scopeGroup === undefined || !sameScope(scopeGroup.scope, item.scope)) {
      scopeGroup = { scope: item.scope, items: [] };
      group.scopes.push(scopeGroup);
    }
    scopeGroup.items.push(item);
  }
  return groups;
}

function sameResource(a: SpanResource, b: SpanResource): boolean {
  return (
    a === b ||
    (a.schemaUrl === b.schemaUrl &&
      a.droppedAttributesCount === b.droppedAttributesCount &&
      attributesEqual(a.attributes, b.attributes))
  );
}

function sameScope(a: InstrumentationScope, b: InstrumentationScope): boolean {
  return (
    a === b ||
    (a.name === b.name &&
      a.version === b.version &&
      a.schemaUrl === b.schemaUrl &&
      a.droppedAttributesCount === b.droppedAttributesCount &&
      attributesEqual(a.attributes, b.attributes))
  );
}
