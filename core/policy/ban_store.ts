/**
 * Where authentication-failure bans are kept, so that the CLI (another process) can list and clear
 * them while the server runs. The SQLite implementation keeps them in the store's database.
 *
 * @module
 */
import type { Database } from "../store/sqlite/database.ts";

/** One banned address. */
export interface Ban {
  /** The banned address (IPv4, or the IPv6 /64 key). */
  address: string;
  /** When the ban ends. */
  until: Date;
  reason: string;
  created: Date;
}

/** Persistent ban list. */
export interface BanStore {
  /** Active bans (ended ones are left out). */
  list(now: Date): Promise<Ban[]>;
  /** The active ban of an address, if any. */
  get(address: string, now: Date): Promise<Ban | null>;
  /** Adds or extends a ban. */
  put(ban: Ban): Promise<void>;
  /** Removes a ban; true if there was one. With no address, removes all and returns true if any. */
  clear(address?: string): Promise<boolean>;
}

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

/** Bans in the SQLite database (component "policy"). */
export class SqliteBanStore implements BanStore {
  readonly #db: Database;

  /** Applies the policy tables' migrations. */
  constructor(db: Database) {
    this.#db = db;
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

/** Bans in memory (library use without a SQLite store, and unit tests). */
export class MemoryBanStore implements BanStore {
  readonly #bans = new Map<string, Ban>();

  list(now: Date): Promise<Ban[]> {
    return Promise.resolve([...this.#bans.values()].filter((b) => b.until > now));
  }

  get(address: string, now: Date): Promise<Ban | null> {
    const b = this.#bans.get(address);
    return Promise.resolve(b && b.until > now ? b : null);
  }

  put(ban: Ban): Promise<void> {
    const old = this.#bans.get(ban.address);
    this.#bans.set(ban.address, old && old.until > ban.until ? { ...ban, until: old.until } : ban);
    return Promise.resolve();
  }

  clear(address?: string): Promise<boolean> {
    if (address === undefined) {
      const had = this.#bans.size > 0;
      this.#bans.clear();
      return Promise.resolve(had);
    }
    return Promise.resolve(this.#bans.delete(address));
  }
}
