/**
 * A schema migration: one file per version, holding the SQL of every dialect so
 * they cannot drift apart. Released migrations are never edited; add a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}
