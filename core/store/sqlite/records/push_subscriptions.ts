/**
 * SQLite implementation of `PushSubscriptionStore` (component "jmap_push", table
 * `jmap_push_subscriptions`).
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type {
  PushSubscriptionPatch,
  PushSubscriptionRecord,
  PushSubscriptionStore,
} from "../../records/push_subscriptions.ts";
import type { Database } from "../database.ts";

/** Applies the "jmap_push" migrations. */
export function migratePushSubscriptions(db: Database): void {
  db.applyMigrations("jmap_push", [{
    version: 1,
    sql: `CREATE TABLE jmap_push_subscriptions (
      id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL,
      device_client_id TEXT NOT NULL,
      url TEXT NOT NULL,
      keys TEXT,
      expected_code TEXT NOT NULL,
      verification_code TEXT,
      expires INTEGER,
      types TEXT,
      created INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX jmap_push_subscriptions_account ON jmap_push_subscriptions(account_id, created);`,
  }]);
}

interface Row {
  id: string;
  account_id: string;
  device_client_id: string;
  url: string;
  keys: string | null;
  expected_code: string;
  verification_code: string | null;
  expires: number | null;
  types: string | null;
  created: number;
}

function toRecord(r: Row): PushSubscriptionRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    deviceClientId: r.device_client_id,
    url: r.url,
    keys: r.keys === null ? null : JSON.parse(r.keys),
    expectedCode: r.expected_code,
    verificationCode: r.verification_code,
    expires: r.expires === null ? null : new Date(r.expires),
    types: r.types === null ? null : JSON.parse(r.types),
    created: new Date(r.created),
  };
}

/** Push subscriptions in the store database. */
export class SqlitePushSubscriptionStore implements PushSubscriptionStore {
  readonly #db: Database;

  /** @param db the store database, "jmap_push" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  list(accountId: AccountId): Promise<PushSubscriptionRecord[]> {
    const rows = this.#db.all<Row>(
      "SELECT * FROM jmap_push_subscriptions WHERE account_id = ? ORDER BY created, id",
      accountId,
    );
    return Promise.resolve(rows.map(toRecord));
  }

  accounts(): Promise<AccountId[]> {
    const rows = this.#db.all<{ account_id: string }>(
      "SELECT DISTINCT account_id FROM jmap_push_subscriptions ORDER BY account_id",
    );
    return Promise.resolve(rows.map((r) => r.account_id));
  }

  count(accountId: AccountId): Promise<number> {
    const row = this.#db.get<{ n: number }>(
      "SELECT count(*) AS n FROM jmap_push_subscriptions WHERE account_id = ?",
      accountId,
    );
    return Promise.resolve(row?.n ?? 0);
  }

  create(s: PushSubscriptionRecord): Promise<void> {
    this.#db.transaction(() =>
      this.#db.run(
        "INSERT INTO jmap_push_subscriptions (id, account_id, device_client_id, url, keys, expected_code, " +
          "verification_code, expires, types, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        s.id,
        s.accountId,
        s.deviceClientId,
        s.url,
        s.keys === null ? null : JSON.stringify(s.keys),
        s.expectedCode,
        s.verificationCode,
        s.expires?.getTime() ?? null,
        s.types === null ? null : JSON.stringify(s.types),
        s.created.getTime(),
      )
    );
    return Promise.resolve();
  }

  update(
    accountId: AccountId,
    id: string,
    patch: PushSubscriptionPatch,
  ): Promise<PushSubscriptionRecord | null> {
    return Promise.resolve(this.#db.transaction(() => {
      const row = this.#db.get<Row>(
        "SELECT * FROM jmap_push_subscriptions WHERE account_id = ? AND id = ?",
        accountId,
        id,
      );
      if (!row) return null;
      const next = { ...toRecord(row), ...patch };
      this.#db.run(
        "UPDATE jmap_push_subscriptions SET verification_code = ?, expires = ?, types = ? WHERE id = ?",
        next.verificationCode,
        next.expires?.getTime() ?? null,
        next.types === null ? null : JSON.stringify(next.types),
        id,
      );
      return next;
    }));
  }

  delete(accountId: AccountId, id: string): Promise<boolean> {
    return Promise.resolve(this.#db.transaction(() => {
      const row = this.#db.get<{ id: string }>(
        "SELECT id FROM jmap_push_subscriptions WHERE account_id = ? AND id = ?",
        accountId,
        id,
      );
      if (!row) return false;
      this.#db.run("DELETE FROM jmap_push_subscriptions WHERE id = ?", id);
      return true;
    }));
  }

  deleteExpired(now: Date): Promise<number> {
    return Promise.resolve(this.#db.transaction(() => {
      const row = this.#db.get<{ n: number }>(
        "SELECT count(*) AS n FROM jmap_push_subscriptions WHERE expires IS NOT NULL AND expires <= ?",
        now.getTime(),
      );
      this.#db.run(
        "DELETE FROM jmap_push_subscriptions WHERE expires IS NOT NULL AND expires <= ?",
        now.getTime(),
      );
      return row?.n ?? 0;
    }));
  }
}
