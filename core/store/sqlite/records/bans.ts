/**
 * SQLite implementation of `BanStore` (component "policy", table `bans`).
 *
 * @module
 */
import type { Ban, BanStore } from "../../records/bans.ts";
import type { Database } from "../database.ts";

interface BanRow {
  address: string;
  until_ms: number;
  reason: string;
  created_ms: number;
}

const toBan = (r: BanRow): Ban => ({
  address: r.address,
  until: new Date(r.until_ms),
  reason: r.reason,
  created: new Date(r.created_ms),
});

/** Applies the "policy" migrations. */
export function migrateBans(db: Database): void {
  db.applyMigrations("policy", [{
    version: 1,
    sql: `CREATE TABLE bans (
      address TEXT PRIMARY KEY,
      until_ms INTEGER NOT NULL,
      reason TEXT NOT NULL,
      created_ms INTEGER NOT NULL
    ) STRICT;`,
  }]);
}

/** Bans in the store database. */
export class SqliteBanStore implements BanStore {
  readonly #db: Database;

  /** @param db the store database, "policy" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  list(now: Date): Promise<Ban[]> {
    const rows = this.#db.all<BanRow>(
      "SELECT * FROM bans WHERE until_ms > ? ORDER BY created_ms",
      now.getTime(),
    );
    return Promise.resolve(rows.map(toBan));
  }

  get(address: string, now: Date): Promise<Ban | null> {
    const row = this.#db.get<BanRow>(
      "SELECT * FROM bans WHERE address = ? AND until_ms > ?",
      address,
      now.getTime(),
    );
    return Promise.resolve(row ? toBan(row) : null);
  }

  put(ban: Ban): Promise<void> {
    this.#db.transaction(() => {
      this.#db.run("DELETE FROM bans WHERE until_ms <= ?", ban.created.getTime());
      this.#db.run(
        `INSERT INTO bans (address, until_ms, reason, created_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT(address) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms), reason = excluded.reason`,
        ban.address,
        ban.until.getTime(),
        ban.reason,
        ban.created.getTime(),
      );
    });
    return Promise.resolve();
  }

  clear(address?: string): Promise<boolean> {
    const r = address === undefined
      ? this.#db.run("DELETE FROM bans")
      : this.#db.run("DELETE FROM bans WHERE address = ?", address);
    return Promise.resolve(r.changes > 0);
  }
}
