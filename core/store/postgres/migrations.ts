/**
 * The one migration ledger of the PostgreSQL backend: `schema_migrations (component, version)`.
 * Each component (the mail store, each record store) has its own ordered migrations; `migrate`
 * applies the missing ones, each in its own transaction with its ledger row. A transaction-level
 * advisory lock serialises processes that start at the same time, so each migration runs once.
 *
 * @module
 */
import type { Sql } from "./connection.ts";

/** One schema step of a component. */
export interface PgMigration {
  version: number;
  /** SQL, possibly several statements. */
  sql: string;
}

/** Advisory lock key of the migration runner (any constant shared by every Tern process). */
const MIGRATION_LOCK = 0x7465726e; // "tern"

/** Applies the component's migrations that the ledger does not list yet, in order. */
export async function migrate(sql: Sql, component: string, migrations: PgMigration[]): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx.unsafe(`CREATE TABLE IF NOT EXISTS schema_migrations (
      component TEXT NOT NULL,
      version INTEGER NOT NULL,
      applied_at BIGINT NOT NULL,
      PRIMARY KEY (component, version)
    )`);
    const rows = await tx<{ version: number }[]>`
      SELECT version FROM schema_migrations WHERE component = ${component}`;
    const done = new Set(rows.map((r) => r.version));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (component, version, applied_at)
        VALUES (${component}, ${m.version}, ${Date.now()})`;
    }
  });
}

/** Highest applied version of a component (0 when none). */
export async function schemaVersion(sql: Sql, component: string): Promise<number> {
  const [row] = await sql<{ v: number | null }[]>`
    SELECT max(version) AS v FROM schema_migrations WHERE component = ${component}`;
  return row?.v ?? 0;
}
