/** Reads of `metric_points`: `listMetricPoints`. */

import type Database from 'better-sqlite3';
import type { MetricQuery, StoredMetricPoint } from '../../model/metric-types.js';
import type { Page } from '../../model/query.js';
import { InvalidQueryError } from '../errors.js';
import { checkKeys } from '../common/cursor.js';
import { POINT_ROW_SELECT, rowToMetricPoint } from './metric-row.js';
import type { PointRow } from './metric-row.js';
import { stringParam } from '../common/query-params.js';
import { pageOf, signalPageLimit } from '../common/signal-pages.js';
import { addRangeAndCursor } from './signal-pages.js';
import type { SqlParams } from './signal-pages.js';
import { StatementCache } from './statement-cache.js';

const METRIC_QUERY_KEYS = ['name', 'sessionId', 'fromUnixNano', 'toUnixNano', 'limit', 'cursor'] as const;
const CURSOR_KIND = 'metrics';

export class MetricQueries {
  private readonly statements: StatementCache;

  constructor(db: Database.Database) {
    this.statements = new StatementCache(db);
  }

  /** In point time order, then id; every filter narrows. */
  listMetricPoints(query: MetricQuery): Page<StoredMetricPoint> {
    if (query === null || typeof query !== 'object') throw new InvalidQueryError('query must be an object');
    checkKeys(query, METRIC_QUERY_KEYS);
    const limit = signalPageLimit(query.limit);
    const where: string[] = [];
    const params: SqlParams = { limit: limit + 1 };
    if (query.name !== undefined) {
      params.name = stringParam(query.name, 'name');
      where.push('p.stream_id IN (SELECT id FROM metric_streams WHERE name = @name)');
    }
    if (query.sessionId !== undefined) {
      params.sessionId = stringParam(query.sessionId, 'sessionId');
      where.push('p.session_ref = (SELECT id FROM signal_strings WHERE text = @sessionId)');
    }
    addRangeAndCursor(query, CURSOR_KIND, { time: 'p.time_ns', id: 'p.id' }, where, params);
    const sql = `SELECT ${POINT_ROW_SELECT} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY p.time_ns, p.id LIMIT @limit`;
    const rows = this.statements.get(sql, true).all(params) as PointRow[];
    return pageOf(rows, limit, CURSOR_KIND, (row) => row.time_ns, rowToMetricPoint);
  }
}
