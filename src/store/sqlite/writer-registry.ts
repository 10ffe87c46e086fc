/**
 * Who is writing, so open steps left by a dead process can be told from open
 * steps of a live one sharing the file.
 *
 * Each store instance registers a row (writer id, pid, hostname); open span
 * rows carry the writer id. On open, and before the session reads, writers
 * on this host whose pid is gone have their open steps marked interrupted
 * (the end stays null) and their sessions' rollups rewritten
 * (`DeadWriterProbe` finds them with one read, so the common case writes
 * nothing). Writers on other hosts cannot be probed; they are only caught by
 * `markSilent`, when they have not written for a while.
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { isProcessAlive } from '../common/process-alive.js';
import type { ChangeLog } from './change-log.js';
import type { SessionRollup } from './session-rollup.js';

/**
 * Finds writers on this host whose process is gone: one read of the
 * small writers table and a signal-0 probe per row. Works on a read-only
 * connection.
 */
export class DeadWriterProbe {
  private readonly localPids: Database.Statement;
  /** Asked once: os.hostname() is a system call, and this runs before every session read. */
  private readonly hostname = hostname();

  constructor(db: Database.Database) {
    this.localPids = db.prepare('SELECT DISTINCT pid FROM writers WHERE hostname = @hostname').pluck();
  }

  /** True when some writer on this host is registered under a pid that no longer runs. */
  any(): boolean {
    return (this.localPids.all({ hostname: this.hostname }) as number[]).some((pid) => !isProcessAlive(pid));
  }
}

interface WriterRow {
  writer_id: string;
  pid: bigint;
  hostname: string;
  last_seen_ms: bigint;
}

export class WriterRegistry {
  readonly writerId = randomUUID();
  private readonly insertWriter: Database.Statement;
  private readonly deleteWriter: Database.Statement;
  private readonly selectWriters: Database.Statement;
  private readonly openSteps: Database.Statement;
  private readonly markOpen: Database.Statement;
  private readonly probe: DeadWriterProbe;

  constructor(
    private readonly db: Database.Database,
    private readonly rollup: SessionRollup,
    private readonly changes: ChangeLog,
  ) {
    this.insertWriter = db.prepare(`INSERT INTO writers (writer_id, pid, hostname, started_at_ms, last_seen_ms)
      VALUES (@writerId, @pid, @hostname, @nowMillis, @nowMillis)
      ON CONFLICT (writer_id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms`);
    this.deleteWriter = db.prepare('DELETE FROM writers WHERE writer_id = @writerId');
    this.selectWriters = db
      .prepare('SELECT writer_id, pid, hostname, last_seen_ms FROM writers WHERE writer_id <> @writerId')
      .safeIntegers(true);
    this.openSteps = db.prepare(`SELECT resolved_session_id AS sessionId, trace_id AS traceId, span_id AS spanId
      FROM spans WHERE writer_id = @writerId AND end_ns IS NULL AND interrupted = 0`);
    this.markOpen = db.prepare(`UPDATE spans SET interrupted = 1, writer_id = NULL
      WHERE writer_id = @writerId AND end_ns IS NULL`);
    this.probe = new DeadWriterProbe(db);
  }

  /** Inside a write transaction. */
  register(): void {
    this.insertWriter.run({ writerId: this.writerId, pid: process.pid, hostname: hostname(), nowMillis: Date.now() });
  }

  /**
   * Marks the open steps of writers on this host whose process is gone, and
   * forgets those writers. Returns the steps marked. Takes the write lock
   * only when the probe found one.
   */
  recoverDeadWriters(): number {
    if (!this.probe.any()) return 0;
    const host = hostname();
    return this.markWriters((w) => w.hostname === host && !isProcessAlive(Number(w.pid)));
  }

  /**
   * Marks the open steps of other writers that have not written for
   * `silentForMillis`. With `spareLiveLocal`, a writer on this host whose
   * process is still running is left alone however long it has been quiet (a
   * long model call writes nothing until it ends); only the dead and those on
   * other hosts, which cannot be probed, are judged by silence.
   */
  markSilent(silentForMillis: number, spareLiveLocal = false): number {
    const cutoff = BigInt(Date.now() - silentForMillis);
    const host = hostname();
    return this.markWriters(
      (w) => w.last_seen_ms < cutoff && !(spareLiveLocal && w.hostname === host && isProcessAlive(Number(w.pid))),
    );
  }

  /**
   * On close: this instance will never end its open steps, so they are
   * interrupted now rather than left looking like they still run.
   */
  unregister(): number {
    const run = this.db.transaction(() => {
      const marked = this.markWriter(this.writerId);
      this.deleteWriter.run({ writerId: this.writerId });
      return marked;
    });
    return run.immediate();
  }

  private markWriters(select: (writer: WriterRow) => boolean): number {
    const run = this.db.transaction(() => {
      let marked = 0;
      for (const writer of this.selectWriters.all({ writerId: this.writerId }) as WriterRow[]) {
        if (!select(writer)) continue;
        marked += this.markWriter(writer.writer_id);
        this.deleteWriter.run({ writerId: writer.writer_id });
      }
      return marked;
    });
    return run.immediate();
  }

  private markWriter(writerId: string): number {
    const bySession = new Map<string, Array<{ traceId: string; spanId: string }>>();
    for (const step of this.openSteps.all({ writerId }) as Array<{ sessionId: string; traceId: string; spanId: string }>) {
      let steps = bySession.get(step.sessionId);
      if (!steps) bySession.set(step.sessionId, (steps = []));
      steps.push({ traceId: step.traceId, spanId: step.spanId });
    }
    const marked = this.markOpen.run({ writerId }).changes;
    const nowMillis = Date.now();
    for (const [sessionId, steps] of bySession) {
      this.rollup.recompute(sessionId);
      // The feed says so in the same transaction: a live view learns that nothing will end these steps.
      this.changes.stepsInterrupted(sessionId, steps);
      this.changes.sessionTouched(sessionId);
    }
    if (bySession.size > 0) this.changes.flush(nowMillis);
    return marked;
  }
}
