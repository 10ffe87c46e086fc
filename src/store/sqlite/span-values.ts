/**
 * Large attribute values stored once per database (issue 15, migration 012).
 * Agents send the same long values with every model call: Gemini CLI its
 * system instructions (~12.7 KB, 3 distinct values in 6 spans) and tool
 * definitions (~5.9 KB) on each span, the GenAI instrumentations
 * `gen_ai.system_instructions` and `gen_ai.tool.definitions`. A string value
 * of at least `SHARED_MIN_LENGTH` characters (after span-texts.ts cut the
 * input/output/reasoning pieces out of it) goes to `span_value_texts`, keyed
 * by the SHA-256 of its text in `span_values`; the span's `attributes` keep
 * `null` at its place and the `raw` column a `ValueRef` per shared value
 * (`lv`), as it keeps the text refs (`x`).
 *
 * `span_values.refs` counts the refs of the stored rows, kept in the write
 * transaction: `SharedValueWriter.idOf` adds one per ref written, `release`
 * takes away the refs of a row about to be overwritten (the writer calls it
 * after the new row's refs are added, so a value both rows hold never drops
 * to 0), and the `spans_shared_values_delete` trigger those of a deleted row
 * (session deletion, retention); a value left with none is deleted at once.
 * Triggers on insert and update would have done all of it, but a trigger
 * makes every span upsert open a statement journal: ~60 -> ~84 µs of CPU
 * per span written (scratch bench, 100-span batches, 6 runs each way).
 *
 * Reads resolve the ids of a page once each (`SharedValueReads`), in the read
 * transaction of the page (a deletion committed between two statements could
 * otherwise take a value a row just read still names); one-row reads and the
 * attribute filter get the row's values from `SHARED_VALUES_SQL`, in the
 * same statement.
 */

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Attributes } from '../../model/types.js';
import { READ_BY_SQL } from './span-texts.js';

/**
 * Shorter values stay in the row. A shared value costs ~110 bytes more than
 * inline when no other span holds it (the refs row, its hash index entry, the
 * ref), and hashing ~0.8 µs per KB; see docs/benchmarks.md for what the
 * threshold was measured against.
 */
export const SHARED_MIN_LENGTH = 1024;

/** One shared value of a span: [attribute index in key order, `span_values` id]. */
export type ValueRef = [attribute: number, valueId: number];

/** The key the refs have in the `raw` column's JSON. */
const RAW_KEY = '"lv":';

/**
 * The attributes with their long string values replaced by `null`, and the
 * refs that put them back; `attributes` itself when none is long (the usual
 * object is not copied).
 */
export function shareValues(
  attributes: Attributes,
  idOf: (value: string) => number,
): { attributes: Attributes; refs: ValueRef[] | undefined } {
  let refs: ValueRef[] | undefined;
  let shared: Attributes | undefined;
  let a = 0;
  for (const key in attributes) {
    const value = attributes[key];
    if (typeof value === 'string' && value.length >= SHARED_MIN_LENGTH && !READ_BY_SQL.has(key)) {
      shared ??= { ...attributes };
      shared[key] = null as never;
      (refs ??= []).push([a, idOf(value)]);
    }
    a++;
  }
  return shared === undefined ? { attributes, refs: undefined } : { attributes: shared, refs };
}

/** Puts the shared values back (in place), each by its id. */
export function restoreValues(attributes: Attributes, refs: readonly ValueRef[], valueOf: (id: number) => string): Attributes {
  const keys = Object.keys(attributes);
  for (const [a, id] of refs) {
    const key = keys[a];
    if (key === undefined || attributes[key] !== null) {
      throw new Error(`stored span attributes do not match their shared value refs (attribute ${a}, value ${id})`);
    }
    attributes[key] = valueOf(id);
  }
  return attributes;
}

/** Whether a `raw` column may hold shared value refs (it has the key somewhere): most rows do not. */
export function mayShareValues(raw: string): boolean {
  return raw.includes(RAW_KEY);
}

/**
 * SQL giving the shared values a `spans` row (alias `s`) refers to, as a JSON
 * object of id to text, or NULL when it has none.
 */
export const SHARED_VALUES_SQL = `CASE WHEN instr(s.raw, '${RAW_KEY}') > 0 THEN (SELECT json_group_object(t.id, t.value)
  FROM json_each(s.raw, '$.lv') j JOIN span_value_texts t ON t.id = json_extract(j.value, '$[1]')) END`;

/** A lookup over what `SHARED_VALUES_SQL` gave (null: the row has none). */
export function valuesFromJson(json: string | null): (id: number) => string {
  const values = json === null ? {} : (JSON.parse(json) as Record<string, string>);
  return (id) => {
    const value = values[id];
    if (value === undefined) throw new Error(`a span refers to shared value ${id}, which is not stored`);
    return value;
  };
}

/** The write side: one per store connection; `writer()` once per write call. */
export class SharedValues {
  private readonly select: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly insertText: Database.Statement;
  private readonly addRef: Database.Statement;
  private readonly dropRef: Database.Statement;
  private readonly deleteUnreferenced: Database.Statement;
  private readonly deleteText: Database.Statement;

  constructor(db: Database.Database) {
    this.select = db.prepare('SELECT id FROM span_values WHERE hash = ?').pluck();
    this.insert = db.prepare('INSERT INTO span_values (hash, refs) VALUES (?, 0)');
    this.insertText = db.prepare('INSERT INTO span_value_texts (id, value) VALUES (?, ?)');
    this.addRef = db.prepare('UPDATE span_values SET refs = refs + 1 WHERE id = ?');
    this.dropRef = db.prepare('UPDATE span_values SET refs = refs - 1 WHERE id = ? RETURNING refs').pluck();
    this.deleteUnreferenced = db.prepare('DELETE FROM span_values WHERE id = ?');
    this.deleteText = db.prepare('DELETE FROM span_value_texts WHERE id = ?');
  }

  /**
   * The id of a value for a row about to be written, its ref counted. The
   * ids found are cached for this write call only: an id cached from a
   * transaction that rolled back would point at nothing.
   */
  writer(): (value: string) => number {
    const ids = new Map<string, number>();
    return (value) => {
      let id = ids.get(value);
      if (id === undefined) {
        const hash = createHash('sha256').update(value).digest();
        id = this.select.get(hash) as number | undefined;
        if (id === undefined) {
          id = Number(this.insert.run(hash).lastInsertRowid);
          this.insertText.run(id, value);
        }
        ids.set(value, id);
      }
      this.addRef.run(id);
      return id;
    };
  }

  /** Takes away the refs of a row's `raw` column that is being overwritten (call after the new row's refs are counted). */
  release(raw: string): void {
    if (!mayShareValues(raw)) return;
    const refs = (JSON.parse(raw) as { lv?: ValueRef[] }).lv;
    if (refs === undefined) return;
    for (const [, id] of refs) {
      if ((this.dropRef.get(id) as number | undefined) === 0) {
        this.deleteText.run(id);
        this.deleteUnreferenced.run(id);
      }
    }
  }
}

/** Reads: the shared values one page of rows refers to, each read once. */
export class SharedValueReads {
  private readonly select: Database.Statement;

  constructor(db: Database.Database) {
    this.select = db.prepare('SELECT value FROM span_value_texts WHERE id = ?').pluck();
  }

  /** A lookup for one page; what it caches lives as long as the page. */
  page(): (id: number) => string {
    const values = new Map<number, string>();
    return (id) => {
      let value = values.get(id);
      if (value === undefined) {
        value = this.select.get(id) as string | undefined;
        if (value === undefined) throw new Error(`a span refers to shared value ${id}, which is not stored`);
        values.set(id, value);
      }
      return value;
    };
  }
}
