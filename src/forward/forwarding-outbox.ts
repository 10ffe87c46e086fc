/**
 * The outbox as the forwarder's one delivery loop sees it (an async port),
 * and its two adapters: SQLite's synchronous outbox of one process, and
 * PostgreSQL's outbox shared by replicas, where an entry is sent only on a
 * claim (a lease) that `claimDue` handed out.
 */

import type { OutboxEntry } from '../store/outbox.js';

export type ForwarderEntry = Pick<OutboxEntry, 'id' | 'signal' | 'payload' | 'spanCount' | 'attempts'>;

/**
 * What the forwarder needs of an outbox. Async, so that one loop serves a
 * local file and a database other replicas deliver from too. Any method may
 * reject (the database is down): the forwarder logs it and retries after its backoff.
 */
export interface ForwardingOutbox {
  /**
   * The entry to send now, undefined when none is due. `held` is the entry
   * whose last attempt failed or whose outcome could not be recorded: it
   * must go before anything newer of its queue.
   */
  next(upstream: string, held: ForwarderEntry | null): Promise<ForwarderEntry | undefined>;
  /** When to look again (epoch millis); null when nothing is queued for the upstream. */
  nextAttemptAt(upstream: string): Promise<number | null>;
  /** The upstream acknowledged it: it is never sent again. */
  delivered(id: number): Promise<void>;
  /** False when the entry is no longer this forwarder's to retry (dropped meanwhile, or taken over): it is then not retried. */
  retryLater(id: number, nextAttemptAtMillis: number, error: string): Promise<boolean>;
  /** A final refusal; false when the entry is no longer this forwarder's (dropped, or taken over: the new holder decides). */
  deadLetter(id: number, status: number | null, response: string): Promise<boolean>;
  /** The forwarder has stopped: what it holds is handed back, for other replicas to deliver now. */
  release(): Promise<void>;
}

/** What the forwarder needs of a synchronous outbox of one process (`SqliteOutbox` provides it). */
export interface ForwarderOutbox {
  /** Entries due now for the upstream, in the order they should be sent. */
  dueEntries(upstream: string, limit: number, nowMillis?: number): ForwarderEntry[];
  nextAttemptAt(upstream: string): number | null;
  delivered(id: number): void;
  /** False when the entry is no longer queued (dropped meanwhile): it is then not retried. */
  retryLater(id: number, nextAttemptAtMillis: number, error: string): boolean;
  deadLetter(id: number, status: number | null, response: string, nowMillis?: number): void;
}

/** What the forwarder needs of an outbox shared by replicas, that hands entries out on a lease (`PgOutbox` provides it). */
export interface ClaimingOutbox {
  claimDue(upstream: string, limit: number, leaseMillis: number, nowMillis?: number): Promise<ForwarderEntry[]>;
  nextAttemptAt(upstream: string): Promise<number | null>;
  delivered(id: number): Promise<boolean>;
  retryLater(id: number, nextAttemptAtMillis: number, error: string): Promise<boolean>;
  deadLetter(id: number, status: number | null, response: string): Promise<boolean>;
  /** Ends every claim of this replica, on every upstream. */
  releaseClaims(): Promise<number>;
}

/**
 * SQLite: one process delivers, so the entry that failed is simply sent
 * again, before anything newer (the due order would put newer entries, due
 * sooner, ahead of it).
 */
export class LocalForwardingOutbox implements ForwardingOutbox {
  constructor(private readonly outbox: ForwarderOutbox) {}

  async next(upstream: string, held: ForwarderEntry | null): Promise<ForwarderEntry | undefined> {
    return held ?? this.outbox.dueEntries(upstream, 1)[0];
  }

  async nextAttemptAt(upstream: string): Promise<number | null> {
    return this.outbox.nextAttemptAt(upstream);
  }

  async delivered(id: number): Promise<void> {
    this.outbox.delivered(id);
  }

  async retryLater(id: number, nextAttemptAtMillis: number, error: string): Promise<boolean> {
    return this.outbox.retryLater(id, nextAttemptAtMillis, error);
  }

  async deadLetter(id: number, status: number | null, response: string): Promise<boolean> {
    this.outbox.deadLetter(id, status, response);
    return true;
  }

  async release(): Promise<void> {}
}

/** Per claiming outbox (one replica), the forwarders on it not yet released: its claims end when the last one stops. */
const liveForwarders = new WeakMap<ClaimingOutbox, number>();

/**
 * PostgreSQL: every entry is claimed before it is sent, one at a time, on a
 * lease longer than an attempt can last, so that while this replica sends
 * it no other replica does. A held entry is claimed again like any other:
 * the queue's order keeps it first, and another replica may have delivered
 * it meanwhile (this one's lease ran out while the database was away).
 *
 * `releaseClaims()` ends the claims of every upstream of the replica, so it
 * runs when the last forwarder on this outbox stops, never while another is
 * sending on a claim.
 */
export class ClaimingForwardingOutbox implements ForwardingOutbox {
  private released = false;

  constructor(
    private readonly outbox: ClaimingOutbox,
    private readonly leaseMillis: number,
  ) {
    liveForwarders.set(outbox, (liveForwarders.get(outbox) ?? 0) + 1);
  }

  async next(upstream: string, _held: ForwarderEntry | null): Promise<ForwarderEntry | undefined> {
    return (await this.outbox.claimDue(upstream, 1, this.leaseMillis))[0];
  }

  nextAttemptAt(upstream: string): Promise<number | null> {
    return this.outbox.nextAttemptAt(upstream);
  }

  async delivered(id: number): Promise<void> {
    // False: already gone, or this replica's lease had run out (it may have been sent twice); either way the upstream has it.
    await this.outbox.delivered(id);
  }

  retryLater(id: number, nextAttemptAtMillis: number, error: string): Promise<boolean> {
    return this.outbox.retryLater(id, nextAttemptAtMillis, error);
  }

  deadLetter(id: number, status: number | null, response: string): Promise<boolean> {
    return this.outbox.deadLetter(id, status, response);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const others = (liveForwarders.get(this.outbox) ?? 1) - 1;
    liveForwarders.set(this.outbox, others);
    if (others === 0) await this.outbox.releaseClaims();
  }
}

/** The port on any outbox the forwarder accepts; `leaseMillis` is the claim's lease on a claiming one. */
export function forwardingOutboxOf(outbox: ForwarderOutbox | ClaimingOutbox | ForwardingOutbox, leaseMillis: number): ForwardingOutbox {
  if ('claimDue' in outbox) return new ClaimingForwardingOutbox(outbox, leaseMillis);
  if ('dueEntries' in outbox) return new LocalForwardingOutbox(outbox);
  return outbox;
}
