import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION, SKEIN_APPLICATION_ID } from '../../src/store/sqlite/migrations/index.js';
import { cli } from './run.js';
import { cleanup, runServeInProcess } from './serve/helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  await cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'skein-migrate-'));
  dirs.push(dir);
  return join(dir, 'old.db');
}

/** A file as a Skein of schema `version` left it: that version's migrations applied, nothing after. */
function fileAtVersion(path: string, version: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (const migration of MIGRATIONS.filter((m) => m.version <= version)) db.exec(migration.sql);
  db.pragma(`application_id = ${SKEIN_APPLICATION_ID}`);
  db.pragma(`user_version = ${version}`);
  db.close();
}

function versionOf(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return Number(db.pragma('user_version', { simple: true }));
  } finally {
    db.close();
  }
}

describe('skein migrate', () => {
  it('upgrades a version-5 file in place, one line per step off a terminal, then says there is nothing to do', async () => {
    const path = tempDb();
    fileAtVersion(path, 5);
    const first = await cli(['migrate', '--db', path]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      `migrated ${path} from schema version 5 to ${SCHEMA_VERSION} (${SCHEMA_VERSION - 5} migrations, ${/\d+\.\d s/.exec(first.stdout)?.[0]})\n`,
    );
    const steps = first.stderr.trim().split('\n');
    expect(steps).toHaveLength(SCHEMA_VERSION - 5);
    expect(steps[0]).toMatch(new RegExp(`^migrating ${path}: step 1 of ${SCHEMA_VERSION - 5} \\(006 `));
    expect(versionOf(path)).toBe(SCHEMA_VERSION);

    const again = await cli(['migrate', '--db', path, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ path, from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    expect(again.stderr).toBe('');

    const sessions = await cli(['sessions', '--db', path, '--json']);
    expect(sessions.code).toBe(0);
  });

  it('rewrites one progress line in place at a terminal', async () => {
    const path = tempDb();
    fileAtVersion(path, 7);
    const result = await cli(['migrate', '--db', path, '--json'], { tty: true });
    expect(result.code).toBe(0);
    expect(result.stderr.startsWith('\r\x1b[2K')).toBe(true);
    expect(result.stderr.endsWith('\n')).toBe(true);
    expect(result.stderr.split('\n')).toHaveLength(2);
    const json = JSON.parse(result.stdout) as { from: number; applied: { version: number; name: string }[] };
    expect(json.from).toBe(7);
    expect(json.applied.map((m) => m.version)).toEqual(MIGRATIONS.filter((m) => m.version > 7).map((m) => m.version));
  });

  it('refuses a missing file, creating nothing, a directory, and a file from a newer Skein, leaving it as it was', async () => {
    const missing = tempDb();
    const gone = await cli(['migrate', '--db', missing]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(`skein migrate: cannot open the database ${missing}: there is no database file there\n`);

    const directory = tempDb();
    mkdirSync(directory);
    const notAFile = await cli(['migrate', '--db', directory]);
    expect(notAFile.code).toBe(1);
    expect(notAFile.stderr).toBe(`skein migrate: cannot open the database ${directory}: it is a directory; give a file path\n`);

    const newer = tempDb();
    fileAtVersion(newer, SCHEMA_VERSION);
    const db = new Database(newer);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const refused = await cli(['migrate', '--db', newer]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${newer} has Skein schema version ${SCHEMA_VERSION + 1}, newer than version ${SCHEMA_VERSION}`);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(versionOf(newer)).toBe(SCHEMA_VERSION + 1);
  });
});

describe('skein serve on a file from an older Skein', () => {
  it('upgrades it before listening and says so on stderr', async () => {
    const path = tempDb();
    fileAtVersion(path, 5);
    const serve = await runServeInProcess(['--db', path, '--port', '0', '--grpc-port', 'off']);
    try {
      expect(serve.errors()).toContain(`skein serve: migrated ${path} from schema version 5 to ${SCHEMA_VERSION}`);
      const sessions = await fetch(`${serve.url}/api/sessions`);
      expect(sessions.status).toBe(200);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    expect(versionOf(path)).toBe(SCHEMA_VERSION);
  });
});
