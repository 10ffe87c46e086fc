/**
 * Writes metric points into `metric_points`, joining the caller's
 * transaction. A point's session is its own key (point attributes, then
 * resource), or none: metric points are not tied to traces.
 */

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { encodeStorable } from '../../model/attributes-codec.js';
import type { RawMetric } from '../../model/metric-types.js';
import { streamHeaderOf } from '../common/signal-keys.js';
import { POINT_INSERT_SQL, pointRowValues } from './metric-row.js';
import type { SignalInterner } from './signal-interner.js';
import { metricPointSessionKey } from '../../model/signal-sessions.js';

export class MetricWriter {
  private readonly insert: Database.Statement;
  private readonly selectStream: Database.Statement;
  private readonly insertStream: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly interner: SignalInterner,
  ) {
    this.insert = db.prepare(POINT_INSERT_SQL);
    this.selectStream = db.prepare('SELECT id FROM metric_streams WHERE hash = ?').pluck();
    this.insertStream = db.prepare('INSERT INTO metric_streams (hash, name, body) VALUES (?, ?, ?)');
  }

  /** Inside a transaction: returns the number of points written. */
  write(metrics: readonly RawMetric[]): number {
    const interner = this.interner;
    interner.reset();
    const streams = new Map<string, number>();
    let written = 0;
    for (const metric of metrics) {
      if (metric.points.length === 0) continue;
      const body = encodeStorable(streamHeaderOf(metric));
      const key = `${metric.name}\u0000${body}`;
      let streamId = streams.get(key);
      if (streamId === undefined) {
        const hash = createHash('sha256').update(key).digest('base64url');
        streamId =
          (this.selectStream.get(hash) as number | undefined) ??
          Number(this.insertStream.run(hash, metric.name, body).lastInsertRowid);
        streams.set(key, streamId);
      }
      const resourceId = interner.resourceId(metric.resource);
      const scopeId = interner.resourceId(metric.scope);
      for (const point of metric.points) {
        const sessionRef = interner.stringId(metricPointSessionKey(point.attributes, metric.resource));
        this.insert.run(pointRowValues(metric.type, point, { streamId, sessionRef, resourceId, scopeId }));
        written++;
      }
    }
    return written;
  }
}
