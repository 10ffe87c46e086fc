import type { Migration } from './migration.js';

/**
 * The change feed behind the live stream (`ChangeLog`): one row per step
 * start, step end, session update and interruption, appended in the
 * transaction that made the change. `seq` is the event id clients resume
 * from; the writer assigns it (the last one plus one, or two for a
 * `span.completed` row, which stands for a step's start at seq - 1 and its end
 * at seq and saves a row for every step first seen already ended).
 * Step rows carry no payload: they name the span (trace and span id) and the
 * step is built at read time from its `spans` row, so the feed costs a few
 * dozen bytes per step instead of a copy of it. Session updates, interruptions
 * and budget crossings keep their (small) payload: a session summary is a
 * snapshot of that moment.
 * `change_feed` keeps the highest seq ever trimmed: a resume from before it is
 * known to have a gap, and ids are never reused even once every row is gone.
 */
export const migration003: Migration = {
  version: 3,
  name: 'change-feed',
  sql: `
CREATE TABLE changes (
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  session_id TEXT NOT NULL,
  trace_id TEXT,
  span_id TEXT,
  at_ms INTEGER NOT NULL,
  payload TEXT
) STRICT;
CREATE INDEX changes_session ON changes (session_id, seq);

CREATE TABLE change_feed (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  trimmed_through_seq INTEGER NOT NULL
) STRICT;
INSERT INTO change_feed (id, trimmed_through_seq) VALUES (0, 0);
`,
};
