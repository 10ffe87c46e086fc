/** One schema version: the SQL that takes the previous version to this one. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
