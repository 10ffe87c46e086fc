/**
 * Who is writing, so the open steps of a collector that is gone can be told
 * from the open steps of one that still runs, when several share a database.
 *
 * Each read-write store registers a row (writer id, host, pid) and
 * heartbeats it on a timer; the open steps it writes carry its writer id. A
 * writer is dead when it is really gone: on this host (same boot and PID
 * namespace) its pid no longer runs, which is seen at once; on any host, it
 * has not heartbeated for the grace period (which also catches a pid here
 * that another process reused). A live writer heartbeats, so only one whose
 * event loop stalls past the grace period could be judged dead; its next
 * heartbeat registers it again, and its steps' ends still arrive. Times are
 * the database server's clock, so replicas with skewed clocks agree.
 *
 * Marking a dead writer's open steps interrupted happens once, whoever sees
 * it first: the transaction deletes the writer's row (only if its heartbeat
 * is still the one judged) and goes on only with the rows its DELETE
 * returned; a second replica's DELETE waits for the first to commit, then
 * finds nothing. The steps are marked under the write path's locks (their
 * traces, then their sessions), and their sessions' rollups rebuilt.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type pg from 'pg';
import { isProcessAlive } from '../common/process-alive.js';
import { lockSessions, lockTraces } from './advisory-locks.js';
import { inTransaction } from './connection.js';
import { prepared } from './query-params.js';
import type { PgSessionRollup } from './session-rollup.js';

export const DEFAULT_HEARTBEAT_MILLIS = 5_000;
export const DEFAULT_DEAD_WRITER_GRACE_MILLIS = 60_000;

/** An open step marked interrupted because its writer is gone. */
export interface InterruptedStep {
  sessionId: string;
  traceId: string;
  spanId: string;
}

/**
 * Called in the transaction that marked the steps, after their sessions'
 * rollups: the change feed's place to say that nothing will end them.
 */
export type StepsInterruptedHook = (client: pg.PoolClient, steps: readonly InterruptedStep[]) => Promise<void>;

export interface WriterRegistryOptions {
  /** How often this writer says it is alive, and looks for dead ones. Default 5 s. */
  heartbeatMillis?: number;
  /** A writer on another host is dead after this long without a heartbeat. Default 60 s. */
  deadWriterGraceMillis?: number;
}

/** `value` as a whole number of milliseconds in `min..max`; the error names the option. */
function millisOption(value: number | undefined, fallback: number, name: string, min: number, max: number): number {
  const millis = value ?? fallback;
  if (!Number.isInteger(millis) || millis < min || millis > max) {
    throw new RangeError(`PostgreSQL store option ${name} must be a whole number of milliseconds from ${min} to ${max}, got ${String(millis)}`);
  }
  return millis;
}

/** Validated registry options: the grace period must outlast several heartbeats. */
export function writerRegistryOptions(options: WriterRegistryOptions): Required<WriterRegistryOptions> {
  const heartbeatMillis = millisOption(options.heartbeatMillis, DEFAULT_HEARTBEAT_MILLIS, 'heartbeatMillis', 10, 600_000);
  const deadWriterGraceMillis = millisOption(
    options.deadWriterGraceMillis,
    Math.max(DEFAULT_DEAD_WRITER_GRACE_MILLIS, 3 * heartbeatMillis),
    'deadWriterGraceMillis',
    3 * heartbeatMillis,
    86_400_000,
  );
  return { heartbeatMillis, deadWriterGraceMillis };
}

/**
 * Which pids this process can probe: the same boot and PID namespace (two
 * containers sharing a hostname do not see each other's pids). '' where the
 * system does not say (not Linux): then the hostname alone decides.
 */
function pidScope(): string {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${boot}/${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return '';
  }
}

/** The database server's clock in milliseconds: one clock for every replica, whatever their own say. */
export const SERVER_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::int8';
const NOW_MS = SERVER_NOW_MS;

const REGISTER_SQL = `INSERT INTO writers (writer_id, pid, hostname, pid_scope, started_at_ms, last_seen_ms)
  VALUES ($1, $2, $3, $4, ${NOW_MS}, ${NOW_MS})
  ON CONFLICT (writer_id) DO UPDATE SET last_seen_ms = EXCLUDED.last_seen_ms`;

const HEARTBEAT_SQL = `UPDATE writers SET last_seen_ms = ${NOW_MS} WHERE writer_id = $1`;

const OTHER_WRITERS_SQL = `SELECT writer_id, pid, hostname, pid_scope, last_seen_ms, ${NOW_MS} AS now_ms
  FROM writers WHERE writer_id <> $1`;

/** Forgets a judged writer if its heartbeat is still the one judged; returns it if it did. */
const FORGET_WRITER_SQL = 'DELETE FROM writers WHERE writer_id = $1 AND last_seen_ms = $2 RETURNING writer_id';

const OPEN_TRACES_SQL = `SELECT DISTINCT trace_id FROM spans
  WHERE writer_id = $1 AND end_ns IS NULL AND NOT interrupted`;

const OPEN_STEPS_SQL = `SELECT resolved_session_id FROM spans
  WHERE writer_id = $1 AND end_ns IS NULL AND NOT interrupted AND trace_id = ANY($2::text[])`;

const MARK_SQL = `UPDATE spans SET interrupted = true, writer_id = NULL
  WHERE writer_id = $1 AND end_ns IS NULL AND NOT interrupted AND trace_id = ANY($2::text[])
  RETURNING resolved_session_id, trace_id, span_id`;

interface WriterRow {
  writer_id: string;
  pid: number;
  hostname: string;
  pid_scope: string;
  last_seen_ms: bigint;
  now_ms: bigint;
}

export class PgWriterRegistry {
  readonly writerId = randomUUID();
  readonly heartbeatMillis: number;
  readonly deadWriterGraceMillis: number;
  /** Asked once: both are system calls, and every heartbeat judges with them. */
  private readonly hostname = hostname();
  private readonly pidScope = pidScope();
  private timer: NodeJS.Timeout | undefined;
  /** The running heartbeat, awaited by `stop` so the pool is not ended under it. */
  private beat: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly rollup: PgSessionRollup,
    options: WriterRegistryOptions = {},
    private readonly onStepsInterrupted?: StepsInterruptedHook,
  ) {
    const valid = writerRegistryOptions(options);
    this.heartbeatMillis = valid.heartbeatMillis;
    this.deadWriterGraceMillis = valid.deadWriterGraceMillis;
  }

  async register(): Promise<void> {
    await this.pool.query(prepared(REGISTER_SQL, [this.writerId, process.pid, this.hostname, this.pidScope]));
  }

  /**
   * Starts the heartbeat: each beat says this writer is alive (registering
   * again if a replica judged it dead and removed it, so its new open steps
   * are watched) and marks the open steps of dead writers. Unref'd: it never
   * keeps the process alive. A failed beat (the server unreachable) is
   * skipped; the next one tries again.
   */
  start(): void {
    this.timer ??= setInterval(() => {
      this.beat ??= this.heartbeat()
        .then(() => this.recoverDeadWriters())
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          this.beat = undefined;
        });
    }, this.heartbeatMillis);
    this.timer.unref();
  }

  /** Stops the heartbeat and waits for a beat under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beat;
  }

  async heartbeat(): Promise<void> {
    const { rowCount } = await this.pool.query(prepared(HEARTBEAT_SQL, [this.writerId]));
    if (rowCount === 0) await this.register();
  }

  /**
   * Marks the open steps of every dead writer but this one, each once
   * across replicas; returns the steps marked. One transaction per writer:
   * its row is the only row lock it takes before the advisory locks, so two
   * replicas judging the same writers cannot deadlock on them.
   */
  async recoverDeadWriters(): Promise<number> {
    const { rows } = await this.pool.query<WriterRow>(prepared(OTHER_WRITERS_SQL, [this.writerId]));
    let marked = 0;
    for (const writer of rows) {
      if (!this.isDead(writer)) continue;
      marked += await inTransaction(this.pool, async (client) => {
        const forgotten = await client.query(prepared(FORGET_WRITER_SQL, [writer.writer_id, writer.last_seen_ms]));
        return forgotten.rowCount === 0 ? 0 : this.markOpenSteps(client, writer.writer_id);
      });
    }
    return marked;
  }

  /**
   * On close: this instance will never end its open steps, so they are
   * marked interrupted now (as SQLite does) rather than left reading as
   * running until the grace period ends; then its row goes. Returns the
   * steps marked.
   */
  async unregister(): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      await client.query(prepared('DELETE FROM writers WHERE writer_id = $1', [this.writerId]));
      return this.markOpenSteps(client, this.writerId);
    });
  }

  private isDead(writer: WriterRow): boolean {
    if (writer.now_ms - writer.last_seen_ms > BigInt(this.deadWriterGraceMillis)) return true;
    return writer.hostname === this.hostname && writer.pid_scope === this.pidScope && !isProcessAlive(writer.pid);
  }

  /**
   * Marks the writer's open steps interrupted and rebuilds their sessions,
   * under the locks of the write path: their traces, then (read again under
   * those, which keep a span's session still) their sessions.
   */
  private async markOpenSteps(client: pg.PoolClient, writerId: string): Promise<number> {
    const traces = (await client.query<{ trace_id: string }>(prepared(OPEN_TRACES_SQL, [writerId]))).rows.map(
      (row) => row.trace_id,
    );
    if (traces.length === 0) return 0;
    await lockTraces(client, traces);
    const sessions = await client.query<{ resolved_session_id: string }>(prepared(OPEN_STEPS_SQL, [writerId, traces]));
    await lockSessions(client, sessions.rows.map((row) => row.resolved_session_id));
    const marked = await client.query<{ resolved_session_id: string; trace_id: string; span_id: string }>(
      prepared(MARK_SQL, [writerId, traces]),
    );
    const steps = marked.rows.map((row): InterruptedStep => ({
      sessionId: row.resolved_session_id,
      traceId: row.trace_id,
      spanId: row.span_id,
    }));
    await this.rollup.recompute(client, [...new Set(steps.map((step) => step.sessionId))]);
    if (steps.length > 0) await this.onStepsInterrupted?.(client, steps);
    return steps.length;
  }
}
