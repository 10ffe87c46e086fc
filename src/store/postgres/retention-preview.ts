/**
 * What `applyRetention` would delete now, on PostgreSQL (`skein prune
 * --dry-run`): the sessions session-deleter.ts selects, by the same rule, and
 * what they hold, counted in one statement (one snapshot).
 */

import type pg from 'pg';
import type { RetentionPolicy, RetentionPreview } from '../../model/query.js';
import { checkRetentionPolicy } from '../common/retention-policy.js';
import { prepared } from './query-params.js';

export type { RetentionPreview };

/** int8's least value: a cutoff older than any time stored. */
const MIN_INT8 = -(2n ** 63n);

/**
 * `$1` the age's cutoff (ns), `$2` the sessions kept by count (null: no
 * count). The selection is session-deleter.ts's: idle past the age; beyond
 * the newest `$2` of the sessions the default list shows; of an agent's
 * plumbing only and last active no later than the newest of those dropped.
 * A log record or metric point goes when older than the age or of a
 * selected session (each counted once).
 */
const PREVIEW_SQL = `WITH dropped AS (
    SELECT session_id, last_activity_ns FROM sessions WHERE $2::int8 IS NOT NULL AND internal_count < span_count
    ORDER BY last_activity_ns DESC, session_id COLLATE "C" DESC OFFSET $2 LIMIT 1
  ),
  selected AS (
    SELECT s.session_id FROM sessions s WHERE s.last_activity_ns < $1 OR EXISTS (
      SELECT 1 FROM dropped d WHERE
        (s.internal_count < s.span_count AND (s.last_activity_ns, s.session_id COLLATE "C") <= (d.last_activity_ns, d.session_id))
        OR (s.internal_count >= s.span_count AND s.last_activity_ns <= d.last_activity_ns))
  ),
  doomed_spans AS (
    SELECT count(*) AS spans,
      coalesce(sum(octet_length(raw) + octet_length(attributes) + coalesce(octet_length(input_text), 0)
        + coalesce(octet_length(output_text), 0) + coalesce(octet_length(reasoning_text), 0)), 0)::int8 AS bytes
    FROM spans WHERE resolved_session_id IN (SELECT session_id FROM selected)
  )
  SELECT (SELECT count(*) FROM selected) AS sessions, d.spans, d.bytes,
    (SELECT count(*) FROM log_records WHERE at_ns < $1 OR session_id IN (SELECT session_id FROM selected)) AS log_records,
    (SELECT count(*) FROM metric_points WHERE time_ns < $1 OR session_id IN (SELECT session_id FROM selected)) AS metric_points
  FROM doomed_spans d`;

interface PreviewRow {
  sessions: bigint;
  spans: bigint;
  bytes: bigint;
  log_records: bigint;
  metric_points: bigint;
}

/** What `PgSessionDeleter.applyRetention(policy)` would delete if it ran now. Throws `InvalidQueryError` for a bad policy. */
export async function previewRetention(pool: pg.Pool, policy: RetentionPolicy = {}): Promise<RetentionPreview> {
  const { maxAgeMillis, maxSessions } = checkRetentionPolicy(policy);
  const millis = BigInt(Math.floor(Date.now() - maxAgeMillis)) * 1_000_000n;
  const cutoff = millis < MIN_INT8 ? MIN_INT8 : millis;
  const { rows } = await pool.query<PreviewRow>(prepared(PREVIEW_SQL, [cutoff, maxSessions ?? null]));
  const row = rows[0];
  return {
    sessions: Number(row.sessions),
    spans: Number(row.spans),
    approxBytes: Number(row.bytes),
    logRecords: Number(row.log_records),
    metricPoints: Number(row.metric_points),
  };
}
