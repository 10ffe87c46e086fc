/**
 * Opening the PostgreSQL store against a real server that this file starts:
 * migrations applied once by several collectors starting together, a newer
 * schema refused naming the database, and a database that cannot be reached,
 * logged into or written, each with a message naming the problem and never
 * the password.
 */

import { describe, expect, it } from 'vitest';
import { SchemaVersionError, StoreError } from '../../src/store/errors.js';
import { PG_SCHEMA_VERSION, PostgresTraceStore } from '../../src/store/postgres/index.js';
import { usePostgres } from '../helpers/postgres-hooks.js';
import { sql } from '../helpers/postgres-server.js';

const server = usePostgres();

/** The URL of the same server and database as another user. */
function asUser(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
}

describe('PostgresTraceStore.open', () => {
  it('migrates a new database once when several collectors open it at the same time', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([1, 2, 3].map(() => PostgresTraceStore.open({ url })));
    await Promise.all(stores.map((store) => store.close()));
    const versions = await sql(url, 'SELECT version FROM skein_schema');
    expect(versions.rows).toEqual([{ version: PG_SCHEMA_VERSION }]);
  });

  it('refuses a schema from a newer Skein, naming the database and both versions, and leaves it as it was', async () => {
    const url = await server.createDatabase();
    await (await PostgresTraceStore.open({ url })).close();
    await sql(url, 'UPDATE skein_schema SET version = $1', [PG_SCHEMA_VERSION + 1]);
    const opening = PostgresTraceStore.open({ url });
    await expect(opening).rejects.toBeInstanceOf(SchemaVersionError);
    await expect(opening).rejects.toThrow(
      `${url.replace(':skein@', ':***@')} has Skein schema version ${PG_SCHEMA_VERSION + 1}, newer than version ${PG_SCHEMA_VERSION}`,
    );
    await expect(PostgresTraceStore.open({ url, readonly: true })).rejects.toBeInstanceOf(SchemaVersionError);
    expect((await sql(url, 'SELECT version FROM skein_schema')).rows).toEqual([{ version: PG_SCHEMA_VERSION + 1 }]);
  });

  it('opens read-only without migrating, and refuses a database Skein has not set up', async () => {
    const url = await server.createDatabase();
    await expect(PostgresTraceStore.open({ url, readonly: true })).rejects.toThrow(/has Skein schema version 0, older than/);
    expect((await sql(url, "SELECT to_regclass('spans') IS NULL AS absent")).rows).toEqual([{ absent: true }]);
    await (await PostgresTraceStore.open({ url })).close();
    const reader = await PostgresTraceStore.open({ url, readonly: true });
    await expect(reader.write([])).rejects.toThrow(/is read-only/);
    await reader.close();
  });

  it('names the database and the reason when the server cannot be reached, without the password', async () => {
    const url = `postgres://skein:secret-pw@127.0.0.1:1/nowhere`;
    const opening = PostgresTraceStore.open({ url });
    await expect(opening).rejects.toBeInstanceOf(StoreError);
    await expect(opening).rejects.toThrow(/^cannot open the database postgres:\/\/skein:\*\*\*@127\.0\.0\.1:1\/nowhere: .*ECONNREFUSED/);
    await expect(opening).rejects.not.toThrow(/secret-pw/);
  });

  it('names the database when the password is wrong, without the password', async () => {
    const url = asUser(await server.createDatabase(), 'skein', 'wrong-pw');
    const opening = PostgresTraceStore.open({ url });
    await expect(opening).rejects.toThrow(/cannot open the database .*:\*\*\*@.*: password authentication failed for user "skein"/);
    await expect(opening).rejects.not.toThrow(/wrong-pw/);
  });

  it('names the database and the missing privilege when the role may not create the schema', async () => {
    const url = await server.createDatabase();
    await sql(server.adminUrl, "CREATE ROLE skein_reader LOGIN PASSWORD 'reader'");
    const readerUrl = asUser(url, 'skein_reader', 'reader');
    await expect(PostgresTraceStore.open({ url: readerUrl })).rejects.toThrow(
      /cannot open the database .*skein_reader:\*\*\*@.*: permission denied for schema public/,
    );
  });
});
