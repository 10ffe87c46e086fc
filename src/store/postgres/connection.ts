/**
 * Connections to PostgreSQL (node-postgres). Every pool Skein opens parses
 * int8 as `bigint` (nanosecond times past 2^53 stay exact) and names the
 * database without its password in errors and messages.
 */

import pg from 'pg';
import { StoreError, StoreUnavailableError } from '../errors.js';

/** int8 (OID 20) → bigint and int8[] (OID 1016) → (bigint | null)[]; every other type as node-postgres parses it. */
const INT8_OID = 20;
const INT8_ARRAY_OID = 1016;
/** node-postgres' own parser of one type (its `TypeId` union does not list array OIDs such as int8[]). */
const parserOf = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => (value: string) => unknown;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => BigInt(value);
    if (oid === INT8_ARRAY_OID) {
      const strings = parserOf(INT8_ARRAY_OID, 'text') as (value: string) => (string | null)[];
      return (value: string) => strings(value).map((item) => (item === null ? null : BigInt(item)));
    }
    return parserOf(oid, format);
  },
} as pg.CustomTypesConfig;

/** How long a new connection may take before the attempt fails (and the store reports the database unavailable). */
const CONNECT_TIMEOUT_MILLIS = 10_000;

export interface PoolOptions {
  /** Connections in the pool. Default 4. */
  max?: number;
  /** Idle connections do not keep the process alive (a store inside an app: the processor's `dbUrl`). Default false. */
  allowExitOnIdle?: boolean;
}

export function openPool(url: string, options: PoolOptions = {}): pg.Pool {
  const max = options.max ?? 4;
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new RangeError(`PostgreSQL pool max must be an integer from 1 to 1000, got ${String(max)}`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types,
    application_name: 'skein',
    allowExitOnIdle: options.allowExitOnIdle ?? false,
    // A host that drops packets (not one that refuses) would otherwise hang a connect for the OS's TCP timeout.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MILLIS,
  });
  // A client checked out has no listener of its own: the server going away between two of its statements
  // (idle in a transaction) would be an uncaught 'error'. Its next query reports the lost connection instead.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
}

/** The URL without its password: what messages name. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable PostgreSQL URL)';
  }
}

/**
 * What runs a statement: the pool (on any free connection, in a transaction
 * of its own) or one client (in the transaction it is in). Both
 * `pg.Pool` and `pg.PoolClient` are one.
 */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/** True for `postgres://` and `postgresql://` URLs: what selects this store. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/**
 * Runs `work` in one transaction on one pooled client: COMMIT when it
 * resolves, ROLLBACK when it throws. A COMMIT that the server turned into a
 * ROLLBACK (a statement failed and `work` caught its error) throws.
 *
 * The transaction is READ COMMITTED whatever the database's
 * `default_transaction_isolation`: the writers rely on each statement's
 * snapshot being taken after the locks before it (advisory-locks.ts,
 * change-log.ts); under REPEATABLE READ or SERIALIZABLE, concurrent
 * writers would fail with serialization errors (40001).
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await begin(pool);
  /** Set when ROLLBACK failed: the connection is in an unknown state, and the pool destroys it. */
  let broken: Error | undefined;
  try {
    const result = await work(client);
    const committed = await client.query('COMMIT');
    if (committed.command === 'ROLLBACK') {
      throw new StoreError('the transaction was rolled back: one of its statements failed, and the error was caught');
    }
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Every transaction Skein begins (`inTransaction`). */
export const BEGIN_SQL = 'BEGIN ISOLATION LEVEL READ COMMITTED';

/**
 * A pooled client in a new transaction. An idle client whose server went
 * away (restarted, failed over) may be handed out before the pool noticed:
 * its BEGIN fails, nothing was done, and another client is taken, once.
 */
async function begin(pool: pg.Pool): Promise<pg.PoolClient> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query(BEGIN_SQL);
      return client;
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
      if (attempt >= 2 || !isUnavailable(error)) throw error;
    }
  }
}

/** Node's errors of a connection that could not be made or was cut. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that is going away or cannot take a connection:
 * admin and crash shutdown, cannot connect now, too many connections
 * (class 08, connection exception, is matched by its prefix).
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** node-postgres' own errors of a lost or unusable connection. */
const LOST_CONNECTION = /^Connection terminated|^Client has encountered a connection error|^timeout exceeded when trying to connect/;

/** The error, then its `cause` chain and an AggregateError's errors (Node tries each address of a host). */
function* errorChain(error: unknown, depth = 0): Generator<unknown> {
  if (error === null || error === undefined || depth > 8) return;
  yield error;
  if (error instanceof AggregateError) for (const inner of error.errors) yield* errorChain(inner, depth + 1);
  if (error instanceof Error && error.cause !== undefined) yield* errorChain(error.cause, depth + 1);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `error` says the database cannot be reached or the connection was lost (not what a statement did). */
export function isUnavailable(error: unknown): boolean {
  for (const link of errorChain(error)) {
    const code = codeOf(link);
    if (code !== undefined && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) {
      return true;
    }
    if (link instanceof Error && LOST_CONNECTION.test(link.message)) return true;
  }
  return false;
}

/**
 * Whether `error` is a deadlock (40P01) or a serialization failure (40001):
 * the transaction was rolled back, and running it again from the start may
 * succeed.
 */
export function isTransactionConflict(error: unknown): boolean {
  for (const link of errorChain(error)) {
    const code = codeOf(link);
    if (code === '40P01' || code === '40001') return true;
  }
  return false;
}

/**
 * Whether `error` came from the server or the connection: after it, the
 * transaction is aborted (every later statement fails until ROLLBACK).
 * An error thrown before a statement was sent (a query refused by its
 * checks) leaves the transaction usable.
 */
export function abortsTransaction(error: unknown): boolean {
  return error instanceof pg.DatabaseError || isUnavailable(error);
}

/** `StoreUnavailableError` naming `database` when `error` is an unavailable database; `error` otherwise. */
export function unavailableAs(error: unknown, database: string): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error;
  return new StoreUnavailableError(database, error);
}
