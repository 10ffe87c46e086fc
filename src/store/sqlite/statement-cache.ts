import type Database from 'better-sqlite3';

/**
 * Statements whose SQL depends on which filters a query uses: prepared once
 * per distinct SQL text and reused, like the fixed ones. Bounded by the
 * number of filter combinations, which is small.
 */
export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  get(sql: string, safeIntegers: boolean): Database.Statement {
    const cacheKey = `${safeIntegers ? '1' : '0'}${sql}`;
    let statement = this.statements.get(cacheKey);
    if (!statement) {
      statement = this.db.prepare(sql).safeIntegers(safeIntegers);
      this.statements.set(cacheKey, statement);
    }
    return statement;
  }
}
