/**
 * Log records and metric points in PostgreSQL: writes, reads, the session
 * a record follows from its trace, and deletion (the semantics of the SQLite
 * store's log-*, metric-* and signal-* modules).
 *
 * A record without a session key of its own takes its trace's session when
 * the trace is stored, and one that arrives first (a span is exported when
 * it ends, its events while it runs) takes it when the span writer sets it
 * (`adoptTraces`). Under concurrent writers, a record written while a span
 * writer sets its trace's session must not miss both ways: the span writer
 * holds its traces' advisory locks (advisory-locks.ts `lockTraces`,
 * exclusive) from before it reads `traces`; the log writer takes the same
 * locks shared before the statement that reads `traces`, so one of the two
 * always sees the other's committed rows. The log writer takes no other
 * lock, and takes these in one call in ascending order, as lockTraces
 * does: the two cannot deadlock. Inside an ingest commit (`writeLogsIn`)
 * the transaction already holds other locks; it should have locked these
 * traces itself (exclusive, first): the shared locks then wait for nothing.
 */

import type pg from 'pg';
import type { LogQuery, RawLogRecord, StoredLogRecord } from '../../model/log-types.js';
import type { MetricQuery, RawMetric, StoredMetricPoint } from '../../model/metric-types.js';
import type { Page } from '../../model/query.js';
import { InvalidQueryError } from '../errors.js';
import { checkKeys } from '../common/cursor.js';
import type { PgChangeLog } from './change-log.js';
import { lockTracesShared } from './advisory-locks.js';
import { inTransaction } from './connection.js';
import type { Queryable } from './connection.js';
import { LOG_INSERT_SQL, LOG_READ_COLUMNS, logColumns, logInsertValues, rowToLogRecord } from './log-row.js';
import type { LogRow } from './log-row.js';
import { POINT_INSERT_SQL, POINT_READ_COLUMNS, pointColumns, pointInsertValues, rowToMetricPoint } from './metric-row.js';
import type { PointRow } from './metric-row.js';
import { numberParam, stringParam } from '../common/query-params.js';
import { prepared } from './query-params.js';
import { pageOf, signalPageLimit } from '../common/signal-pages.js';
import { SqlWhere, addRangeAndCursor } from './signal-pages.js';
import { pgText } from './span-row.js';

const LOG_QUERY_KEYS = [
  'sessionId', 'traceId', 'spanId', 'eventName', 'minSeverity', 'fromUnixNano', 'toUnixNano', 'limit', 'cursor',
] as const;
const METRIC_QUERY_KEYS = ['name', 'sessionId', 'fromUnixNano', 'toUnixNano', 'limit', 'cursor'] as const;
const LOGS_CURSOR = 'logs';
const METRICS_CURSOR = 'metrics';


/** `trace_id = $1` implies the partial index's `trace_id IS NOT NULL`: an index probe. */
export const HAS_TRACE_SQL = 'SELECT EXISTS (SELECT 1 FROM log_records WHERE trace_id = $1) AS found';

/** Records without a key of their own follow their trace's session (those with none yet included). */
const ADOPT_SQL = `UPDATE log_records l SET session_id = a.session_id, inherited = true
  FROM unnest($1::text[], $2::text[]) AS a(trace_id, session_id)
  WHERE l.trace_id = a.trace_id AND l.inherited AND l.session_id IS DISTINCT FROM a.session_id
  RETURNING l.id, l.trace_id, l.session_id`;

/** The records a log write stored with a session: a `log` event each, in id order. */
export type LogEvents = Array<{ sessionId: string; logId: bigint }>;

/** A batch of records as the INSERT takes them, and the traces whose session its records may take. */
interface LogBatch {
  values: unknown[];
  inheriting: Set<string>;
}

function logBatch(records: readonly RawLogRecord[]): LogBatch {
  const columns = logColumns(records, BigInt(Date.now()) * 1_000_000n);
  const inheriting = new Set<string>();
  columns.traceId.forEach((traceId, i) => {
    if (traceId !== null && columns.ownSession[i] === null) inheriting.add(traceId);
  });
  return { values: logInsertValues(columns), inheriting };
}

/**
 * The INSERT in `client`'s transaction, after shared locks on the traces
 * whose session its records may take. With `returning`, the records stored
 * with a session (their `log` events); otherwise none.
 */
async function insertLogs(client: pg.PoolClient, batch: LogBatch, returning: boolean, locked?: ReadonlySet<string>): Promise<LogEvents> {
  // Traces the transaction holds already (an ingest commit's) need no shared lock: its own locks never conflict.
  await lockTracesShared(client, locked === undefined ? batch.inheriting : [...batch.inheriting].filter((traceId) => !locked.has(traceId)));
  // A statement of its own: its snapshot is taken after the locks, so it sees a span writer that held one.
  if (!returning) {
    await client.query(prepared(LOG_INSERT_SQL, batch.values));
    return [];
  }
  const { rows } = await client.query<{ id: bigint; session_id: string | null }>(
    prepared(`${LOG_INSERT_SQL} RETURNING id, session_id`, batch.values),
  );
  // In id order already: RETURNING gives the rows in insert order, and ids are taken in the batch's (u.ord).
  return rows.flatMap((row) => (row.session_id === null ? [] : [{ sessionId: row.session_id, logId: row.id }]));
}

export interface SignalCounts {
  logRecords: number;
  metricPoints: number;
}

export class PgSignals {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * One INSERT for the batch (a statement alone is atomic). Records that may
   * take their trace's session lock those traces first (shared), in one
   * transaction with the INSERT. With `changes`, the records stored with a
   * session get a `log` event each, appended in that transaction.
   */
  async writeLogs(records: readonly RawLogRecord[], changes: PgChangeLog | null = null): Promise<void> {
    if (records.length === 0) return;
    const batch = logBatch(records);
    if (batch.inheriting.size === 0 && changes === null) {
      await this.pool.query(prepared(LOG_INSERT_SQL, batch.values));
      return;
    }
    await inTransaction(this.pool, async (client) => {
      const logs = await insertLogs(client, batch, changes !== null);
      await changes?.append(client, { logs });
    });
  }

  /**
   * `writeLogs` in the caller's transaction on `client` (an ingest
   * commit's): returns the records stored with a session, whose `log`
   * events the caller appends last before COMMIT. It takes no shared lock
   * on the traces of `locked`, which the transaction holds already
   * (`lockTraces`).
   */
  async writeLogsIn(client: pg.PoolClient, records: readonly RawLogRecord[], locked?: ReadonlySet<string>): Promise<LogEvents> {
    if (records.length === 0) return [];
    return insertLogs(client, logBatch(records), true, locked);
  }

  /** One INSERT for every point of the batch: on the pool, or in the transaction of `db` when a client. */
  async writeMetrics(metrics: readonly RawMetric[], db: Queryable = this.pool): Promise<void> {
    const columns = pointColumns(metrics);
    if (columns.name.length === 0) return;
    await db.query(prepared(POINT_INSERT_SQL, pointInsertValues(columns)));
  }

  /**
   * In time order (time, or observed time when 0), then id; every filter
   * narrows. On the pool, or in the transaction of `db` when a client.
   */
  async listLogs(query: LogQuery, db: Queryable = this.pool): Promise<Page<StoredLogRecord>> {
    if (query === null || typeof query !== 'object') throw new InvalidQueryError('query must be an object');
    checkKeys(query, LOG_QUERY_KEYS);
    const limit = signalPageLimit(query.limit);
    const where = new SqlWhere();
    // Filters map U+0000 as the columns do (`pgText`).
    if (query.sessionId !== undefined) where.add(`l.session_id = ${where.param(pgText(stringParam(query.sessionId, 'sessionId')))}`);
    if (query.traceId !== undefined) where.add(`l.trace_id = ${where.param(idParam(query.traceId, 'traceId', 32))}`);
    if (query.spanId !== undefined) where.add(`l.span_id = ${where.param(idParam(query.spanId, 'spanId', 16))}`);
    if (query.eventName !== undefined) {
      // '' is stored as NULL: "records without an event name" match nothing, as in the SQLite store.
      where.add(`l.event_name = ${where.param(pgText(stringParam(query.eventName, 'eventName')))}`);
    }
    if (query.minSeverity !== undefined) {
      where.add(`l.severity >= ${where.param(numberParam(query.minSeverity, 'minSeverity'))}`);
    }
    addRangeAndCursor(query, LOGS_CURSOR, { time: 'l.at_ns', id: 'l.id' }, where);
    const sql = `SELECT ${LOG_READ_COLUMNS} FROM log_records l ${where.clause()}
      ORDER BY l.at_ns, l.id LIMIT ${where.param(limit + 1)}`;
    const { rows } = await db.query<LogRow>(prepared(sql, where.values));
    return pageOf(rows, limit, LOGS_CURSOR, (row) => row.at_ns, rowToLogRecord);
  }

  /**
   * Whether any log record of the trace is stored (SQLite's `hasTrace`):
   * one probe of `log_records_trace`, for a commit that reads a trace's
   * records only if it has some.
   */
  async hasTraceLogs(traceId: string, db: Queryable = this.pool): Promise<boolean> {
    const { rows } = await db.query<{ found: boolean }>(prepared(HAS_TRACE_SQL, [idParam(traceId, 'traceId', 32)]));
    return rows[0].found;
  }

  /** In point time order, then id; every filter narrows. */
  async listMetricPoints(query: MetricQuery): Promise<Page<StoredMetricPoint>> {
    if (query === null || typeof query !== 'object') throw new InvalidQueryError('query must be an object');
    checkKeys(query, METRIC_QUERY_KEYS);
    const limit = signalPageLimit(query.limit);
    const where = new SqlWhere();
    // Filters map U+0000 as the columns do (`pgText`).
    if (query.name !== undefined) where.add(`p.name = ${where.param(pgText(stringParam(query.name, 'name')))}`);
    if (query.sessionId !== undefined) where.add(`p.session_id = ${where.param(pgText(stringParam(query.sessionId, 'sessionId')))}`);
    addRangeAndCursor(query, METRICS_CURSOR, { time: 'p.time_ns', id: 'p.id' }, where);
    const sql = `SELECT ${POINT_READ_COLUMNS} FROM metric_points p ${where.clause()}
      ORDER BY p.time_ns, p.id LIMIT ${where.param(limit + 1)}`;
    const { rows } = await this.pool.query<PointRow>(prepared(sql, where.values));
    return pageOf(rows, limit, METRICS_CURSOR, (row) => row.time_ns, rowToMetricPoint);
  }

  /**
   * In the write transaction of a batch of spans that holds `lockTraces` on
   * these traces: their records without a key of their own (none yet, or
   * the trace's earlier session) take the trace's session, in one
   * statement. Returns the records moved, by trace in `adoptions`' order
   * then by id: each gets a `log` event, as in SQLite's `adoptTrace`.
   */
  async adoptTraces(
    client: pg.PoolClient,
    adoptions: Iterable<readonly [traceId: string, sessionId: string]>,
  ): Promise<Array<{ sessionId: string; logId: bigint }>> {
    const sessions = new Map(adoptions);
    if (sessions.size === 0) return [];
    const { rows } = await client.query<{ id: bigint; trace_id: string; session_id: string }>(
      prepared(ADOPT_SQL, [[...sessions.keys()], [...sessions.values()]]),
    );
    const traceOrder = new Map([...sessions.keys()].map((traceId, i) => [traceId, i]));
    rows.sort((a, b) => traceOrder.get(a.trace_id)! - traceOrder.get(b.trace_id)! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return rows.map((row) => ({ sessionId: row.session_id, logId: row.id }));
  }

  /** In the deleter's transaction: removes the records and points of these sessions; counts. */
  async deleteOfSessions(client: pg.PoolClient, sessionIds: readonly string[]): Promise<SignalCounts> {
    if (sessionIds.length === 0) return { logRecords: 0, metricPoints: 0 };
    const ids = [sessionIds];
    const logs = await client.query(prepared('DELETE FROM log_records WHERE session_id = ANY($1::text[])', ids));
    const points = await client.query(prepared('DELETE FROM metric_points WHERE session_id = ANY($1::text[])', ids));
    return { logRecords: logs.rowCount ?? 0, metricPoints: points.rowCount ?? 0 };
  }

  /**
   * In the deleter's transaction: removes records and points older than
   * `cutoffNs`, whatever their session (records of no session have no other
   * way out); counts. A time past 2^63 - 1 is stored negative: it goes first.
   */
  async deleteOlderThan(client: pg.PoolClient, cutoffNs: bigint): Promise<SignalCounts> {
    const cutoff = [cutoffNs];
    const logs = await client.query(prepared('DELETE FROM log_records WHERE at_ns < $1', cutoff));
    const points = await client.query(prepared('DELETE FROM metric_points WHERE time_ns < $1', cutoff));
    return { logRecords: logs.rowCount ?? 0, metricPoints: points.rowCount ?? 0 };
  }
}

/** A trace or span id filter: `length` hex digits, either case; compared as stored, lowercase. */
function idParam(value: unknown, name: string, length: number): string {
  const text = stringParam(value, name).toLowerCase();
  if (text.length !== length || !/^[0-9a-f]+$/.test(text)) {
    throw new InvalidQueryError(`${name} must be ${length} hex digits`, name);
  }
  return text;
}
