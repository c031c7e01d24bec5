/**
 * SQLite implementation of `SieveScriptStore` (component "sieve": tables `sieve_scripts`,
 * `sieve_state`, `sieve_vacation_sent`, `sieve_duplicates`). Account ids are never reused, so rows
 * of a deleted account are inert.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import { StoreError } from "../../types.ts";
import type { SieveScript, SieveScriptInfo, SieveScriptStore } from "../../records/sieve_scripts.ts";
import type { Database } from "../database.ts";

/** Duplicate-tracking rows per account beyond this are pruned, oldest expiry first. */
const MAX_DUPLICATES_PER_ACCOUNT = 10_000;

/** Applies the "sieve" migrations. */
export function migrateSieveScripts(db: Database): void {
  db.applyMigrations("sieve", [{
    version: 1,
    sql: `CREATE TABLE sieve_scripts (
      id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL,
      name TEXT NOT NULL,
      content TEXT NOT NULL,
      size INTEGER NOT NULL,
      is_active INTEGER NOT NULL DEFAULT 0,
      version INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      UNIQUE (account_id, name)
    ) STRICT;
    CREATE UNIQUE INDEX sieve_scripts_one_active ON sieve_scripts (account_id) WHERE is_active = 1;
    CREATE TABLE sieve_state (
      account_id TEXT PRIMARY KEY,
      state INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE sieve_vacation_sent (
      account_id TEXT NOT NULL,
      handle TEXT NOT NULL,
      sender TEXT NOT NULL,
      sent_at INTEGER NOT NULL,
      PRIMARY KEY (account_id, handle, sender)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE sieve_duplicates (
      account_id TEXT NOT NULL,
      handle TEXT NOT NULL,
      id TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (account_id, handle, id)
    ) STRICT, WITHOUT ROWID;`,
  }]);
}

interface Row {
  id: string;
  name: string;
  content: string;
  size: number;
  is_active: number;
  version: number;
  updated_at: number;
}

const INFO = "id, name, size, is_active, version, updated_at";

function info(r: Omit<Row, "content">): SieveScriptInfo {
  return {
    id: r.id,
    name: r.name,
    isActive: r.is_active === 1,
    size: r.size,
    version: r.version,
    updatedAt: new Date(r.updated_at),
  };
}

function full(r: Row): SieveScript {
  return { ...info(r), content: r.content };
}

/** Sieve scripts and trackers in the store database. */
export class SqliteSieveScriptStore implements SieveScriptStore {
  readonly #db: Database;
  readonly #now: () => Date;

  /**
   * @param db the store database, "sieve" schema applied
   * @param now the clock (update times)
   */
  constructor(db: Database, now: () => Date) {
    this.#db = db;
    this.#now = now;
  }

  #bump(accountId: AccountId): void {
    this.#db.run(
      "INSERT INTO sieve_state (account_id, state) VALUES (?, 1) " +
        "ON CONFLICT(account_id) DO UPDATE SET state = state + 1",
      accountId,
    );
  }

  list(accountId: AccountId): Promise<SieveScriptInfo[]> {
    const rows = this.#db.all<Omit<Row, "content">>(
      `SELECT ${INFO} FROM sieve_scripts WHERE account_id = ? ORDER BY name`,
      accountId,
    );
    return Promise.resolve(rows.map(info));
  }

  get(accountId: AccountId, name: string): Promise<SieveScript | null> {
    const r = this.#db.get<Row>(
      "SELECT * FROM sieve_scripts WHERE account_id = ? AND name = ?",
      accountId,
      name,
    );
    return Promise.resolve(r ? full(r) : null);
  }

  getById(accountId: AccountId, id: string): Promise<SieveScript | null> {
    const r = this.#db.get<Row>("SELECT * FROM sieve_scripts WHERE account_id = ? AND id = ?", accountId, id);
    return Promise.resolve(r ? full(r) : null);
  }

  active(accountId: AccountId): Promise<SieveScript | null> {
    const r = this.#db.get<Row>(
      "SELECT * FROM sieve_scripts WHERE account_id = ? AND is_active = 1",
      accountId,
    );
    return Promise.resolve(r ? full(r) : null);
  }

  put(accountId: AccountId, name: string, content: string): Promise<SieveScriptInfo> {
    const size = new TextEncoder().encode(content).length;
    const now = this.#now().getTime();
    return Promise.resolve(this.#db.transaction(() => {
      const old = this.#db.get<Row>(
        "SELECT * FROM sieve_scripts WHERE account_id = ? AND name = ?",
        accountId,
        name,
      );
      if (old) {
        this.#db.run(
          "UPDATE sieve_scripts SET content = ?, size = ?, version = version + 1, updated_at = ? WHERE id = ?",
          content,
          size,
          now,
          old.id,
        );
      } else {
        this.#db.run(
          "INSERT INTO sieve_scripts (id, account_id, name, content, size, is_active, version, updated_at) " +
            "VALUES (?, ?, ?, ?, ?, 0, 1, ?)",
          "S" + crypto.randomUUID().replaceAll("-", ""),
          accountId,
          name,
          content,
          size,
          now,
        );
      }
      this.#bump(accountId);
      return info(
        this.#db.get<Row>(
          `SELECT ${INFO} FROM sieve_scripts WHERE account_id = ? AND name = ?`,
          accountId,
          name,
        )!,
      );
    }));
  }

  rename(accountId: AccountId, from: string, to: string): Promise<void> {
    try {
      this.#db.transaction(() => {
        const old = this.#db.get<Row>(
          "SELECT id FROM sieve_scripts WHERE account_id = ? AND name = ?",
          accountId,
          from,
        );
        if (!old) throw new StoreError("notFound", `No script ${from}`);
        if (from === to) return;
        if (this.#db.get("SELECT 1 FROM sieve_scripts WHERE account_id = ? AND name = ?", accountId, to)) {
          throw new StoreError("alreadyExists", `Script ${to} exists`);
        }
        this.#db.run(
          "UPDATE sieve_scripts SET name = ?, updated_at = ? WHERE id = ?",
          to,
          this.#now().getTime(),
          old.id,
        );
        this.#bump(accountId);
      });
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  delete(accountId: AccountId, name: string): Promise<void> {
    try {
      this.#db.transaction(() => {
        const old = this.#db.get<Row>(
          "SELECT id, is_active FROM sieve_scripts WHERE account_id = ? AND name = ?",
          accountId,
          name,
        );
        if (!old) throw new StoreError("notFound", `No script ${name}`);
        if (old.is_active === 1) throw new StoreError("conflict", `Script ${name} is active`);
        this.#db.run("DELETE FROM sieve_scripts WHERE id = ?", old.id);
        this.#bump(accountId);
      });
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  setActive(accountId: AccountId, name: string | null): Promise<void> {
    try {
      this.#db.transaction(() => {
        if (
          name !== null &&
          !this.#db.get("SELECT 1 FROM sieve_scripts WHERE account_id = ? AND name = ?", accountId, name)
        ) {
          throw new StoreError("notFound", `No script ${name}`);
        }
        this.#db.run(
          "UPDATE sieve_scripts SET is_active = 0 WHERE account_id = ? AND is_active = 1",
          accountId,
        );
        if (name !== null) {
          this.#db.run(
            "UPDATE sieve_scripts SET is_active = 1 WHERE account_id = ? AND name = ?",
            accountId,
            name,
          );
        }
        this.#bump(accountId);
      });
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  state(accountId: AccountId): Promise<string> {
    const r = this.#db.get<{ state: number }>(
      "SELECT state FROM sieve_state WHERE account_id = ?",
      accountId,
    );
    return Promise.resolve(String(r?.state ?? 0));
  }

  claimVacation(
    accountId: AccountId,
    handle: string,
    sender: string,
    now: Date,
    periodMs: number,
  ): Promise<boolean> {
    const key = sender.toLowerCase();
    return Promise.resolve(this.#db.transaction(() => {
      const row = this.#db.get<{ sent_at: number }>(
        "SELECT sent_at FROM sieve_vacation_sent WHERE account_id = ? AND handle = ? AND sender = ?",
        accountId,
        handle,
        key,
      );
      if (row && now.getTime() - row.sent_at < periodMs) return false;
      this.#db.run(
        "INSERT INTO sieve_vacation_sent (account_id, handle, sender, sent_at) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT(account_id, handle, sender) DO UPDATE SET sent_at = excluded.sent_at",
        accountId,
        handle,
        key,
        now.getTime(),
      );
      return true;
    }));
  }

  isDuplicate(accountId: AccountId, handle: string, id: string, now: Date): Promise<boolean> {
    const row = this.#db.get<{ expires_at: number }>(
      "SELECT expires_at FROM sieve_duplicates WHERE account_id = ? AND handle = ? AND id = ?",
      accountId,
      handle,
      id,
    );
    return Promise.resolve(row !== undefined && row.expires_at > now.getTime());
  }

  recordDuplicate(
    accountId: AccountId,
    handle: string,
    id: string,
    now: Date,
    periodMs: number,
    restart: boolean,
  ): Promise<void> {
    const t = now.getTime();
    this.#db.transaction(() => {
      const row = this.#db.get<{ expires_at: number }>(
        "SELECT expires_at FROM sieve_duplicates WHERE account_id = ? AND handle = ? AND id = ?",
        accountId,
        handle,
        id,
      );
      const present = row !== undefined && row.expires_at > t;
      if (present && !restart) return;
      this.#db.run(
        "INSERT INTO sieve_duplicates (account_id, handle, id, expires_at) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT(account_id, handle, id) DO UPDATE SET expires_at = excluded.expires_at",
        accountId,
        handle,
        id,
        t + periodMs,
      );
      if (!present) {
        // Bounded: expired rows go, then the oldest beyond the cap.
        this.#db.run("DELETE FROM sieve_duplicates WHERE account_id = ? AND expires_at <= ?", accountId, t);
        this.#db.run(
          "DELETE FROM sieve_duplicates WHERE account_id = ? AND (handle, id) IN (SELECT handle, id FROM " +
            "sieve_duplicates WHERE account_id = ? ORDER BY expires_at DESC LIMIT -1 OFFSET ?)",
          accountId,
          accountId,
          MAX_DUPLICATES_PER_ACCOUNT,
        );
      }
    });
    return Promise.resolve();
  }
}
