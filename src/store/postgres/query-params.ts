/**
 * Statements prepared once per connection, for every PostgreSQL read and
 * write. (The checks of query parameters are shared: common/query-params.ts.)
 */

import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * A named statement: parsed and planned once per pooled connection, not at
 * every call. The name is a digest of the text, so two texts never share one.
 */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  const name = `skein_${createHash('sha1').update(text).digest('base64url')}`;
  return { name, text, values };
}
