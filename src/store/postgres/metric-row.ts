/**
 * Metric points as `metric_points` rows and back: one array per column for
 * a batch (one INSERT ... SELECT FROM unnest), the metric's header (all but
 * its name) as codec JSON on every row. Integer values and counts stay exact
 * int8; doubles are float8, which keeps NaN, infinities and -0.
 */

import { encodeStorable } from '../../model/attributes-codec.js';
import type { RawMetric, StoredMetricPoint } from '../../model/metric-types.js';
import { metricPointSessionKey } from '../../model/signal-sessions.js';
import { pointValuesOf, storedMetricPointOf } from '../common/metric-point-columns.js';
import type { ReadPointColumns } from '../common/metric-point-columns.js';
import { streamHeaderOf } from '../common/signal-keys.js';
import { uint64Column } from '../common/uint64-column.js';
import { BodyTexts, exactTextsJson, exactTextsOf } from './log-row.js';
import { pgText } from './span-row.js';

/** A double as float8 input text: node-postgres would send -0 as '0'. */
function float8Text(value: number | null): string | null {
  if (value === null) return null;
  return Object.is(value, -0) ? '-0' : String(value);
}

/** One array per column, in `POINT_INSERT_SQL`'s parameter order. */
export interface PointColumns {
  name: string[];
  header: string[];
  session: (string | null)[];
  start: bigint[];
  time: bigint[];
  flags: number[];
  valueInt: (bigint | null)[];
  valueDouble: (string | null)[];
  count: (bigint | null)[];
  sum: (string | null)[];
  min: (string | null)[];
  max: (string | null)[];
  detail: (string | null)[];
  attributes: string[];
  resource: string[];
  scope: string[];
  /** `exactTextsJson` of the metric's name. */
  exact: (string | null)[];
}

/** Every point of the batch, in order, with its metric's header and its own session key. */
export function pointColumns(metrics: readonly RawMetric[]): PointColumns {
  const bodies = new BodyTexts();
  const c: PointColumns = {
    name: [], header: [], session: [], start: [], time: [], flags: [], valueInt: [], valueDouble: [], count: [],
    sum: [], min: [], max: [], detail: [], attributes: [], resource: [], scope: [], exact: [],
  };
  for (const metric of metrics) {
    if (metric.points.length === 0) continue;
    const header = encodeStorable(streamHeaderOf(metric));
    const resource = bodies.of(metric.resource);
    const scope = bodies.of(metric.scope);
    const name = pgText(metric.name);
    const exact = exactTextsJson({ name: metric.name });
    for (const point of metric.points) {
      const v = pointValuesOf(metric.type, point);
      c.name.push(name);
      c.header.push(header);
      // Mapped as the spans map their key (`pgText`).
      c.session.push(pgText(metricPointSessionKey(point.attributes, metric.resource)));
      c.start.push(uint64Column(point.startTimeUnixNano));
      c.time.push(uint64Column(point.timeUnixNano));
      c.flags.push(point.flags);
      c.valueInt.push(typeof v.value === 'bigint' ? v.value : null);
      c.valueDouble.push(typeof v.value === 'number' ? float8Text(v.value) : null);
      c.count.push(v.count === null ? null : uint64Column(v.count));
      c.sum.push(float8Text(v.sum));
      c.min.push(float8Text(v.min));
      c.max.push(float8Text(v.max));
      c.detail.push(v.detail === null ? null : encodeStorable(v.detail));
      c.attributes.push(encodeStorable(point.attributes));
      c.resource.push(resource);
      c.scope.push(scope);
      c.exact.push(exact);
    }
  }
  return c;
}

/** The values of `POINT_INSERT_SQL`. */
export function pointInsertValues(c: PointColumns): unknown[] {
  return [
    c.name, c.header, c.session, c.start, c.time, c.flags, c.valueInt, c.valueDouble, c.count, c.sum, c.min, c.max,
    c.detail, c.attributes, c.resource, c.scope, c.exact,
  ];
}

/** The batch in one statement, ids in the batch's order. */
export const POINT_INSERT_SQL = `INSERT INTO metric_points (name, header, session_id, start_ns, time_ns, flags,
    value_int, value_double, count, sum, min, max, detail, attributes, resource, scope, exact)
  SELECT u.name, u.header, u.session_id, u.start_ns, u.time_ns, u.flags, u.value_int, u.value_double, u.count, u.sum,
    u.min, u.max, u.detail, u.attributes, u.resource, u.scope, u.exact
  FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::float8[],
      $9::int8[], $10::float8[], $11::float8[], $12::float8[], $13::text[], $14::text[], $15::text[], $16::text[],
      $17::text[])
    WITH ORDINALITY AS u(name, header, session_id, start_ns, time_ns, flags, value_int, value_double, count, sum, min,
      max, detail, attributes, resource, scope, exact, ord)
  ORDER BY u.ord`;

/** The columns a read selects from `metric_points p`, for `rowToMetricPoint`. */
export const POINT_READ_COLUMNS = `p.id, p.name, p.header, p.session_id, p.start_ns, p.time_ns, p.flags, p.value_int,
  p.value_double, p.count, p.sum, p.min, p.max, p.detail, p.attributes, p.resource, p.scope, p.exact`;

/** A row as `POINT_READ_COLUMNS` selects it: the value in one of two columns, by its type. */
export interface PointRow extends Omit<ReadPointColumns, 'value'> {
  value_int: bigint | null;
  value_double: number | null;
  exact: string | null;
}

export function rowToMetricPoint(row: PointRow): StoredMetricPoint {
  const name = exactTextsOf(row.exact).name ?? row.name;
  return storedMetricPointOf({ ...row, name, value: row.value_int ?? row.value_double });
}
