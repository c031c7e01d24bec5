/**
 * SQLite implementation of `ShareNotificationStore` (component "share_notifications"). One
 * sequence numbers creations and destructions alike: a row's `seq` when it was created, its
 * `destroyed_seq` when it was destroyed; an account's state is the highest of either.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import { CannotCalculateChangesError } from "../../types.ts";
import type {
  ShareNotification,
  ShareNotificationChanges,
  ShareNotificationStore,
} from "../../records/share_notifications.ts";
import { shareNotificationId, shareNotificationSeq } from "../../records/share_notifications.ts";
import type { Database } from "../database.ts";

/** Applies the "share_notifications" migrations. */
export function migrateShareNotifications(db: Database): void {
  db.applyMigrations("share_notifications", [{
    version: 1,
    sql: `CREATE TABLE share_notifications (
      seq INTEGER PRIMARY KEY,
      account_id TEXT NOT NULL,
      created INTEGER NOT NULL,
      changed_by_name TEXT NOT NULL,
      changed_by_email TEXT,
      changed_by_id TEXT,
      object_type TEXT NOT NULL,
      object_account_id TEXT NOT NULL,
      object_id TEXT NOT NULL,
      old_rights TEXT NOT NULL,
      new_rights TEXT NOT NULL,
      name TEXT NOT NULL,
      destroyed_seq INTEGER
    ) STRICT;
    CREATE INDEX share_notifications_account ON share_notifications (account_id, seq);`,
  }]);
}

interface Row {
  seq: number;
  account_id: string;
  created: number;
  changed_by_name: string;
  changed_by_email: string | null;
  changed_by_id: string | null;
  object_type: string;
  object_account_id: string;
  object_id: string;
  old_rights: string;
  new_rights: string;
  name: string;
  destroyed_seq: number | null;
}

function notification(r: Row): ShareNotification {
  return {
    id: shareNotificationId(r.seq),
    accountId: r.account_id,
    created: new Date(r.created),
    changedBy: { name: r.changed_by_name, email: r.changed_by_email, principalId: r.changed_by_id },
    objectType: r.object_type,
    objectAccountId: r.object_account_id,
    objectId: r.object_id,
    oldRights: r.old_rights,
    newRights: r.new_rights,
    name: r.name,
  };
}

/** The next number of the one sequence, inside a write transaction. */
const NEXT_SEQ =
  "(SELECT coalesce(max(max(seq, coalesce(destroyed_seq, 0))), 0) + 1 FROM share_notifications)";

/** Share notifications in the store database. */
export class SqliteShareNotificationStore implements ShareNotificationStore {
  readonly #db: Database;

  /** @param db the store database, "share_notifications" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  add(n: Omit<ShareNotification, "id">): Promise<ShareNotification> {
    const row = this.#db.transaction(() =>
      this.#db.get<Row>(
        `INSERT INTO share_notifications (seq, account_id, created, changed_by_name, changed_by_email,
           changed_by_id, object_type, object_account_id, object_id, old_rights, new_rights, name)
         VALUES (${NEXT_SEQ}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        n.accountId,
        n.created.getTime(),
        n.changedBy.name,
        n.changedBy.email,
        n.changedBy.principalId,
        n.objectType,
        n.objectAccountId,
        n.objectId,
        n.oldRights,
        n.newRights,
        n.name,
      )!
    );
    return Promise.resolve(notification(row));
  }

  list(accountId: AccountId): Promise<ShareNotification[]> {
    return Promise.resolve(
      this.#db.all<Row>(
        "SELECT * FROM share_notifications WHERE account_id = ? AND destroyed_seq IS NULL ORDER BY created, seq",
        accountId,
      ).map(notification),
    );
  }

  destroy(accountId: AccountId, ids: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    this.#db.transaction(() => {
      for (const id of ids) {
        const seq = shareNotificationSeq(id);
        if (seq === null) continue;
        const r = this.#db.run(
          `UPDATE share_notifications SET destroyed_seq = ${NEXT_SEQ}
           WHERE seq = ? AND account_id = ? AND destroyed_seq IS NULL`,
          seq,
          accountId,
        );
        if (Number(r.changes) > 0) out.push(id);
      }
    });
    return Promise.resolve(out);
  }

  state(accountId: AccountId): Promise<string> {
    const r = this.#db.get<{ s: number | null }>(
      "SELECT max(max(seq, coalesce(destroyed_seq, 0))) AS s FROM share_notifications WHERE account_id = ?",
      accountId,
    );
    return Promise.resolve(String(r?.s ?? 0));
  }

  async changes(accountId: AccountId, sinceState: string): Promise<ShareNotificationChanges> {
    const newState = await this.state(accountId);
    if (!/^(0|[1-9][0-9]{0,15})$/.test(sinceState) || Number(sinceState) > Number(newState)) {
      throw new CannotCalculateChangesError(`Unknown state "${sinceState}"`);
    }
    const since = Number(sinceState);
    const rows = this.#db.all<{ seq: number; destroyed_seq: number | null }>(
      `SELECT seq, destroyed_seq FROM share_notifications
       WHERE account_id = ? AND (seq > ? OR destroyed_seq > ?) ORDER BY seq`,
      accountId,
      since,
      since,
    );
    return {
      newState,
      // RFC 8620 §5.2: one created and destroyed since the old state is not reported at all.
      created: rows.filter((r) => r.seq > since && r.destroyed_seq === null).map((r) =>
        shareNotificationId(r.seq)
      ),
      destroyed: rows.filter((r) => r.seq <= since && r.destroyed_seq !== null).map((r) =>
        shareNotificationId(r.seq)
      ),
    };
  }

  objectsNotified(accountId: AccountId, objectAccountId: AccountId): Promise<Set<string>> {
    return Promise.resolve(
      new Set(
        this.#db.all<{ object_id: string }>(
          "SELECT DISTINCT object_id FROM share_notifications WHERE account_id = ? AND object_account_id = ?",
          accountId,
          objectAccountId,
        ).map((r) => r.object_id),
      ),
    );
  }
}
