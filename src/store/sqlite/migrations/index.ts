import type Database from 'better-sqlite3';
import { SchemaVersionError } from '../../errors.js';
import type { Migration } from './migration.js';
import { migration001 } from './001-initial.js';
import { migration002 } from './002-outbox.js';
import { migration003 } from './003-change-feed.js';
import { migration004 } from './004-budget-events.js';
import { migration005 } from './005-session-models.js';
import { migration006 } from './006-outbox-signals.js';
import { migration007 } from './007-logs-metrics.js';
import { migration008 } from './008-internal-spans.js';
import { migration009 } from './009-compact-change-feed.js';
import { migration010 } from './010-compact-spans.js';
import { migration011 } from './011-lighter-span-indexes.js';
import { migration012 } from './012-shared-values.js';

/** Every migration in order; the last one's version is the schema this code reads. */
export const MIGRATIONS: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
  migration010,
  migration011,
  migration012,
];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** `PRAGMA application_id` of a Skein database ("Skn1"), so a foreign SQLite file is told apart. */
export const SKEIN_APPLICATION_ID = 0x536b6e31;

interface Header {
  applicationId: number;
  userVersion: number;
  tableCount: number;
}

function readHeader(db: Database.Database): Header {
  return {
    applicationId: Number(db.pragma('application_id', { simple: true })),
    userVersion: Number(db.pragma('user_version', { simple: true })),
    tableCount: Number(
      (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number | bigint }).n,
    ),
  };
}

function checkHeader(header: Header, file: string): void {
  const foreign =
    (header.applicationId !== 0 && header.applicationId !== SKEIN_APPLICATION_ID) ||
    (header.applicationId === 0 && header.tableCount > 0);
  if (foreign) {
    throw new SchemaVersionError(
      `${file} is a SQLite database but not a Skein database (application_id ${header.applicationId}, ` +
        `${header.tableCount} tables); refusing to touch it`,
      file,
      header.userVersion,
      SCHEMA_VERSION,
    );
  }
  if (header.userVersion > SCHEMA_VERSION) {
    throw new SchemaVersionError(
      `${file} has Skein schema version ${header.userVersion}, newer than version ${SCHEMA_VERSION} that this ` +
        `Skein supports; upgrade Skein to open it`,
      file,
      header.userVersion,
      SCHEMA_VERSION,
    );
  }
}

/** A migration about to be applied (`migrate`'s `onStep`): what a progress line names. */
export interface MigrationStep {
  version: number;
  name: string;
  /** Its place in `MIGRATIONS` (0-based) and their number. */
  index: number;
  count: number;
}

/** The schema version a database is at (`PRAGMA user_version`; 0 for a new file). */
export function schemaVersionOf(db: Database.Database): number {
  return readHeader(db).userVersion;
}

/**
 * Brings the database to `SCHEMA_VERSION`, one migration per transaction with
 * the version bumped in that same transaction, so a crash mid-way leaves a
 * consistent earlier version. The header is read again inside each immediate
 * transaction because another process may be migrating the same file.
 */
export function migrate(db: Database.Database, file: string, onStep?: (step: MigrationStep) => void): void {
  checkHeader(readHeader(db), file);
  for (const [index, migration] of MIGRATIONS.entries()) {
    const apply = db.transaction(() => {
      const header = readHeader(db);
      checkHeader(header, file);
      if (header.userVersion >= migration.version) return;
      if (header.userVersion !== migration.version - 1) {
        throw new SchemaVersionError(
          `${file} has schema version ${header.userVersion}; migration ${migration.version} cannot apply`,
          file,
          header.userVersion,
          SCHEMA_VERSION,
        );
      }
      onStep?.({ version: migration.version, name: migration.name, index, count: MIGRATIONS.length });
      db.exec(migration.sql);
      db.pragma(`application_id = ${SKEIN_APPLICATION_ID}`);
      db.pragma(`user_version = ${migration.version}`);
    });
    apply.immediate();
  }
}

/** For read-only opens: refuse anything but a database at exactly this version. */
export function checkSchema(db: Database.Database, file: string): void {
  const header = readHeader(db);
  checkHeader(header, file);
  if (header.userVersion !== SCHEMA_VERSION) {
    throw new SchemaVersionError(
      `${file} has schema version ${header.userVersion}; open it read-write once to migrate it to ${SCHEMA_VERSION}`,
      file,
      header.userVersion,
      SCHEMA_VERSION,
    );
  }
}
