/**
 * The forwarding outbox in PostgreSQL (`PgOutbox`): SQLite's tables
 * (migrations 002 and 006) with PostgreSQL types, plus a lease so that
 * several collector replicas deliver from one outbox. Times are epoch
 * milliseconds (int8); ids are bigserial, never reused.
 *
 * - A queue is one (upstream, signal): `outbox_queue` serves its head in id
 *   order; `outbox_due` the next due time of an upstream.
 * - `claimed_by` / `claimed_until`: which replica holds the entry and until
 *   when (the database's clock). A claim is left in place when it expires;
 *   an expired claim means nothing. `outbox_claims` finds the (few) claimed
 *   entries of a queue without reading the queue.
 */

export const OUTBOX_SCHEMA = `
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  upstream text NOT NULL,
  signal text NOT NULL CHECK (signal IN ('traces', 'logs', 'metrics')),
  payload bytea NOT NULL,
  span_count integer NOT NULL,
  enqueued_at bigint NOT NULL,
  attempts integer NOT NULL,
  next_attempt_at bigint NOT NULL,
  last_error text,
  claimed_by text,
  claimed_until bigint
);
CREATE INDEX outbox_queue ON outbox (upstream, signal, id);
CREATE INDEX outbox_due ON outbox (upstream, next_attempt_at);
CREATE INDEX outbox_claims ON outbox (upstream, signal, claimed_until) WHERE claimed_by IS NOT NULL;

CREATE TABLE outbox_dead (
  id bigserial PRIMARY KEY,
  upstream text NOT NULL,
  signal text NOT NULL CHECK (signal IN ('traces', 'logs', 'metrics')),
  payload bytea NOT NULL,
  span_count integer NOT NULL,
  enqueued_at bigint NOT NULL,
  attempts integer NOT NULL,
  failed_at bigint NOT NULL,
  status integer,
  response text NOT NULL
);
CREATE INDEX outbox_dead_upstream ON outbox_dead (upstream, id);
`;
