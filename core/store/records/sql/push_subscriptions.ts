/**
 * `PushSubscriptionStore` (JMAP PushSubscription, RFC 8620 §7.2) in SQL, shared by SQLite and
 * PostgreSQL (table `jmap_push_subscriptions`, JSON values as text; each backend keeps its schema).
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type {
  PushSubscriptionPatch,
  PushSubscriptionRecord,
  PushSubscriptionStore,
} from "../push_subscriptions.ts";
import { all, type Dialect, get, type Op, type RecordDb, run } from "./db.ts";

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

function* update(
  d: Dialect,
  accountId: AccountId,
  id: string,
  patch: PushSubscriptionPatch,
): Op<PushSubscriptionRecord | null> {
  const row = yield* get<Row>(
    `SELECT * FROM jmap_push_subscriptions WHERE account_id = ? AND id = ?${d.forUpdate}`,
    accountId,
    id,
  );
  if (!row) return null;
  const next = { ...toRecord(row), ...patch };
  yield* run(
    "UPDATE jmap_push_subscriptions SET verification_code = ?, expires = ?, types = ? WHERE id = ?",
    next.verificationCode,
    next.expires?.getTime() ?? null,
    next.types === null ? null : JSON.stringify(next.types),
    id,
  );
  return next;
}

/** Push subscriptions over either backend. */
export class SqlPushSubscriptionStore implements PushSubscriptionStore {
  /** @param db the backend, its push subscription schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** The account's subscriptions, oldest first. */
  async list(accountId: AccountId): Promise<PushSubscriptionRecord[]> {
    return (await this.db.read(all<Row>(
      `SELECT * FROM jmap_push_subscriptions WHERE account_id = ? ORDER BY created, id${this.db.dialect.bytes}`,
      accountId,
    ))).map(toRecord);
  }

  /** Accounts that have subscriptions. */
  async accounts(): Promise<AccountId[]> {
    return (await this.db.read(all<{ account_id: string }>(
      `SELECT account_id FROM jmap_push_subscriptions GROUP BY account_id ORDER BY account_id${this.db.dialect.bytes}`,
    ))).map((r) => r.account_id);
  }

  /** How many subscriptions the account has. */
  async count(accountId: AccountId): Promise<number> {
    const row = await this.db.read(
      get<{ n: number }>("SELECT count(*) AS n FROM jmap_push_subscriptions WHERE account_id = ?", accountId),
    );
    return Number(row?.n ?? 0);
  }

  /** Stores a subscription. */
  async create(s: PushSubscriptionRecord): Promise<void> {
    await this.db.write(run(
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
    ));
  }

  /** Patches a subscription; null when unknown. */
  update(
    accountId: AccountId,
    id: string,
    patch: PushSubscriptionPatch,
  ): Promise<PushSubscriptionRecord | null> {
    return this.db.atomic(update(this.db.dialect, accountId, id, patch));
  }

  /** Deletes a subscription of the account. */
  async delete(accountId: AccountId, id: string): Promise<boolean> {
    return (await this.db.write(
      run("DELETE FROM jmap_push_subscriptions WHERE account_id = ? AND id = ?", accountId, id),
    )) > 0;
  }

  /** Deletes expired subscriptions; returns how many. */
  deleteExpired(now: Date): Promise<number> {
    return this.db.write(
      run("DELETE FROM jmap_push_subscriptions WHERE expires IS NOT NULL AND expires <= ?", now.getTime()),
    );
  }
}
