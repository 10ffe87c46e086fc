/**
 * Interning for the log and metric rows: short repeated texts become
 * `signal_strings` ids, resource and scope bodies `resources` ids (shared
 * with spans). Caches live for one write call only: an id cached from a
 * transaction that rolled back would point at nothing. Reads resolve a
 * page's ids once each (`InternedReads`).
 */

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { decodeStorable, encodeStorable } from '../../model/attributes-codec.js';

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

/** A key list's JSON, and the key lists that extend it by one key. */
interface KeyListNode {
  json?: string;
  next?: Map<string, KeyListNode>;
}

/** Key lists seen, as a tree by key: spans of one kind repeat a few lists, ~10 keys each. */
let keyListRoot: KeyListNode = {};
let keyListNodes = 0;
/** Nodes kept at most: a hostile sender's key lists are not (the tree starts again). */
const MAX_KEY_LIST_NODES = 20_000;

/**
 * `JSON.stringify(keys)`, the same string object for every list of the same
 * keys: for a key list seen before, a walk of map lookups by keys (hashed
 * once each) instead of a string of ~250 characters built, and hashed again
 * where it is looked up, per span.
 */
export function keyListJson(keys: readonly string[]): string {
  if (keyListNodes >= MAX_KEY_LIST_NODES) {
    keyListRoot = {};
    keyListNodes = 0;
  }
  let node = keyListRoot;
  for (let i = 0; i < keys.length; i++) {
    node.next ??= new Map();
    let child = node.next.get(keys[i]);
    if (child === undefined) {
      child = {};
      node.next.set(keys[i], child);
      keyListNodes++;
    }
    node = child;
  }
  return (node.json ??= JSON.stringify(keys));
}

/**
 * A copy of a decoded codec value, so that each record read gets objects
 * of its own, as when each decoded its own text.
 */
function copyDecoded<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return value.slice() as T;
  if (Array.isArray(value)) return value.map(copyDecoded) as T;
  const out: Record<string, unknown> = {};
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) out[key] = copyDecoded(object[key]);
  return out as T;
}

/**
 * The interned texts and bodies one page of rows refers to, each read (and
 * parsed) once: a page of 100 spans or records names two or three
 * resources and a few strings, where joining them into every row cost a
 * read and a parse per row. `signal_strings` and `resources` rows are only
 * ever added, never changed or deleted, so an id a row holds always finds
 * its row, in any later read.
 */
export class InternedReads {
  private readonly selectText: Database.Statement;
  private readonly selectBody: Database.Statement;

  constructor(db: Database.Database) {
    this.selectText = db.prepare('SELECT text FROM signal_strings WHERE id = ?').pluck();
    this.selectBody = db.prepare('SELECT body FROM resources WHERE id = ?').pluck();
  }

  /** Lookups for one page; what they cache lives as long as the page. */
  page(): InternedPage {
    return new InternedPage(this.selectText, this.selectBody);
  }
}

export class InternedPage {
  private readonly texts = new Map<number | bigint, string>();
  private readonly keyLists = new Map<number | bigint, readonly string[]>();
  private readonly bodies = new Map<number | bigint, unknown>();

  constructor(
    private readonly selectText: Database.Statement,
    private readonly selectBody: Database.Statement,
  ) {}

  /** The `signal_strings` text of `id`. */
  text(id: number | bigint): string {
    let text = this.texts.get(id);
    if (text === undefined) {
      text = this.selectText.get(id) as string | undefined;
      if (text === undefined) throw new Error(`a row refers to signal_strings ${id}, which is not stored`);
      this.texts.set(id, text);
    }
    return text;
  }

  /** The key list interned as a JSON array under `id` (shared: read, never change it). */
  keyList(id: number | bigint): readonly string[] {
    let keys = this.keyLists.get(id);
    if (keys === undefined) {
      keys = JSON.parse(this.text(id)) as string[];
      this.keyLists.set(id, keys);
    }
    return keys;
  }

  /** The decoded `resources` body of `id`, a copy of its own for each call. */
  body<T>(id: number | bigint): T {
    let decoded = this.bodies.get(id);
    if (decoded === undefined) {
      const text = this.selectBody.get(id) as string | undefined;
      if (text === undefined) throw new Error(`a row refers to resources ${id}, which is not stored`);
      decoded = decodeStorable<unknown>(text);
      this.bodies.set(id, decoded);
    }
    return copyDecoded(decoded as T);
  }
}
