/**
 * Interning for the log and metric rows: short repeated texts become
 * `signal_strings` ids, resource and scope bodies `resources` ids (shared
 * with spans). Caches live for one write call only: an id cached from a
 * transaction that rolled back would point at nothing.
 */

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { encodeStorable } from '../../model/attributes-codec.js';

export class SignalInterner {
  private readonly selectString: Database.Statement;
  private readonly insertString: Database.Statement;
  private readonly selectResource: Database.Statement;
  private readonly insertResource: Database.Statement;
  private strings = new Map<string, number>();
  private bodies = new Map<string, number>();
  private objects = new WeakMap<object, number>();

  constructor(db: Database.Database) {
    this.selectString = db.prepare('SELECT id FROM signal_strings WHERE text = ?').pluck();
    this.insertString = db.prepare('INSERT INTO signal_strings (text) VALUES (?)');
    this.selectResource = db.prepare('SELECT id FROM resources WHERE hash = ?').pluck();
    this.insertResource = db.prepare('INSERT INTO resources (hash, body) VALUES (?, ?)');
  }

  /** Call at the start of each write call. */
  reset(): void {
    this.strings = new Map();
    this.bodies = new Map();
    this.objects = new WeakMap();
  }

  /** The id of `text`, inserted when new; null for '' and null (absent). */
  stringId(text: string | null): number | null {
    if (text === null || text === '') return null;
    let id = this.strings.get(text);
    if (id === undefined) {
      id = (this.selectString.get(text) as number | undefined) ?? Number(this.insertString.run(text).lastInsertRowid);
      this.strings.set(text, id);
    }
    return id;
  }

  /**
   * The `resources` id of a resource or scope: by identity first (records of
   * one request share the object), then by content (its codec JSON, hashed as
   * spans' are, so spans and records of one service share the row).
   */
  resourceId(value: object): number {
    let id = this.objects.get(value);
    if (id !== undefined) return id;
    const body = encodeStorable(value);
    id = this.bodies.get(body);
    if (id === undefined) {
      const hash = createHash('sha256').update(body).digest('base64url');
      id = (this.selectResource.get(hash) as number | undefined) ?? Number(this.insertResource.run(hash, body).lastInsertRowid);
      this.bodies.set(body, id);
    }
    this.objects.set(value, id);
    return id;
  }
}

/** Lookup only (reads): the id of `text`, or undefined when no row has it. */
export function stringIdOf(db: Database.Database, text: string): number | undefined {
  return db.prepare('SELECT id FROM signal_strings WHERE text = ?').pluck().get(text) as number | undefined;
}
