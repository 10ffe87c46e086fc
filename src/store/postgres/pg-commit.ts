/**
 * `PostgresTraceStore.commit`: an ingest commit's reads and writes in one
 * transaction on one pooled client (commit-transaction.ts), run again from
 * the start when PostgreSQL rolled it back for a deadlock or a
 * serialization failure.
 *
 * Each method is the store's own code run on the commit's client (the span
 * writer's `writeIn`, `PgSignals.writeLogsIn`, the same `getSpans` and
 * `listLogs`), except the change feed's appends: the writers' events are
 * kept and appended once `work` has resolved, as the transaction's last
 * statements, since from an append to COMMIT every other appender of the
 * database waits (change-log.ts).
 */

import type pg from 'pg';
import type { BudgetConfig, BudgetEventRecord } from '../../model/budgets.js';
import type { LogQuery, RawLogRecord, StoredLogRecord } from '../../model/log-types.js';
import type { RawMetric } from '../../model/metric-types.js';
import type { Page, SpanQuery } from '../../model/query.js';
import type { SpanRecord, StoredSpan } from '../../model/types.js';
import { StoreError } from '../errors.js';
import type { EnqueueOptions } from '../outbox.js';
import { lockTraces } from './advisory-locks.js';
import type { FeedChanges, PgChangeLog } from './change-log.js';
import type { PgCommitTransaction, ResourceAndScope } from './commit-transaction.js';
import { abortsTransaction, inTransaction, isTransactionConflict } from './connection.js';
import type { PgOutbox } from './pg-outbox.js';
import type { PgSignals } from './signal-store.js';
import type { PgSpanQueries } from './span-queries.js';
import { prepareBatch } from './span-writer.js';
import type { PgSpanWriter } from './span-writer.js';

/** Attempts of one commit in all: the first, and two more after a deadlock or serialization failure. */
export const COMMIT_ATTEMPTS = 3;

/** The store's parts a commit runs on its client. */
export interface CommitParts {
  writer: PgSpanWriter;
  spans: PgSpanQueries;
  signals: PgSignals;
  outbox: PgOutbox;
  changes: PgChangeLog;
}

/**
 * Runs `work` in a transaction of its own, at most `COMMIT_ATTEMPTS` times:
 * again from the start (a new transaction, a new `tx`) when the attempt
 * failed with SQLSTATE 40P01 or 40001, whatever statement or COMMIT raised
 * it. `work` must therefore be re-runnable: it may not keep anything of an
 * attempt (crossings, ids read) beyond it. Any other error is thrown as is.
 */
export async function runCommit<T>(pool: pg.Pool, parts: CommitParts, work: (tx: PgCommitTransaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(pool, async (client) => {
        const tx = new CommitTransaction(client, parts);
        try {
          const result = await work(tx);
          await tx.finish();
          return result;
        } finally {
          tx.end();
        }
      });
    } catch (error) {
      if (attempt >= COMMIT_ATTEMPTS || !isTransactionConflict(error)) throw error;
    }
  }
}

/**
 * One attempt's `PgCommitTransaction`. Its calls must be made one after
 * another (each awaited before the next): the client runs one statement at
 * a time, and the span writer's steps must not interleave with another's.
 */
class CommitTransaction implements PgCommitTransaction {
  /** The writers' change feed events, in the order written, appended by `finish`. */
  private readonly feed: FeedChanges[] = [];
  /** The first error that aborted the transaction: `finish` throws it rather than COMMIT nothing. */
  private failure: { error: unknown } | null = null;
  private ended = false;
  /** The traces `lockTraces` locked, and the ids of the resources `storeResources` stored: the span writer takes neither again. */
  private readonly held = { traces: new Set<string>(), resourceIds: new Map<string, bigint>() };

  constructor(
    private readonly client: pg.PoolClient,
    private readonly parts: CommitParts,
  ) {}

  storeResources(items: readonly ResourceAndScope[]): Promise<void> {
    return this.run(async () => {
      for (const [hash, id] of await this.parts.writer.storeResources(this.client, items)) this.held.resourceIds.set(hash, id);
    });
  }

  lockTraces(traceIds: Iterable<string>): Promise<void> {
    return this.run(async () => {
      const ids = [...traceIds];
      await lockTraces(this.client, ids);
      for (const traceId of ids) this.held.traces.add(traceId);
    });
  }

  getSpans(query: SpanQuery): Promise<Page<StoredSpan>> {
    return this.run(() => this.parts.spans.getSpans(query, this.client));
  }

  listLogs(query: LogQuery): Promise<Page<StoredLogRecord>> {
    return this.run(() => this.parts.signals.listLogs(query, this.client));
  }

  hasTraceLogs(traceId: string): Promise<boolean> {
    return this.run(() => this.parts.signals.hasTraceLogs(traceId, this.client));
  }

  writeSpans(records: readonly SpanRecord[], budgets?: BudgetConfig): Promise<BudgetEventRecord[]> {
    return this.run(async () => {
      const { crossings, changes } = await this.parts.writer.writeIn(this.client, prepareBatch(records), budgets, this.held);
      this.feed.push(changes);
      return crossings;
    });
  }

  writeLogs(records: readonly RawLogRecord[]): Promise<void> {
    return this.run(async () => {
      const logs = await this.parts.signals.writeLogsIn(this.client, records, this.held.traces);
      if (logs.length === 0) return;
      // After a span write, in one append: its events and then these, as two appends would have them.
      const last = this.feed[this.feed.length - 1] as FeedChanges | undefined;
      if (last !== undefined && (last.logs === undefined || last.logs.length === 0)) last.logs = logs;
      else this.feed.push({ logs });
    });
  }

  writeMetrics(metrics: readonly RawMetric[]): Promise<void> {
    return this.run(() => this.parts.signals.writeMetrics(metrics, this.client));
  }

  enqueue(upstreams: readonly string[], payload: Uint8Array, itemCount: number, options?: EnqueueOptions): Promise<void> {
    return this.run(() => this.parts.outbox.enqueueIn(this.client, upstreams, payload, itemCount, options));
  }

  /** After `work` resolved: throws the error that aborted the transaction, if any; else appends the change feed events. */
  async finish(): Promise<void> {
    if (this.failure !== null) throw this.failure.error;
    this.ended = true;
    for (const changes of this.feed) await this.parts.changes.append(this.client, changes);
  }

  /** No call after the attempt: its client is back in the pool, perhaps in another transaction. */
  end(): void {
    this.ended = true;
  }

  private async run<T>(step: () => Promise<T>): Promise<T> {
    if (this.ended) throw new StoreError('this commit has ended: its transaction is usable only while its work runs');
    if (this.failure !== null) throw this.failure.error;
    try {
      return await step();
    } catch (error) {
      if (abortsTransaction(error)) this.failure = { error };
      throw error;
    }
  }
}
