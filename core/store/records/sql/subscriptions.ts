/**
 * `SubscriptionStore` (IMAP subscriptions that outlived their mailbox, RFC 9051 §6.3.7) in SQL,
 * shared by SQLite and PostgreSQL (table `imap_subscriptions`; each backend keeps its schema).
 * Account ids are never reused, so rows of a deleted account are inert.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { SubscriptionStore } from "../subscriptions.ts";
import { all, type RecordDb, run } from "./db.ts";

/** Names are bounded like mailbox names (32 levels of 255 characters). */
const MAX_NAME = 32 * 256;

/** Subscriptions without a mailbox over either backend. */
export class SqlSubscriptionStore implements SubscriptionStore {
  /** @param db the backend, its "imap_subscriptions" schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** The account's names, sorted. */
  async list(accountId: AccountId): Promise<string[]> {
    return (await this.db.read(all<{ name: string }>(
      `SELECT name FROM imap_subscriptions WHERE account_id = ? ORDER BY name${this.db.dialect.bytes}`,
      accountId,
    ))).map((r) => r.name);
  }

  /** Adds a name (idempotent). */
  async add(accountId: AccountId, name: string): Promise<void> {
    if (name.length > MAX_NAME) throw new RangeError("subscription name too long");
    await this.db.write(run(
      "INSERT INTO imap_subscriptions (account_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
      accountId,
      name,
    ));
  }

  /** Removes a name (idempotent). */
  async remove(accountId: AccountId, name: string): Promise<void> {
    await this.db.write(
      run("DELETE FROM imap_subscriptions WHERE account_id = ? AND name = ?", accountId, name),
    );
  }
}
