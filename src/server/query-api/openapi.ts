/** The OpenAPI 3.1 document of the query API, generated from `ROUTES` and `SCHEMAS`. */

import { SCHEMAS } from './api-schemas.js';
import { ROUTES } from './api-spec.js';
import type { RouteSpec } from './api-spec.js';
import type { JsonSchema } from './params.js';

export interface OpenApiOptions {
  /** Where the API is mounted, for `servers`. Default `/api`. */
  basePath?: string;
  version?: string;
}

function parameters(route: RouteSpec): unknown[] {
  const out: unknown[] = [];
  for (const [name, p] of Object.entries(route.pathParams ?? {})) {
    out.push({ name, in: 'path', required: true, description: p.description, schema: p.schema });
  }
  for (const [name, p] of Object.entries(route.query.params)) {
    out.push({ name, in: 'query', required: p.required, description: p.description, schema: p.schema });
  }
  const prefixed = route.query.prefixed;
  if (prefixed) {
    // OpenAPI has no "parameters named by prefix"; a deepObject-free description is the honest form.
    out.push({
      name: `${prefixed.prefix}{key}`,
      in: 'query',
      required: false,
      description: prefixed.description,
      schema: prefixed.schema,
      'x-skein-prefix': prefixed.prefix,
    });
  }
  return out;
}

function responses(route: RouteSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const entry: Record<string, unknown> = { description: response.description };
    if (response.schema) {
      entry.content = { 'application/json': { schema: { $ref: `#/components/schemas/${response.schema}` } } };
    } else if (response.contentTypes) {
      entry.content = Object.fromEntries(response.contentTypes.map((t) => [t, { schema: { type: 'string' } }]));
    }
    out[status] = entry;
  }
  return out;
}

export function createOpenApiDocument(options: OpenApiOptions = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    paths[route.path] ??= {};
    paths[route.path][route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      parameters: parameters(route),
      responses: responses(route),
    };
  }
  paths['/openapi.json'] = {
    get: {
      operationId: 'openapi',
      summary: 'This document.',
      responses: { 200: { description: 'OpenAPI 3.1.', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  const schemas: Record<string, JsonSchema> = SCHEMAS;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Skein query API',
      version: options.version ?? '1',
      description:
        'Sessions, timelines, spans, log records, metric points, search, stats and exports of a Skein store. Times and durations are ' +
        'nanoseconds as decimal strings, since they exceed 2^53. Every error has the `Error` shape; a parameter ' +
        'the endpoint does not know is refused with 400, never ignored.',
    },
    servers: [{ url: options.basePath ?? '/api' }],
    paths,
    components: { schemas },
  };
}
