/**
 * Copies what a SQLite file holds into a PostgreSQL store (`skein migrate
 * --from file.db --to postgres://…`, issue 18). Here rather than in the CLI:
 * it turns each store's read records back into what a store writes, and
 * counts rows by the SQLite schema, both the store layer's knowledge.
 *
 * - Spans go as the SQLite store kept them (`StoredSpan` less what the store
 *   derived: the resolved session and the interrupted mark), already
 *   normalized and priced: nothing is normalized again, so the sessions'
 *   rollups on PostgreSQL are the file's. Writes are upserts on (trace,
 *   span): a second run replaces each span with itself.
 * - Log records and metric points have no identity in OTLP, so a second run
 *   must not add them again: for each stretch of time the copy reads what the
 *   target already holds and writes only the records that are not there yet
 *   (a multiset difference on their content). A run that stopped half way is
 *   finished by running it again; a target with other data is merged into.
 *   A log record with neither time nor observed time is ordered by when it
 *   was stored, which is not read back: such records are copied only when the
 *   target held no log records before the run, and counted otherwise.
 * - A metric point's \`metadata\` (its metric's, not shown by any reader) is
 *   read from the file's stream header: \`StoredMetricPoint\` has no field for it.
 * - Not copied: the outbox (payloads queued for the upstreams of the
 *   collector that received them: they belong to that collector's file) and
 *   the budget crossings' ledger (the PostgreSQL store has no way to take
 *   recorded crossings; the events on the crossing spans are copied with
 *   them). Both are counted for the caller to say so.
 */

import { hostname } from 'node:os';
import { decodeStorable, encodeStorable } from '../model/attributes-codec.js';
import type { RawLogRecord, StoredLogRecord } from '../model/log-types.js';
import type { RawMetric, StoredMetricPoint } from '../model/metric-types.js';
import type { Page } from '../model/query.js';
import type { Attributes, SpanRecord, StoredSpan } from '../model/types.js';
import type { StreamHeader } from './common/signal-keys.js';
import type { PostgresTraceStore } from './postgres/index.js';
import type { SqliteTraceStore } from './sqlite/index.js';
import { isProcessAlive } from './common/process-alive.js';
import { SqliteOutbox } from './sqlite/sqlite-outbox.js';

/** Records per read and per write: the stores' largest page. */
export const COPY_PAGE_SIZE = 1000;

/** What the SQLite file holds, counted before the copy (the progress totals). */
export interface SourceCounts {
  spans: number;
  sessions: number;
  logRecords: number;
  metricPoints: number;
  budgetCrossings: number;
  /** Queued and dead-lettered outbox entries. */
  outboxEntries: number;
}

export type CopyPhase = 'spans' | 'log records' | 'metric points';

export interface CopyOptions {
  /** Called after each page: records of `phase` done so far, of `total`. */
  onProgress?: (phase: CopyPhase, done: number, total: number) => void;
}

export interface SignalCopy {
  /** Written by this run. */
  written: number;
  /** Found in the target already (an earlier run, or the same record from elsewhere). */
  alreadyThere: number;
}

export interface CopyResult {
  source: SourceCounts;
  spans: number;
  logRecords: SignalCopy & {
    /** Records with no time left out because the target held log records before the run. */
    timelessSkipped: number;
  };
  metricPoints: SignalCopy;
}

/** Counts by the file's own tables: exact and cheap, where paging every record would read the file twice. */
export function countSqliteContents(source: SqliteTraceStore): SourceCounts {
  const db = source.database;
  const count = (table: string): number => Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
  const queues = new SqliteOutbox(db).queues();
  return {
    spans: count('spans'),
    sessions: count('sessions'),
    logRecords: count('log_records'),
    metricPoints: count('metric_points'),
    budgetCrossings: count('budget_events'),
    outboxEntries: queues.reduce((n, queue) => n + queue.entries + queue.deadLetters, 0),
  };
}

/**
 * Processes on this host that have the file open for writing (\`skein serve\`,
 * an app's span processor): what they write while the copy runs may be
 * missed. Their pids, from the file's writer registry.
 */
export function liveWritersOf(source: SqliteTraceStore): number[] {
  const rows = source.database.prepare('SELECT DISTINCT pid FROM writers WHERE hostname = ?').pluck().all(hostname()) as number[];
  return rows.map(Number).filter((pid) => isProcessAlive(pid));
}

/** The record a store writes, from the one it gave back: less the session it resolved and the interrupted mark. */
export function spanRecordOf(span: StoredSpan): SpanRecord {
  const record: Partial<StoredSpan> = { ...span };
  delete record.resolvedSessionId;
  delete record.interrupted;
  return record as SpanRecord;
}

export function rawLogOf(record: StoredLogRecord): RawLogRecord {
  const raw: Partial<StoredLogRecord> = { ...record };
  delete raw.id;
  delete raw.sessionId;
  return raw as RawLogRecord;
}

/**
 * The metric `metadata` of each point (by the file's point id): kept in the
 * file's stream header but not in `StoredMetricPoint`, so read here.
 */
function metricMetadataOf(source: SqliteTraceStore, points: readonly StoredMetricPoint[]): Map<number, Attributes> {
  const rows = source.database
    .prepare(`SELECT p.id AS id, s.body AS body FROM metric_points p JOIN metric_streams s ON s.id = p.stream_id
      WHERE p.id IN (SELECT value FROM json_each(?))`)
    .all(JSON.stringify(points.map((point) => point.id))) as { id: number; body: string }[];
  return new Map(rows.map((row) => [Number(row.id), decodeStorable<StreamHeader>(row.body).metadata]));
}

/** The point as a metric of one point, with its metric's `metadata` (which `StoredMetricPoint` does not carry). */
export function rawMetricOf(point: StoredMetricPoint, metadata: Attributes = {}): RawMetric {
  const header = { name: point.name, description: point.description, unit: point.unit, metadata, resource: point.resource, scope: point.scope };
  const base = { attributes: point.attributes, startTimeUnixNano: point.startTimeUnixNano, timeUnixNano: point.timeUnixNano, flags: point.flags };
  const detail = point.detail ?? {};
  const count = point.count ?? 0n;
  switch (point.type) {
    case 'gauge':
      return { ...header, type: 'gauge', points: [{ ...base, value: point.value ?? 0 }] };
    case 'sum':
      return {
        ...header,
        type: 'sum',
        temporality: point.temporality ?? 'unspecified',
        monotonic: point.monotonic ?? false,
        points: [{ ...base, value: point.value ?? 0 }],
      };
    case 'histogram':
      return {
        ...header,
        type: 'histogram',
        temporality: point.temporality ?? 'unspecified',
        points: [{
          ...base, count, sum: point.sum, min: point.min, max: point.max,
          bucketCounts: detail.bucketCounts as bigint[], explicitBounds: detail.explicitBounds as number[],
        }],
      };
    case 'exponentialHistogram':
      return {
        ...header,
        type: 'exponentialHistogram',
        temporality: point.temporality ?? 'unspecified',
        points: [{
          ...base, count, sum: point.sum, min: point.min, max: point.max,
          scale: detail.scale as number, zeroCount: detail.zeroCount as bigint, zeroThreshold: detail.zeroThreshold as number,
          positive: detail.positive as { offset: number; bucketCounts: bigint[] },
          negative: detail.negative as { offset: number; bucketCounts: bigint[] },
        }],
      };
    case 'summary':
      return {
        ...header,
        type: 'summary',
        points: [{ ...base, count, sum: point.sum ?? 0, quantileValues: detail.quantileValues as { quantile: number; value: number }[] }],
      };
  }
}

/** How one signal is read from both stores, compared and written. */
interface SignalCopier<T> {
  phase: CopyPhase;
  total: number;
  readSource(cursor: string | undefined): Promise<Page<T>>;
  /** The target's records with sort time in [from, to). */
  readTarget(from: bigint, to: bigint, cursor: string | undefined): Promise<Page<T>>;
  /** The time the stores order by and filter on; null when it is not known from the record. */
  sortTime(item: T): bigint | null;
  /** The record's content: equal for the same record in either store. */
  key(item: T): string;
  write(items: readonly T[]): Promise<void>;
}

/**
 * Copies one signal in time order. Records are buffered until their time
 * is complete (the next page may hold more of the same time), then each
 * stretch is compared with what the target holds in the same times.
 */
async function copySignal<T>(copier: SignalCopier<T>, onProgress: CopyOptions['onProgress']): Promise<SignalCopy & { timeless: T[] }> {
  const result = { written: 0, alreadyThere: 0, timeless: [] as T[] };
  let buffer: { item: T; time: bigint }[] = [];
  let cursor: string | undefined;
  let read = 0;
  const flush = async (stretch: { item: T; time: bigint }[]): Promise<void> => {
    let from = stretch[0].time;
    let to = stretch[0].time;
    for (const { time } of stretch) {
      if (time < from) from = time;
      if (time > to) to = time;
    }
    const there = new Map<string, number>();
    let targetCursor: string | undefined;
    do {
      const page = await copier.readTarget(from, to + 1n, targetCursor);
      for (const item of page.items) {
        const key = copier.key(item);
        there.set(key, (there.get(key) ?? 0) + 1);
      }
      targetCursor = page.nextCursor ?? undefined;
    } while (targetCursor !== undefined);
    const fresh: T[] = [];
    for (const { item } of stretch) {
      const key = copier.key(item);
      const n = there.get(key) ?? 0;
      if (n > 0) {
        there.set(key, n - 1);
        result.alreadyThere++;
      } else {
        fresh.push(item);
      }
    }
    for (let i = 0; i < fresh.length; i += COPY_PAGE_SIZE) await copier.write(fresh.slice(i, i + COPY_PAGE_SIZE));
    result.written += fresh.length;
  };
  for (;;) {
    const page = await copier.readSource(cursor);
    for (const item of page.items) {
      const time = copier.sortTime(item);
      if (time === null) result.timeless.push(item);
      else buffer.push({ item, time });
    }
    read += page.items.length;
    cursor = page.nextCursor ?? undefined;
    const last = cursor === undefined ? buffer.length : buffer.findIndex(({ time }) => time === buffer[buffer.length - 1].time);
    if (last > 0) {
      await flush(buffer.slice(0, last));
      buffer = buffer.slice(last);
    }
    onProgress?.(copier.phase, cursor === undefined ? read : read - buffer.length, copier.total);
    if (cursor === undefined) return result;
  }
}

/**
 * Every span, oldest start first: the order a collector mostly stored them
 * in, which the target's "newest first" (search) follows, and in which the
 * rollups add up as they did. getSpans pages newest first only, so the file
 * is read in windows of start time, each read whole and written reversed: a
 * window holding more than a page is halved and read again, one holding
 * less than half a page is doubled for the next. More than a page starting
 * in one nanosecond is read page by page.
 */
async function copySpans(source: SqliteTraceStore, target: PostgresTraceStore, total: number, onProgress: CopyOptions['onProgress']): Promise<number> {
  let copied = 0;
  onProgress?.('spans', 0, total);
  const write = async (page: readonly StoredSpan[]): Promise<void> => {
    await target.write(page.map(spanRecordOf).reverse());
    copied += page.length;
    onProgress?.('spans', copied, total);
  };
  const range = source.database.prepare('SELECT min(start_ns) AS first, max(start_ns) AS last FROM spans').safeIntegers(true).get() as
    | { first: bigint | null; last: bigint | null }
    | undefined;
  if (range?.first == null || range.last == null) return 0;
  const end = range.last + 1n;
  let from = range.first;
  // To begin with, as if the spans were spread evenly, half a page a window.
  let width = (end - from) / BigInt(Math.ceil(total / (COPY_PAGE_SIZE / 2))) + 1n;
  while (from < end) {
    const to = end - from < width ? end : from + width;
    const page = await source.getSpans({ fromUnixNano: from, toUnixNano: to, limit: COPY_PAGE_SIZE });
    if (page.nextCursor !== null && to - from > 1n) {
      width = (to - from) / 2n;
      continue;
    }
    await write(page.items);
    for (let cursor = page.nextCursor; cursor !== null; ) {
      const next = await source.getSpans({ fromUnixNano: from, toUnixNano: to, limit: COPY_PAGE_SIZE, cursor });
      await write(next.items);
      cursor = next.nextCursor;
    }
    from = to;
    if (page.items.length < COPY_PAGE_SIZE / 2) width *= 2n;
  }
  return copied;
}

/**
 * Copies every span, log record and metric point of `source` into `target`
 * (see the file's comment for what is not copied, and why a second run adds
 * nothing).
 */
export async function copyToPostgres(
  source: SqliteTraceStore,
  target: PostgresTraceStore,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const counts = countSqliteContents(source);
  const onProgress = options.onProgress;
  // Asked before anything is written: only into a target without log records is a timeless one surely new.
  const targetHadLogs = (await target.listLogs({ limit: 1 })).items.length > 0;

  const spans = await copySpans(source, target, counts.spans, onProgress);

  const logs = await copySignal<StoredLogRecord>(
    {
      phase: 'log records',
      total: counts.logRecords,
      readSource: (after) => source.listLogs({ limit: COPY_PAGE_SIZE, cursor: after }),
      readTarget: (from, to, after) => target.listLogs({ fromUnixNano: from, toUnixNano: to, limit: COPY_PAGE_SIZE, cursor: after }),
      sortTime: (record) => (record.timeUnixNano !== 0n ? record.timeUnixNano : record.observedTimeUnixNano !== 0n ? record.observedTimeUnixNano : null),
      key: (record) => encodeStorable(rawLogOf(record)),
      write: (records) => target.writeLogs(records.map(rawLogOf)),
    },
    onProgress,
  );
  let timelessSkipped = 0;
  if (logs.timeless.length > 0) {
    if (targetHadLogs) timelessSkipped = logs.timeless.length;
    else {
      for (let i = 0; i < logs.timeless.length; i += COPY_PAGE_SIZE) {
        await target.writeLogs(logs.timeless.slice(i, i + COPY_PAGE_SIZE).map(rawLogOf));
      }
      logs.written += logs.timeless.length;
    }
  }

  const points = await copySignal<StoredMetricPoint>(
    {
      phase: 'metric points',
      total: counts.metricPoints,
      readSource: (after) => source.listMetricPoints({ limit: COPY_PAGE_SIZE, cursor: after }),
      readTarget: (from, to, after) =>
        target.listMetricPoints({ fromUnixNano: from, toUnixNano: to, limit: COPY_PAGE_SIZE, cursor: after }),
      sortTime: (point) => point.timeUnixNano,
      key: (point) => encodeStorable({ ...point, id: 0, sessionId: null }),
      write: (items) => {
        const metadata = metricMetadataOf(source, items);
        return target.writeMetrics(items.map((point) => rawMetricOf(point, metadata.get(point.id))));
      },
    },
    onProgress,
  );

  return {
    source: counts,
    spans,
    logRecords: { written: logs.written, alreadyThere: logs.alreadyThere, timelessSkipped },
    metricPoints: { written: points.written, alreadyThere: points.alreadyThere },
  };
}
