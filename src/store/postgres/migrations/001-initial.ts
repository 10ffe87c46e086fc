/**
 * The first PostgreSQL schema: every table of the agent data, each part from
 * the module that owns it (spans and sessions, the query indexes, log records
 * and metric points, the forwarding outbox, the change feed).
 */

import { SPAN_SCHEMA } from '../span-schema.js';
import { QUERY_SCHEMA } from '../query-schema.js';
import { SIGNAL_SCHEMA } from '../signal-schema.js';
import { OUTBOX_SCHEMA } from '../outbox-schema.js';
import { CHANGE_SCHEMA } from '../change-schema.js';
import type { PgMigration } from './index.js';

export const migration001: PgMigration = {
  version: 1,
  name: 'initial',
  sql: [SPAN_SCHEMA, QUERY_SCHEMA, SIGNAL_SCHEMA, OUTBOX_SCHEMA, CHANGE_SCHEMA].join('\n'),
};
