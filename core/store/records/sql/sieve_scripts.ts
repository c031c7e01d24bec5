/**
 * `SieveScriptStore` in SQL, shared by SQLite and PostgreSQL: Sieve scripts (RFC 5228, managed as
 * in RFC 5804) and the Sieve trackers (vacation replies, RFC 5230; duplicate ids, RFC 7352), in
 * tables `sieve_scripts`, `sieve_state`, `sieve_vacation_sent` and `sieve_duplicates` (each backend
 * keeps its schema). At most one active script per account (a partial unique index). Account ids
 * are never reused, so rows of a deleted account are inert.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import { StoreError } from "../../types.ts";
import type { SieveScript, SieveScriptInfo, SieveScriptStore } from "../sieve_scripts.ts";
import { all, type Dialect, get, type Op, type RecordDb, run } from "./db.ts";

/** Duplicate-tracking rows per account beyond this are pruned, oldest expiry first. */
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

/** Moves the account's Sieve state on. */
function bump(accountId: AccountId): Op<number> {
  return run(
    "INSERT INTO sieve_state (account_id, state) VALUES (?, 1) " +
      "ON CONFLICT (account_id) DO UPDATE SET state = sieve_state.state + 1",
    accountId,
  );
}

function* put(accountId: AccountId, name: string, content: string, now: number): Op<SieveScriptInfo> {
  const size = new TextEncoder().encode(content).length;
  yield* run(
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
  yield* bump(accountId);
  return info(
    (yield* get<Row>(
      `SELECT ${INFO} FROM sieve_scripts WHERE account_id = ? AND name = ?`,
      accountId,
      name,
    ))!,
  );
}

function* rename(d: Dialect, accountId: AccountId, from: string, to: string, now: number): Op<void> {
  const old = yield* get<Row>(
    `SELECT id FROM sieve_scripts WHERE account_id = ? AND name = ?${d.forUpdate}`,
    accountId,
    from,
  );
  if (!old) throw new StoreError("notFound", `No script ${from}`);
  if (from === to) return;
  if (yield* get("SELECT 1 AS x FROM sieve_scripts WHERE account_id = ? AND name = ?", accountId, to)) {
    throw new StoreError("alreadyExists", `Script ${to} exists`);
  }
  yield* run("UPDATE sieve_scripts SET name = ?, updated_at = ? WHERE id = ?", to, now, old.id);
  yield* bump(accountId);
}

function* remove(d: Dialect, accountId: AccountId, name: string): Op<void> {
  const old = yield* get<Row>(
    `SELECT id, is_active FROM sieve_scripts WHERE account_id = ? AND name = ?${d.forUpdate}`,
    accountId,
    name,
  );
  if (!old) throw new StoreError("notFound", `No script ${name}`);
  if (old.is_active === 1) throw new StoreError("conflict", `Script ${name} is active`);
  yield* run("DELETE FROM sieve_scripts WHERE id = ?", old.id);
  yield* bump(accountId);
}

function* setActive(accountId: AccountId, name: string | null): Op<void> {
  if (
    name !== null &&
    !(yield* get("SELECT 1 AS x FROM sieve_scripts WHERE account_id = ? AND name = ?", accountId, name))
  ) {
    throw new StoreError("notFound", `No script ${name}`);
  }
  yield* run("UPDATE sieve_scripts SET is_active = 0 WHERE account_id = ? AND is_active = 1", accountId);
  if (name !== null) {
    yield* run("UPDATE sieve_scripts SET is_active = 1 WHERE account_id = ? AND name = ?", accountId, name);
  }
  yield* bump(accountId);
}

function* recordDuplicate(
  d: Dialect,
  accountId: AccountId,
  handle: string,
  id: string,
  t: number,
  periodMs: number,
  restart: boolean,
): Op<void> {
  const row = yield* get<{ expires_at: number }>(
    `SELECT expires_at FROM sieve_duplicates WHERE account_id = ? AND handle = ? AND id = ?${d.forUpdate}`,
    accountId,
    handle,
    id,
  );
  const present = row !== undefined && Number(row.expires_at) > t;
  if (present && !restart) return;
  yield* run(
    "INSERT INTO sieve_duplicates (account_id, handle, id, expires_at) VALUES (?, ?, ?, ?) " +
      "ON CONFLICT (account_id, handle, id) DO UPDATE SET expires_at = excluded.expires_at",
    accountId,
    handle,
    id,
    t + periodMs,
  );
  if (!present) {
    // Bounded: expired rows go, then the oldest beyond the cap.
    yield* run("DELETE FROM sieve_duplicates WHERE account_id = ? AND expires_at <= ?", accountId, t);
    yield* run(
      "DELETE FROM sieve_duplicates WHERE account_id = ? AND (handle, id) IN (SELECT handle, id FROM " +
        `sieve_duplicates WHERE account_id = ? ORDER BY expires_at DESC ${d.noLimit} OFFSET ?)`,
      accountId,
      accountId,
      MAX_DUPLICATES_PER_ACCOUNT,
    );
  }
}

/** Sieve scripts and trackers over either backend. */
export class SqlSieveScriptStore implements SieveScriptStore {
  /**
   * @param db the backend, its "sieve" schema applied
   * @param now the clock in ms (update times)
   */
  constructor(protected readonly db: RecordDb, readonly now: () => number) {}

  /** The account's scripts, by name. */
  async list(accountId: AccountId): Promise<SieveScriptInfo[]> {
    return (await this.db.read(all<Omit<Row, "content">>(
      `SELECT ${INFO} FROM sieve_scripts WHERE account_id = ? ORDER BY name${this.db.dialect.bytes}`,
      accountId,
    ))).map(info);
  }

  /** A script by name, or null. */
  async get(accountId: AccountId, name: string): Promise<SieveScript | null> {
    const r = await this.db.read(
      get<Row>("SELECT * FROM sieve_scripts WHERE account_id = ? AND name = ?", accountId, name),
    );
    return r ? full(r) : null;
  }

  /** A script by id, or null. */
  async getById(accountId: AccountId, id: string): Promise<SieveScript | null> {
    const r = await this.db.read(
      get<Row>("SELECT * FROM sieve_scripts WHERE account_id = ? AND id = ?", accountId, id),
    );
    return r ? full(r) : null;
  }

  /** The active script, or null. */
  async active(accountId: AccountId): Promise<SieveScript | null> {
    const r = await this.db.read(
      get<Row>("SELECT * FROM sieve_scripts WHERE account_id = ? AND is_active = 1", accountId),
    );
    return r ? full(r) : null;
  }

  /** Creates or replaces a script (a replacement keeps its id and bumps its version). */
  put(accountId: AccountId, name: string, content: string): Promise<SieveScriptInfo> {
    return this.db.atomic(put(accountId, name, content, this.now()));
  }

  /** Renames a script (id and active flag kept). */
  rename(accountId: AccountId, from: string, to: string): Promise<void> {
    return this.db.atomic(rename(this.db.dialect, accountId, from, to, this.now()));
  }

  /** Deletes a script that is not active. */
  delete(accountId: AccountId, name: string): Promise<void> {
    return this.db.atomic(remove(this.db.dialect, accountId, name));
  }

  /** Makes a script the active one (null: none). */
  setActive(accountId: AccountId, name: string | null): Promise<void> {
    return this.db.atomic(setActive(accountId, name));
  }

  /** The account's Sieve state string. */
  async state(accountId: AccountId): Promise<string> {
    const r = await this.db.read(
      get<{ state: number }>("SELECT state FROM sieve_state WHERE account_id = ?", accountId),
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
    // One upsert: a row answered within the period is left alone and returns nothing.
    const row = await this.db.atomic(get(
      "INSERT INTO sieve_vacation_sent (account_id, handle, sender, sent_at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (account_id, handle, sender) DO UPDATE SET sent_at = excluded.sent_at " +
        "WHERE ? - sieve_vacation_sent.sent_at >= ? RETURNING sent_at",
      accountId,
      handle,
      sender.toLowerCase(),
      t,
      t,
      periodMs,
    ));
    return row !== undefined;
  }

  /** RFC 7352 §3: whether the id is listed under the handle and not expired. */
  async isDuplicate(accountId: AccountId, handle: string, id: string, now: Date): Promise<boolean> {
    const row = await this.db.read(get<{ expires_at: number }>(
      "SELECT expires_at FROM sieve_duplicates WHERE account_id = ? AND handle = ? AND id = ?",
      accountId,
      handle,
      id,
    ));
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
    return this.db.atomic(
      recordDuplicate(this.db.dialect, accountId, handle, id, now.getTime(), periodMs, restart),
    );
  }
}
