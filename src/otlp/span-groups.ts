import type { InstrumentationScope, RawSpan, SpanResource } from '../model/types.js';
import { attributesEqual } from './attributes.js';

export interface ScopeGroup {
  scope: InstrumentationScope;
  spans: RawSpan[];
}

export interface ResourceGroup {
  resource: SpanResource;
  scopes: ScopeGroup[];
}

/**
 * Groups spans into ResourceSpans / ScopeSpans by *consecutive* runs of equal
 * resource and scope. Runs, not a global grouping, so that decoding the
 * encoded request gives back the spans in their original order; a batch from
 * one process is one run anyway.
 */
export function groupSpans(spans: readonly RawSpan[]): ResourceGroup[] {
  const groups: ResourceGroup[] = [];
  let group: ResourceGroup | undefined;
  let scopeGroup: ScopeGroup | undefined;
  for (const span of spans) {
    if (group === undefined || !sameResource(group.resource, span.resource)) {
      scopeGroup = { scope: span.scope, spans: [] };
      group = { resource: span.resource, scopes: [scopeGroup] };
      groups.push(group);
    } else if (scopeGroup === undefined || !sameScope(scopeGroup.scope, span.scope)) {
      scopeGroup = { scope: span.scope, spans: [] };
      group.scopes.push(scopeGroup);
    }
    scopeGroup.spans.push(span);
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
