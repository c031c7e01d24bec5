/**
 * Share notifications (RFC 9670 §5) on PostgreSQL: one sequence numbers creations and
 * destructions alike. Semantics as core/store/sqlite/records/share_notifications.ts.
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
import type { PgMigration } from "../migrations.ts";
import type { PgDb } from "./db.ts";

/** Migration component of the share notifications table. */
export const SHARE_NOTIFICATIONS_COMPONENT = "share_notifications";

/** The share notifications table and its sequence. */
export const SHARE_NOTIFICATIONS_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE SEQUENCE share_notification_seq;
CREATE TABLE share_notifications (
  seq BIGINT PRIMARY KEY,
  account_id TEXT NOT NULL,
  created BIGINT NOT NULL,
  changed_by_name TEXT NOT NULL,
  changed_by_email TEXT,
  changed_by_id TEXT,
  object_type TEXT NOT NULL,
  object_account_id TEXT NOT NULL,
  object_id TEXT NOT NULL,
  old_rights TEXT NOT NULL,
  new_rights TEXT NOT NULL,
  name TEXT NOT NULL,
  destroyed_seq BIGINT
);
CREATE INDEX share_notifications_account ON share_notifications (account_id, seq);
`,
}];

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
    id: shareNotificationId(Number(r.seq)),
    accountId: r.account_id,
    created: new Date(Number(r.created)),
    changedBy: { name: r.changed_by_name, email: r.changed_by_email, principalId: r.changed_by_id },
    objectType: r.object_type,
    objectAccountId: r.object_account_id,
    objectId: r.object_id,
    oldRights: r.old_rights,
    newRights: r.new_rights,
    name: r.name,
  };
}

/** Share notifications. */
export class PgShareNotificationStore implements ShareNotificationStore {
  /** @param db the pool */
  constructor(readonly db: PgDb) {}

  /** Records a notification. */
  async add(n: Omit<ShareNotification, "id">): Promise<ShareNotification> {
    const row = await this.db.get<Row>(
      `INSERT INTO share_notifications (seq, account_id, created, changed_by_name, changed_by_email,
         changed_by_id, object_type, object_account_id, object_id, old_rights, new_rights, name)
       VALUES (nextval('share_notification_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
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
    );
    return notification(row!);
  }

  /** The live notifications of an account, oldest first. */
  async list(accountId: AccountId): Promise<ShareNotification[]> {
    return (await this.db.all<Row>(
      "SELECT * FROM share_notifications WHERE account_id = ? AND destroyed_seq IS NULL ORDER BY created, seq",
      accountId,
    )).map(notification);
  }

  /** Destroys notifications; returns the ids that were live. */
  async destroy(accountId: AccountId, ids: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const id of ids) {
      const seq = shareNotificationSeq(id);
      if (seq === null) continue;
      const r = await this.db.run(
        `UPDATE share_notifications SET destroyed_seq = nextval('share_notification_seq')
         WHERE seq = ? AND account_id = ? AND destroyed_seq IS NULL`,
        seq,
        accountId,
      );
      if (r.changes > 0) out.push(id);
    }
    return out;
  }

  /** The account's state. */
  async state(accountId: AccountId): Promise<string> {
    const r = await this.db.get<{ s: number | null }>(
      "SELECT max(greatest(seq, coalesce(destroyed_seq, 0))) AS s FROM share_notifications WHERE account_id = ?",
      accountId,
    );
    return String(r?.s ?? 0);
  }

  /** Changes since a state. */
  async changes(accountId: AccountId, sinceState: string): Promise<ShareNotificationChanges> {
    const newState = await this.state(accountId);
    if (!/^(0|[1-9][0-9]{0,15})$/.test(sinceState) || Number(sinceState) > Number(newState)) {
      throw new CannotCalculateChangesError(`Unknown state "${sinceState}"`);
    }
    const since = Number(sinceState);
    const rows = (await this.db.all<{ seq: number; destroyed_seq: number | null }>(
      `SELECT seq, destroyed_seq FROM share_notifications
       WHERE account_id = ? AND (seq > ? OR destroyed_seq > ?) ORDER BY seq`,
      accountId,
      since,
      since,
    )).map((r) => ({ seq: Number(r.seq), destroyed: r.destroyed_seq !== null }));
    return {
      newState,
      created: rows.filter((r) => r.seq > since && !r.destroyed).map((r) => shareNotificationId(r.seq)),
      destroyed: rows.filter((r) => r.seq <= since && r.destroyed).map((r) => shareNotificationId(r.seq)),
    };
  }

  /** The objects of an account the user was ever notified of. */
  async objectsNotified(accountId: AccountId, objectAccountId: AccountId): Promise<Set<string>> {
    return new Set(
      (await this.db.all<{ object_id: string }>(
        "SELECT DISTINCT object_id FROM share_notifications WHERE account_id = ? AND object_account_id = ?",
        accountId,
        objectAccountId,
      )).map((r) => r.object_id),
    );
  }
}
