/**
 * `ShareNotificationStore` (RFC 9670 §5) in SQL, shared by SQLite and PostgreSQL (table
 * `share_notifications`; each backend keeps its schema). One sequence numbers creations and
 * destructions alike: a row's `seq` when it was created, its `destroyed_seq` when it was
 * destroyed; an account's state is the highest of either. Each backend names the sequence's next
 * number (`nextSeq`).
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import { CannotCalculateChangesError } from "../../types.ts";
import type {
  ShareNotification,
  ShareNotificationChanges,
  ShareNotificationStore,
} from "../share_notifications.ts";
import { shareNotificationId, shareNotificationSeq } from "../share_notifications.ts";
import { all, get, type Op, type RecordDb, run } from "./db.ts";

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

function* destroy(nextSeq: string, accountId: AccountId, ids: readonly string[]): Op<string[]> {
  const out: string[] = [];
  for (const id of ids) {
    const seq = shareNotificationSeq(id);
    if (seq === null) continue;
    const changed = yield* run(
      `UPDATE share_notifications SET destroyed_seq = ${nextSeq}
       WHERE seq = ? AND account_id = ? AND destroyed_seq IS NULL`,
      seq,
      accountId,
    );
    if (changed > 0) out.push(id);
  }
  return out;
}

/** Share notifications over either backend. */
export class SqlShareNotificationStore implements ShareNotificationStore {
  /**
   * @param db the backend, its "share_notifications" schema applied
   * @param nextSeq SQL for the next number of the one sequence (evaluated inside the write)
   */
  constructor(protected readonly db: RecordDb, readonly nextSeq: string) {}

  /** Records a notification. */
  async add(n: Omit<ShareNotification, "id">): Promise<ShareNotification> {
    const row = await this.db.atomic(get<Row>(
      `INSERT INTO share_notifications (seq, account_id, created, changed_by_name, changed_by_email,
         changed_by_id, object_type, object_account_id, object_id, old_rights, new_rights, name)
       VALUES (${this.nextSeq}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
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
    ));
    return notification(row!);
  }

  /** The live notifications of an account, oldest first. */
  async list(accountId: AccountId): Promise<ShareNotification[]> {
    return (await this.db.read(all<Row>(
      "SELECT * FROM share_notifications WHERE account_id = ? AND destroyed_seq IS NULL ORDER BY created, seq",
      accountId,
    ))).map(notification);
  }

  /** Destroys notifications; returns the ids that were live. */
  destroy(accountId: AccountId, ids: readonly string[]): Promise<string[]> {
    return this.db.atomic(destroy(this.nextSeq, accountId, ids));
  }

  /** The account's state. */
  async state(accountId: AccountId): Promise<string> {
    const r = await this.db.read(get<{ s: number | null }>(
      `SELECT max(${this.db.dialect.greatest}(seq, coalesce(destroyed_seq, 0))) AS s
       FROM share_notifications WHERE account_id = ?`,
      accountId,
    ));
    return String(r?.s ?? 0);
  }

  /** Changes since a state. */
  async changes(accountId: AccountId, sinceState: string): Promise<ShareNotificationChanges> {
    const newState = await this.state(accountId);
    if (!/^(0|[1-9][0-9]{0,15})$/.test(sinceState) || Number(sinceState) > Number(newState)) {
      throw new CannotCalculateChangesError(`Unknown state "${sinceState}"`);
    }
    const since = Number(sinceState);
    const rows = (await this.db.read(all<{ seq: number; destroyed_seq: number | null }>(
      `SELECT seq, destroyed_seq FROM share_notifications
       WHERE account_id = ? AND (seq > ? OR destroyed_seq > ?) ORDER BY seq`,
      accountId,
      since,
      since,
    ))).map((r) => ({ seq: Number(r.seq), destroyed: r.destroyed_seq !== null }));
    return {
      newState,
      // RFC 8620 §5.2: one created and destroyed since the old state is not reported at all.
      created: rows.filter((r) => r.seq > since && !r.destroyed).map((r) => shareNotificationId(r.seq)),
      destroyed: rows.filter((r) => r.seq <= since && r.destroyed).map((r) => shareNotificationId(r.seq)),
    };
  }

  /** The objects of an account the user was ever notified of. */
  async objectsNotified(accountId: AccountId, objectAccountId: AccountId): Promise<Set<string>> {
    return new Set(
      (await this.db.read(all<{ object_id: string }>(
        "SELECT DISTINCT object_id FROM share_notifications WHERE account_id = ? AND object_account_id = ?",
        accountId,
        objectAccountId,
      ))).map((r) => r.object_id),
    );
  }
}
