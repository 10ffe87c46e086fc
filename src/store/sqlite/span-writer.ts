/**
 * The write path: one immediate transaction per batch that upserts the spans,
 * resolves their sessions and rewrites the touched sessions' rollups, so a
 * reader never sees spans without their rollup.
 *
 * Session resolution: a span's own key wins; a span without one inherits its
 * trace's session; a trace with none is its own session (id = trace id).
 * Children usually end, and so arrive, before the root that carries the key:
 * when a key first arrives for a trace that had the implicit session, the
 * trace's inheriting spans move to the keyed session and both rollups are
 * rebuilt. Otherwise each touched session gets the batch's delta.
 */

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { BudgetConfig, BudgetEventRecord } from '../../model/budgets.js';
import { spanContribution } from '../../model/rollup.js';
import type { SpanRecord } from '../../model/types.js';
import { BatchDeltas, factsOfRow } from '../common/session-delta.js';
import type { StoredFactsRow } from '../common/session-delta.js';
import { IGNORED, SUPERSEDED, effectiveRecords } from '../common/record-fates.js';
import type { WrittenRecord } from '../common/budget-crossings.js';
import type { BudgetLedger } from './budget-ledger.js';
import type { ChangeLog } from './change-log.js';
import type { SessionRollup } from './session-rollup.js';
import { SPAN_COLUMNS, encodeResource, encodeScope, spanParams, spanValues } from './span-row.js';
import { SharedValues } from './span-values.js';

interface TraceRow {
  session_id: string;
  explicit: bigint;
}

interface ExistingRow extends StoredFactsRow {
  id: bigint;
  name: string;
  input_text: string | null;
  output_text: string | null;
  reasoning_text: string | null;
  resolved_session_id: string;
  start_ns: bigint;
  model: string | null;
  named: bigint;
  raw: string;
}

export class SpanWriter {
  private readonly selectExisting: Database.Statement;
  private readonly upsertSpan: Database.Statement;
  private readonly ftsInsert: Database.Statement;
  private readonly ftsDelete: Database.Statement;
  private readonly selectTrace: Database.Statement;
  private readonly insertTrace: Database.Statement;
  private readonly makeTraceExplicit: Database.Statement;
  private readonly moveInheritingSpans: Database.Statement;
  private readonly selectResource: Database.Statement;
  private readonly insertResource: Database.Statement;
  private readonly selectString: Database.Statement;
  private readonly insertString: Database.Statement;
  private readonly touchWriter: Database.Statement;
  private readonly sharedValues: SharedValues;
  private readonly transaction: Database.Transaction<
    (records: readonly SpanRecord[], budgets: BudgetConfig | undefined) => BudgetEventRecord[]
  >;

  constructor(
    private readonly db: Database.Database,
    private readonly rollup: SessionRollup,
    private readonly writerId: string,
    private readonly registerWriter: () => void,
    private readonly changes: ChangeLog,
    private readonly budgetLedger?: BudgetLedger,
    /** Called in the transaction for each trace whose session the batch set: its log records follow (LogWriter.adoptTrace). */
    private readonly traceSessionSet?: (traceId: string, sessionId: string, atMillis: number) => void,
  ) {
    this.selectExisting = db
      .prepare(`SELECT id, name, input_text, output_text, reasoning_text, resolved_session_id, start_ns, end_ns,
          interrupted, is_error, model, c_llm, c_tool, c_input, c_output, c_reasoning, c_cache_read, c_cache_write,
          c_total, c_supplied_usd, c_computed_usd, c_unpriced, c_aggregate_usage, internal,
          (agent_name IS NOT NULL OR user_id IS NOT NULL) AS named, raw
        FROM spans WHERE trace_id = ? AND span_id = ?`)
      .safeIntegers(true);
    const updates = SPAN_COLUMNS.filter((c) => c !== 'trace_id' && c !== 'span_id')
      .map((c) => `${c} = excluded.${c}`)
      .join(', ');
    this.upsertSpan = db.prepare(
      `INSERT INTO spans (${SPAN_COLUMNS.join(', ')}) VALUES (${SPAN_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (trace_id, span_id) DO UPDATE SET ${updates}`,
    );
    // The full-text index is synced here, not by triggers (see migration 001).
    this.ftsInsert = db.prepare(
      'INSERT INTO spans_fts (rowid, name, input_text, output_text, reasoning_text) VALUES (?, ?, ?, ?, ?)',
    );
    this.ftsDelete = db.prepare(
      "INSERT INTO spans_fts (spans_fts, rowid, name, input_text, output_text, reasoning_text) VALUES ('delete', ?, ?, ?, ?, ?)",
    );
    this.selectTrace = db
      .prepare('SELECT session_id, explicit FROM traces WHERE trace_id = @traceId')
      .safeIntegers(true);
    this.insertTrace = db.prepare(
      'INSERT INTO traces (trace_id, session_id, explicit) VALUES (@traceId, @sessionId, @explicit)',
    );
    this.makeTraceExplicit = db.prepare(
      'UPDATE traces SET session_id = @sessionId, explicit = 1 WHERE trace_id = @traceId',
    );
    this.moveInheritingSpans = db.prepare(`UPDATE spans SET resolved_session_id = @sessionId
      WHERE trace_id = @traceId AND session_id IS NULL AND resolved_session_id = @fromSessionId`);
    this.selectResource = db.prepare('SELECT id FROM resources WHERE hash = @hash');
    this.insertResource = db.prepare('INSERT INTO resources (hash, body) VALUES (@hash, @body)');
    this.selectString = db.prepare('SELECT id FROM signal_strings WHERE text = ?').pluck();
    this.insertString = db.prepare('INSERT INTO signal_strings (text) VALUES (?)');
    this.touchWriter = db.prepare('UPDATE writers SET last_seen_ms = @nowMillis WHERE writer_id = @writerId');
    this.sharedValues = new SharedValues(db);
    this.transaction = db.transaction((records: readonly SpanRecord[], budgets: BudgetConfig | undefined) =>
      this.writeInTransaction(records, budgets),
    );
  }

  /**
   * Writes the batch in one immediate transaction (immediate: a deferred one could fail to upgrade under a concurrent writer),
   * or in the caller's when one is open: then a failed batch fails that transaction (the caller lets it throw) instead of
   * being undone alone. A savepoint of its own made SQLite copy every page the batch touched to a statement journal,
   * a temp file: +30% CPU per span in the ingest commit (writeSync in store.transaction, 100-span batches).
   * With `budgets`, returns the budget crossings the batch caused (recorded in that transaction).
   */
  write(records: readonly SpanRecord[], budgets?: BudgetConfig): BudgetEventRecord[] {
    if (records.length === 0) return [];
    if (this.db.inTransaction) return this.writeInTransaction(records, budgets);
    return this.transaction.immediate(records, budgets);
  }

  /** Trace rows read or written in the current transaction; cleared per batch, so never stale across processes. */
  private readonly traces = new Map<string, TraceRow>();
  /** Traces whose session this batch set (new, or moved to a key): their log records follow. */
  private readonly traceSessions = new Map<string, string>();

  private writeInTransaction(records: readonly SpanRecord[], budgets: BudgetConfig | undefined): BudgetEventRecord[] {
    this.traces.clear();
    this.traceSessions.clear();
    this.changes.discard();
    const batch = new BatchDeltas();
    const resourceIds = new Map<string, number | bigint>();
    const resourceIdOf = (body: string): number | bigint => {
      const cached = resourceIds.get(body);
      if (cached !== undefined) return cached;
      const hash = createHash('sha256').update(body).digest('base64url');
      const found = this.selectResource.get({ hash }) as { id: number } | undefined;
      const id = found ? found.id : this.insertResource.run({ hash, body }).lastInsertRowid;
      resourceIds.set(body, id);
      return id;
    };
    // Attribute key sets, interned (migration 010); cached for this transaction only (a rollback forgets them).
    const keysIds = new Map<string, number | bigint>();
    const attributeKeysId = (keysJson: string): number | bigint => {
      let keysId = keysIds.get(keysJson);
      if (keysId === undefined) {
        keysId = (this.selectString.get(keysJson) as number | undefined) ?? this.insertString.run(keysJson).lastInsertRowid;
        keysIds.set(keysJson, keysId);
      }
      return keysId;
    };
    // Long values stored once (migration 012); ids cached for this call only.
    const sharedValueId = this.sharedValues.writer();
    // SDK batches share one resource/scope object across spans: encode each object once.
    const encoded = new WeakMap<object, string>();
    const encodeOnce = <T extends object>(value: T, encode: (v: T) => string): string => {
      let text = encoded.get(value);
      if (text === undefined) {
        text = encode(value);
        encoded.set(value, text);
      }
      return text;
    };

    const effective = effectiveRecords(records);
    const written: WrittenRecord[] | null = budgets && this.budgetLedger ? [] : null;
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const fate = effective[i];
      if (fate === IGNORED) continue;
      // Positional: a named parameter costs a property lookup by a fresh name each time, and an object per span.
      const existing = this.selectExisting.get(record.traceId, record.spanId) as
        | ExistingRow
        | undefined;
      // An open record (onStart, or a late duplicate) never undoes an end already stored.
      if (existing && existing.end_ns !== null && record.endTimeUnixNano === null) continue;
      const sessionId = this.resolveSession(record, batch);
      // A later record of the batch replaces this one: its session key still counts, in arrival order.
      if (fate === SUPERSEDED) continue;
      const contribution = spanContribution(record);
      const open = record.endTimeUnixNano === null;
      const params = spanParams(record, {
        resolvedSessionId: sessionId,
        contribution,
        writerId: open ? this.writerId : null,
        resourceId: resourceIdOf(encodeOnce(record.raw.resource, encodeResource)),
        scopeId: resourceIdOf(encodeOnce(record.raw.scope, encodeScope)),
        attributeKeysId,
        sharedValueId,
      });
      const upserted = this.upsertSpan.run(spanValues(params));
      // The overwritten row's shared values lose its refs (after the new row's were counted).
      if (existing) this.sharedValues.release(existing.raw);
      // An agent's plumbing is kept but is no step: the change feed (the live stream) does not announce it.
      if (record.internal !== true) {
        const rowid = existing ? existing.id : upserted.lastInsertRowid;
        this.changes.stepWritten(record, sessionId, !existing, !open && (!existing || existing.end_ns === null), rowid);
      }
      const { name, input_text: input, output_text: output, reasoning_text: reasoning } = params;
      if (!existing) {
        this.ftsInsert.run(upserted.lastInsertRowid, name, input, output, reasoning);
      } else if (
        existing.name !== name ||
        existing.input_text !== input ||
        existing.output_text !== output ||
        existing.reasoning_text !== reasoning
      ) {
        this.ftsDelete.run(existing.id, existing.name, existing.input_text, existing.output_text, existing.reasoning_text);
        this.ftsInsert.run(existing.id, name, input, output, reasoning);
      }
      let named = record.agentName !== null || record.userId !== null;
      if (existing) {
        named ||= existing.named === 1n;
        if (existing.resolved_session_id !== sessionId) {
          batch.recompute(existing.resolved_session_id);
          batch.recompute(sessionId);
        } else if (
          existing.start_ns !== record.startTimeUnixNano ||
          (existing.end_ns !== null && existing.end_ns !== record.endTimeUnixNano)
        ) {
          // First start and last end are minima/maxima: a span moving in time cannot be undone by a delta.
          batch.recompute(sessionId);
        } else {
          batch.add(sessionId, factsOfRow(existing), -1, existing.model);
        }
      }
      batch.addContribution(sessionId, contribution, record.internal === true);
      written?.push({ record, sessionId });
      batch.observe(sessionId, record.traceId, record.startTimeUnixNano, record.endTimeUnixNano, named);
    }
    // A session of internal spans only is not listed by default, nor announced by the change feed.
    const listed = new Map<string, boolean>();
    for (const sessionId of batch.needsRecompute) listed.set(sessionId, this.rollup.recompute(sessionId));
    for (const [sessionId, delta] of batch.deltas) {
      if (!batch.needsRecompute.has(sessionId)) listed.set(sessionId, this.rollup.apply(sessionId, delta));
    }
    for (const [sessionId, shown] of listed) if (shown) this.changes.sessionTouched(sessionId);
    const nowMillis = Date.now();
    if (this.traceSessionSet) for (const [traceId, sessionId] of this.traceSessions) this.traceSessionSet(traceId, sessionId, nowMillis);
    const crossings =
      written && budgets && this.budgetLedger ? this.budgetLedger.evaluate(budgets, written, nowMillis, this.changes) : [];
    this.changes.flush(nowMillis);
    const touchedWriter = this.touchWriter.run({ nowMillis, writerId: this.writerId });
    // Someone judged this writer silent and removed it; come back so our open steps are watched again.
    if (touchedWriter.changes === 0) this.registerWriter();
    return crossings;
  }

  private resolveSession(record: SpanRecord, batch: BatchDeltas): string {
    const traceId = record.traceId;
    let trace = this.traces.get(traceId);
    if (!trace) {
      trace = this.selectTrace.get({ traceId }) as TraceRow | undefined;
      if (trace) this.traces.set(traceId, trace);
    }
    const key = record.sessionId;
    if (key === null) {
      if (trace) return trace.session_id;
      this.insertTrace.run({ traceId, sessionId: traceId, explicit: 0 });
      this.traces.set(traceId, { session_id: traceId, explicit: 0n });
      this.traceSessions.set(traceId, traceId);
      return traceId;
    }
    if (!trace) {
      this.insertTrace.run({ traceId, sessionId: key, explicit: 1 });
      this.traces.set(traceId, { session_id: key, explicit: 1n });
      this.traceSessions.set(traceId, key);
      return key;
    }
    if (trace.explicit === 0n) this.traces.set(traceId, { session_id: key, explicit: 1n });
    if (trace.explicit === 0n && trace.session_id !== key) {
      const fromSessionId = trace.session_id;
      this.makeTraceExplicit.run({ traceId, sessionId: key });
      this.traceSessions.set(traceId, key);
      const moved = this.moveInheritingSpans.run({ traceId, sessionId: key, fromSessionId });
      if (moved.changes > 0) {
        batch.recompute(fromSessionId);
        batch.recompute(key);
      }
    } else if (trace.explicit === 0n) {
      this.makeTraceExplicit.run({ traceId, sessionId: key });
    }
    // A trace already keyed to another session keeps it for its inheriting spans; this span keeps its own key.
    return key;
  }
}
