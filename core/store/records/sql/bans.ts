/**
 * `BanStore` (authentication-failure bans) in SQL, shared by SQLite and PostgreSQL (table `bans`;
 * each backend keeps its schema).
 *
 * @module
 */
import type { Ban, BanStore } from "../bans.ts";
import { all, type Dialect, get, type Op, type RecordDb, run } from "./db.ts";

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

function* put(d: Dialect, ban: Ban): Op<void> {
  yield* run("DELETE FROM bans WHERE until_ms <= ?", ban.created.getTime());
  yield* run(
    `INSERT INTO bans (address, until_ms, reason, created_ms) VALUES (?, ?, ?, ?)
     ON CONFLICT (address) DO UPDATE SET until_ms = ${d.greatest}(bans.until_ms, excluded.until_ms),
       reason = excluded.reason`,
    ban.address,
    ban.until.getTime(),
    ban.reason,
    ban.created.getTime(),
  );
}

/** Bans over either backend. */
export class SqlBanStore implements BanStore {
  /** @param db the backend, its "policy" schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Bans active at `now`, oldest first. */
  async list(now: Date): Promise<Ban[]> {
    return (await this.db.read(
      all<BanRow>("SELECT * FROM bans WHERE until_ms > ? ORDER BY created_ms", now.getTime()),
    )).map(toBan);
  }

  /** The active ban of an address, or null. */
  async get(address: string, now: Date): Promise<Ban | null> {
    const row = await this.db.read(
      get<BanRow>("SELECT * FROM bans WHERE address = ? AND until_ms > ?", address, now.getTime()),
    );
    return row ? toBan(row) : null;
  }

  /** Adds or extends a ban (a later end wins); expired ones are dropped. */
  async put(ban: Ban): Promise<void> {
    await this.db.atomic(put(this.db.dialect, ban));
  }

  /** Clears one address's ban, or all. */
  async clear(address?: string): Promise<boolean> {
    const changed = await this.db.write(
      address === undefined ? run("DELETE FROM bans") : run("DELETE FROM bans WHERE address = ?", address),
    );
    return changed > 0;
  }
}
