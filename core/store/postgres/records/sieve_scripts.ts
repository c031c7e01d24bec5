/**
 * Sieve scripts (RFC 5228, managed as in RFC 5804) and the Sieve trackers (vacation replies,
 * RFC 5230; duplicate ids, RFC 7352) on PostgreSQL. At most one active script per account (a
 * partial unique index). Semantics as core/store/sqlite/records/sieve_scripts.ts.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import { StoreError } from "../../types.ts";
import type { SieveScript, SieveScriptInfo, SieveScriptStore } from "../../records/sieve_scripts.ts";
import type { PgMigration } from "../migrations.ts";
import type { PgDb } from "./db.ts";

/** Migration component of the Sieve tables. */
export const SIEVE_COMPONENT = "sieve";

/** The Sieve tables. */
export const SIEVE_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE sieve_scripts (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  content TEXT NOT NULL,
  size BIGINT NOT NULL,
  is_active INTEGER NOT NULL DEFAULT 0,
  version BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (account_id, name)
);
CREATE UNIQUE INDEX sieve_scripts_one_active ON sieve_scripts (account_id) WHERE is_active = 1;
CREATE TABLE sieve_state (
  account_id TEXT PRIMARY KEY,
  state BIGINT NOT NULL
);
CREATE TABLE sieve_vacation_sent (
  account_id TEXT NOT NULL,
  handle TEXT NOT NULL,
  sender TEXT NOT NULL,
  sent_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, handle, sender)
);
CREATE TABLE sieve_duplicates (
  account_id TEXT NOT NULL,
  handle TEXT NOT NULL,
  id TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, handle, id)
);
`,
}];

const MAX_DUPLICATES_PER_ACCOUNT = 10_000;

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

/** Sieve scripts and trackers. */
export class PgSieveScriptStore implements SieveScriptStore {
  /** @param db the pool @param now the clock in ms */
  constructor(readonly db: PgDb, readonly now: () => number) {}

  async #bump(db: PgDb, accountId: AccountId): Promise<void> {
    await db.run(
      "INSERT INTO sieve_state (account_id, state) VALUES (?, 1) " +
        "ON CONFLICT (account_id) DO UPDATE SET state = sieve_state.state + 1",
      accountId,
    );
  }

  /** The account's scripts, by name. */
  async list(accountId: AccountId): Promise<SieveScriptInfo[]> {
    return (await this.db.all<Omit<Row, "content">>(
      `SELECT ${INFO} FROM sieve_scripts WHERE account_id = ? ORDER BY name COLLATE "C"`,
      accountId,
    )).map(info);
  }

  /** A script by name, or null. */
  async get(accountId: AccountId, name: string): Promise<SieveScript | null> {
    const r = await this.db.get<Row>(
      "SELECT * FROM sieve_scripts WHERE account_id = ? AND name = ?",
      accountId,
      name,
    );
    return r ? full(r) : null;
  }

  /** A script by id, or null. */
  async getById(accountId: AccountId, id: string): Promise<SieveScript | null> {
    const r = await this.db.get<Row>(
      "SELECT * FROM sieve_scripts WHERE account_id = ? AND id = ?",
      accountId,
      id,
    );
    return r ? full(r) : null;
  }

  /** The active script, or null. */
  async active(accountId: AccountId): Promise<SieveScript | null> {
    const r = await this.db.get<Row>(
      "SELECT * FROM sieve_scripts WHERE account_id = ? AND is_active = 1",
      accountId,
    );
    return r ? full(r) : null;
  }

  /** Creates or replaces a script (a replacement keeps its id and bumps its version). */
  put(accountId: AccountId, name: string, content: string): Promise<SieveScriptInfo> {
    const size = new TextEncoder().encode(content).length;
    const now = this.now();
    return this.db.transaction(async (db) => {
      await db.run(
        "INSERT INTO sieve_scripts (id, account_id, name, content, size, is_active, version, updated_at) " +
          "VALUES (?, ?, ?, ?, ?, 0, 1, ?) ON CONFLICT (account_id, name) DO UPDATE SET " +
          "content = excluded.content, size = excluded.size, version = sieve_scripts.version + 1, " +
          "updated_at = excluded.updated_at",
        "S" + crypto.randomUUID().replaceAll("-", ""),
        accountId,
        name,
        content,
        size,
        now,
      );
      await this.#bump(db, accountId);
      return info(
        (await db.get<Row>(
          `SELECT ${INFO} FROM sieve_scripts WHERE account_id = ? AND name = ?`,
          accountId,
          name,
        ))!,
      );
    });
  }

  /** Renames a script (id and active flag kept). */
  rename(accountId: AccountId, from: string, to: string): Promise<void> {
    return this.db.transaction(async (db) => {
      const old = await db.get<Row>(
        "SELECT id FROM sieve_scripts WHERE account_id = ? AND name = ? FOR UPDATE",
        accountId,
        from,
      );
      if (!old) throw new StoreError("notFound", `No script ${from}`);
      if (from === to) return;
      if (await db.get("SELECT 1 AS x FROM sieve_scripts WHERE account_id = ? AND name = ?", accountId, to)) {
        throw new StoreError("alreadyExists", `Script ${to} exists`);
      }
      await db.run("UPDATE sieve_scripts SET name = ?, updated_at = ? WHERE id = ?", to, this.now(), old.id);
      await this.#bump(db, accountId);
    });
  }

  /** Deletes a script that is not active. */
  delete(accountId: AccountId, name: string): Promise<void> {
    return this.db.transaction(async (db) => {
      const old = await db.get<Row>(
        "SELECT id, is_active FROM sieve_scripts WHERE account_id = ? AND name = ? FOR UPDATE",
        accountId,
        name,
      );
      if (!old) throw new StoreError("notFound", `No script ${name}`);
      if (old.is_active === 1) throw new StoreError("conflict", `Script ${name} is active`);
      await db.run("DELETE FROM sieve_scripts WHERE id = ?", old.id);
      await this.#bump(db, accountId);
    });
  }

  /** Makes a script the active one (null: none). */
  setActive(accountId: AccountId, name: string | null): Promise<void> {
    return this.db.transaction(async (db) => {
      if (
        name !== null &&
        !(await db.get("SELECT 1 AS x FROM sieve_scripts WHERE account_id = ? AND name = ?", accountId, name))
      ) {
        throw new StoreError("notFound", `No script ${name}`);
      }
      await db.run(
        "UPDATE sieve_scripts SET is_active = 0 WHERE account_id = ? AND is_active = 1",
        accountId,
      );
      if (name !== null) {
        await db.run(
          "UPDATE sieve_scripts SET is_active = 1 WHERE account_id = ? AND name = ?",
          accountId,
          name,
        );
      }
      await this.#bump(db, accountId);
    });
  }

  /** The account's Sieve state string. */
  async state(accountId: AccountId): Promise<string> {
    const r = await this.db.get<{ state: number }>(
      "SELECT state FROM sieve_state WHERE account_id = ?",
      accountId,
    );
    return String(r?.state ?? 0);
  }

  /** True (and recorded) when the sender was not answered for this handle within the period (RFC 5230 §4.2). */
  async claimVacation(
    accountId: AccountId,
    handle: string,
    sender: string,
    now: Date,
    periodMs: number,
  ): Promise<boolean> {
    const t = now.getTime();
    const row = await this.db.get(
      "INSERT INTO sieve_vacation_sent (account_id, handle, sender, sent_at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (account_id, handle, sender) DO UPDATE SET sent_at = excluded.sent_at " +
        "WHERE ? - sieve_vacation_sent.sent_at >= ? RETURNING sent_at",
      accountId,
      handle,
      sender.toLowerCase(),
      t,
      t,
      periodMs,
    );
    return row !== undefined;
  }

  /** RFC 7352 §3: whether the id is listed under the handle and not expired. */
  async isDuplicate(accountId: AccountId, handle: string, id: string, now: Date): Promise<boolean> {
    const row = await this.db.get<{ expires_at: number }>(
      "SELECT expires_at FROM sieve_duplicates WHERE account_id = ? AND handle = ? AND id = ?",
      accountId,
      handle,
      id,
    );
    return row !== undefined && Number(row.expires_at) > now.getTime();
  }

  /** RFC 7352 §3: adds the id after a successful run (its expiry moves only with `restart`). */
  recordDuplicate(
    accountId: AccountId,
    handle: string,
    id: string,
    now: Date,
    periodMs: number,
    restart: boolean,
  ): Promise<void> {
    const t = now.getTime();
    return this.db.transaction(async (db) => {
      const row = await db.get<{ expires_at: number }>(
        "SELECT expires_at FROM sieve_duplicates WHERE account_id = ? AND handle = ? AND id = ? FOR UPDATE",
        accountId,
        handle,
        id,
      );
      const present = row !== undefined && Number(row.expires_at) > t;
      if (present && !restart) return;
      await db.run(
        "INSERT INTO sieve_duplicates (account_id, handle, id, expires_at) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (account_id, handle, id) DO UPDATE SET expires_at = excluded.expires_at",
        accountId,
        handle,
        id,
        t + periodMs,
      );
      if (!present) {
        // Bounded: expired rows go, then the oldest beyond the cap.
        await db.run("DELETE FROM sieve_duplicates WHERE account_id = ? AND expires_at <= ?", accountId, t);
        await db.run(
          "DELETE FROM sieve_duplicates WHERE account_id = ? AND (handle, id) IN (SELECT handle, id FROM " +
            "sieve_duplicates WHERE account_id = ? ORDER BY expires_at DESC OFFSET ?)",
          accountId,
          accountId,
          MAX_DUPLICATES_PER_ACCOUNT,
        );
      }
    });
  }
}
