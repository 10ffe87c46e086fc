/** Reads of `log_records`: `listLogs` and one record by id (the change feed's `log` events). */

import type Database from 'better-sqlite3';
import type { LogQuery, StoredLogRecord } from '../../model/log-types.js';
import type { Page } from '../../model/query.js';
import { InvalidQueryError } from '../errors.js';
import { checkKeys, encodeCursor } from '../common/cursor.js';
import { LOG_READ_COLUMNS, LOG_ROW_AT, LOG_ROW_ID, idBlob, rowToLogRecord } from './log-row.js';
import type { LogReadRow } from './log-row.js';
import { numberParam, stringParam } from '../common/query-params.js';
import { InternedReads } from './signal-interner.js';
import { signalPageLimit } from '../common/signal-pages.js';
import { addRangeAndCursor } from './signal-pages.js';
import type { SqlParams } from './signal-pages.js';
import { StatementCache } from './statement-cache.js';

const LOG_QUERY_KEYS = [
  'sessionId', 'traceId', 'spanId', 'eventName', 'minSeverity', 'fromUnixNano', 'toUnixNano', 'limit', 'cursor',
] as const;

const CURSOR_KIND = 'logs';

export class LogQueries {
  private readonly statements: StatementCache;
  private readonly selectById: Database.Statement;
  private readonly selectAnyOfTrace: Database.Statement;
  private readonly interned: InternedReads;

  constructor(db: Database.Database) {
    this.statements = new StatementCache(db);
    this.interned = new InternedReads(db);
    this.selectById = db.prepare(`SELECT ${LOG_READ_COLUMNS} FROM log_records l WHERE l.id = ?`).raw(true);
    this.selectAnyOfTrace = db.prepare('SELECT 1 FROM log_records WHERE trace_id = ? LIMIT 1').pluck();
  }

  /** Whether any record of the trace is stored: ~5 µs, where an empty `listLogs` page costs ~50. */
  hasTrace(traceId: string): boolean {
    return this.selectAnyOfTrace.get(idParam(traceId, 'traceId', 32)) !== undefined;
  }

  byId(id: number): StoredLogRecord | undefined {
    const row = this.selectById.get(id) as LogReadRow | undefined;
    return row ? rowToLogRecord(row, this.interned.page()) : undefined;
  }

  /** In time order (time, or observed time when 0), then id; every filter narrows. */
  listLogs(query: LogQuery): Page<StoredLogRecord> {
    if (query === null || typeof query !== 'object') throw new InvalidQueryError('query must be an object');
    checkKeys(query, LOG_QUERY_KEYS);
    const limit = signalPageLimit(query.limit);
    const where: string[] = [];
    const params: SqlParams = { limit: limit + 1 };
    if (query.sessionId !== undefined) {
      params.sessionId = stringParam(query.sessionId, 'sessionId');
      where.push('l.session_ref = (SELECT id FROM signal_strings WHERE text = @sessionId)');
    }
    if (query.traceId !== undefined) {
      params.traceId = idParam(query.traceId, 'traceId', 32);
      where.push('l.trace_id = @traceId');
    }
    if (query.spanId !== undefined) {
      params.spanId = idParam(query.spanId, 'spanId', 16);
      where.push('l.span_id = @spanId');
    }
    if (query.eventName !== undefined) {
      params.eventName = stringParam(query.eventName, 'eventName');
      where.push('l.event_name_ref = (SELECT id FROM signal_strings WHERE text = @eventName)');
    }
    if (query.minSeverity !== undefined) {
      params.minSeverity = numberParam(query.minSeverity, 'minSeverity');
      where.push('l.severity >= @minSeverity');
    }
    addRangeAndCursor(query, CURSOR_KIND, { time: 'l.at_ns', id: 'l.id' }, where, params);
    const sql = `SELECT ${LOG_READ_COLUMNS} FROM log_records l ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY l.at_ns, l.id LIMIT @limit`;
    const rows = this.statements.get(sql, false).raw(true).all(params) as LogReadRow[];
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1] as LogReadRow | undefined;
    const page = this.interned.page();
    return {
      items: rows.map((row) => rowToLogRecord(row, page)),
      nextCursor:
        more && last ? encodeCursor({ kind: CURSOR_KIND, key: last[LOG_ROW_AT], id: last[LOG_ROW_ID] }) : null,
    };
  }
}

function idParam(value: unknown, name: string, length: number): Buffer {
  const text = stringParam(value, name).toLowerCase();
  const blob = text.length === length ? idBlob(text) : null;
  if (blob === null) throw new InvalidQueryError(`${name} must be ${length} hex digits`, name);
  return blob;
}
