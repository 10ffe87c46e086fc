/**
 * Connections to PostgreSQL (node-postgres). Every pool Skein opens parses
 * int8 as `bigint` (nanosecond times past 2^53 stay exact) and names the
 * database without its password in errors and messages.
 */

import pg from 'pg';

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

export interface PoolOptions {
  /** Connections in the pool. Default 4. */
  max?: number;
}

export function openPool(url: string, options: PoolOptions = {}): pg.Pool {
  const max = options.max ?? 4;
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new RangeError(`PostgreSQL pool max must be an integer from 1 to 1000, got ${String(max)}`);
  }
  return new pg.Pool({ connectionString: url, max, types, application_name: 'skein' });
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

/** True for `postgres://` and `postgresql://` URLs: what selects this store. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** Runs `work` in one transaction on one pooled client: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  /** Set when ROLLBACK failed: the connection is in an unknown state, and the pool destroys it. */
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    }
  } finally {
    client.release(broken);
  }
}
