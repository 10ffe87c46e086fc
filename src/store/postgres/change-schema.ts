/**
 * The live change feed in PostgreSQL (change-log.ts): one `changes` row per
 * write transaction, holding that transaction's events over the id range
 * `first_seq..last_seq`, and the one-row `change_feed` counter that hands
 * out those ranges. Appending updates the counter row as the transaction's
 * last statement, so appends are serialized until their commits and ids
 * increase in commit order.
 */

export const CHANGE_SCHEMA = `
-- The last event id handed out (never reused) and the last one trimmed: events with ids up to it are gone.
CREATE TABLE change_feed (
  id integer PRIMARY KEY CHECK (id = 0),
  latest_seq bigint NOT NULL,
  trimmed_through_seq bigint NOT NULL
);
INSERT INTO change_feed (id, latest_seq, trimmed_through_seq) VALUES (0, 0, 0);

-- One row per write transaction: its events (JSON, change-log.ts), ids first_seq..last_seq, and the sessions they name.
CREATE TABLE changes (
  last_seq bigint PRIMARY KEY,
  first_seq bigint NOT NULL,
  at_ms bigint NOT NULL,
  sessions text[] NOT NULL,
  body text NOT NULL
);
-- A session's stream reads only the rows that name it.
CREATE INDEX changes_sessions ON changes USING gin (sessions);
`;
