/**
 * The mailboxes part of `SqliteStore` (list, counters, \Recent claims, create, rename/move,
 * delete), over the store's database and group commit.
 *
 * @module
 */
import type {
  AccountId,
  Mailbox,
  MailboxCounts,
  MailboxId,
  MailboxPatch,
  MailboxRole,
  NewMailbox,
} from "../types.ts";
import { StoreError } from "../types.ts";
import type { Database } from "./database.ts";
import type { AccountRow } from "./directory.ts";
import { formatId, parseId } from "./ids.ts";
import type { Mutation } from "./mutation.ts";

/**
 * Messages removed per write job when a mailbox is deleted with its messages: bounds how long one
 * job holds the write queue (a message whose last copy goes costs about a millisecond, most of it
 * the search index's delete).
 */
export const DELETE_CHUNK = 64;

/** A row of `mailboxes` (with the counters the placement triggers keep). */
export interface MailboxRow {
  id: number;
  account_id: number;
  parent_id: number | null;
  name: string;
  role: string | null;
  sort_order: number;
  subscribed: number;
  uid_validity: number;
  uid_next: number;
  highest_modseq: number;
  c_total: number;
  c_unread: number;
  c_deleted: number;
  c_size: number;
  c_threads: number;
  c_unread_threads: number;
}

const ROLES = new Set<string>(["inbox", "drafts", "sent", "junk", "trash", "archive"]);
const MAX_UID_VALIDITY = 0xffffffff;

/** What the mailboxes need of the store that hosts them. */
export interface MailboxesHost {
  readonly database: Database;
  /** Runs a synchronous read; its errors become rejections. */
  read<T>(fn: () => T | Promise<T>): Promise<T>;
  /** Queues a write job in the group commit. */
  write<T>(fn: (mut: Mutation) => T): Promise<T>;
  /** The clock, in milliseconds. */
  now(): number;
  accountRow(id: AccountId): AccountRow;
  mailboxRow(accountId: AccountId, id: MailboxId): MailboxRow;
  mailboxRowOrNull(accountId: AccountId, id: MailboxId): MailboxRow | null;
  /**
   * Takes a message (row id) out of a mailbox; without an expunge record unless asked (a deleted
   * mailbox needs none).
   */
  removePlacement(mut: Mutation, messageRow: number, mailboxRow: number, recordExpunge?: boolean): void;
  /** Forgets the cached placements of a mailbox. */
  invalidatePlacements(mailboxRow: number): void;
  /** No vacuum after this write's releases (a chunk of a deletion; `vacuumAtEnd` comes later). */
  deferVacuum(mut: Mutation): void;
  /** Gives every free page back at the end of this write (the last job of a chunked deletion). */
  vacuumAtEnd(mut: Mutation): void;
}

/** The mailboxes of the accounts in the SQLite database. */
export class SqliteMailboxes {
  readonly #h: MailboxesHost;

  /** @param host the store's database, group commit and row helpers */
  constructor(host: MailboxesHost) {
    this.#h = host;
  }

  /** The account's mailboxes. */
  listMailboxes(accountId: AccountId): Promise<Mailbox[]> {
    return this.#h.read(() => {
      const acc = this.#h.accountRow(accountId);
      return Promise.resolve(
        this.#h.database.all<MailboxRow>("SELECT * FROM mailboxes WHERE account_id = ? ORDER BY id", acc.id)
          .map(
            toMailbox,
          ),
      );
    });
  }

  /** One mailbox, or null. */
  getMailbox(accountId: AccountId, id: MailboxId): Promise<Mailbox | null> {
    return this.#h.read(() => {
      const row = this.#h.mailboxRowOrNull(accountId, id);
      return Promise.resolve(row ? toMailbox(row) : null);
    });
  }

  /** The mailbox with a role, or null. */
  getMailboxByRole(accountId: AccountId, role: MailboxRole): Promise<Mailbox | null> {
    return this.#h.read(() => {
      const acc = parseId("account", accountId);
      if (acc === null) return Promise.resolve(null);
      const row = this.#h.database.get<MailboxRow>(
        "SELECT * FROM mailboxes WHERE account_id = ? AND role = ?",
        acc,
        role,
      );
      return Promise.resolve(row ? toMailbox(row) : null);
    });
  }

  /** Counters of a mailbox (one scan of its placements). */
  mailboxCounts(accountId: AccountId, id: MailboxId): Promise<MailboxCounts> {
    return this.#h.read(() => {
      const mb = this.#h.mailboxRow(accountId, id);
      // Kept by the placement triggers (schema.ts): one row read.
      return {
        total: mb.c_total,
        unread: mb.c_unread,
        deleted: mb.c_deleted,
        size: mb.c_size,
        totalThreads: mb.c_threads,
        unreadThreads: mb.c_unread_threads,
      };
    });
  }

  /** IMAP \Recent claims (see `MailboxStore.claimRecent`); a read only when nothing is claimed. */
  async claimRecent(accountId: AccountId, id: MailboxId, upTo?: number): Promise<number> {
    const current = await this.#h.read(() => this.#claimRow(accountId, id).claimed);
    if (upTo === undefined || upTo <= current) return current;
    // Read again inside the write job: claims are serialised there, so each UID is claimed once.
    return this.#h.write(() => {
      const mb = this.#claimRow(accountId, id);
      if (upTo > mb.claimed) {
        this.#h.database.run(
          "INSERT INTO recent_claims (mailbox_id, uid) VALUES (?, ?) ON CONFLICT (mailbox_id) DO UPDATE SET uid = excluded.uid",
          mb.id,
          upTo,
        );
      }
      return mb.claimed;
    });
  }

  /**
   * A mailbox's \Recent claim (0: none) and next UID, in one statement; StoreError("notFound")
   * when the account has no such mailbox.
   */
  #claimRow(accountId: AccountId, id: MailboxId): { id: number; uidNext: number; claimed: number } {
    const acc = parseId("account", accountId);
    const row = parseId("mailbox", id);
    const r = acc === null || row === null ? undefined : this.#h.database.get<
      { uid_next: number; claimed: number | null }
    >(
      `SELECT uid_next, (SELECT uid FROM recent_claims WHERE mailbox_id = m.id) AS claimed
       FROM mailboxes m WHERE m.id = ? AND m.account_id = ?`,
      row,
      acc,
    );
    if (!r) throw new StoreError("notFound", `No such mailbox: "${id}"`);
    return { id: row!, uidNext: r.uid_next, claimed: r.claimed ?? 0 };
  }

  /** See `MailboxStore.claimAllRecent`: a write job, queued now (so after any job queued before). */
  claimAllRecent(accountId: AccountId, id: MailboxId): Promise<{ before: number; upTo: number }> {
    return this.#h.write(() => {
      const mb = this.#claimRow(accountId, id);
      const before = mb.claimed;
      // uid_next only grows: every UID the mailbox has given so far is at most uid_next - 1.
      const upTo = Math.max(before, mb.uidNext - 1);
      if (upTo > before) {
        this.#h.database.run(
          "INSERT INTO recent_claims (mailbox_id, uid) VALUES (?, ?) ON CONFLICT (mailbox_id) DO UPDATE SET uid = excluded.uid",
          mb.id,
          upTo,
        );
      }
      return { before, upTo };
    });
  }

  /** Creates a mailbox under `parentId` (or at the top). */
  createMailbox(
    accountId: AccountId,
    input: NewMailbox,
  ): Promise<Mailbox> {
    return this.#h.write((mut) => {
      const acc = this.#h.accountRow(accountId);
      const parent = input.parentId ? this.#h.mailboxRow(accountId, input.parentId).id : null;
      const row = this.insertMailbox(mut, acc.id, {
        name: input.name,
        parentId: parent,
        role: input.role ?? null,
        sortOrder: input.sortOrder ?? 0,
        subscribed: input.subscribed,
      });
      return toMailbox(row);
    });
  }

  /** Inserts a mailbox row (checked name and role, a new UIDVALIDITY) and logs its creation. */
  insertMailbox(
    mut: Mutation,
    accountRow: number,
    input: {
      name: string;
      parentId: number | null;
      role: MailboxRole | null;
      sortOrder: number;
      subscribed?: boolean;
    },
  ): MailboxRow {
    const db = this.#h.database;
    const name = validMailboxName(input.name);
    this.#checkSiblingName(accountRow, input.parentId, name, null);
    if (input.role !== null) this.#checkRole(accountRow, input.role, null);
    const uidValidity = this.#nextUidValidity();
    const id = db.get<{ id: number }>(
      `INSERT INTO mailboxes (account_id, parent_id, name, role, sort_order, subscribed, uid_validity)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      accountRow,
      input.parentId,
      name,
      input.role,
      validSortOrder(input.sortOrder),
      input.subscribed === false ? 0 : 1,
      uidValidity,
    )!.id;
    const mailboxId = formatId("mailbox", id);
    const modseq = mut.log(accountRow, "Mailbox", mailboxId, "c");
    db.run("UPDATE mailboxes SET highest_modseq = ? WHERE id = ?", modseq, id);
    mut.notifyMailbox(accountRow, mailboxId);
    return db.get<MailboxRow>("SELECT * FROM mailboxes WHERE id = ?", id)!;
  }

  #checkSiblingName(accountRow: number, parentId: number | null, name: string, self: number | null): void {
    const clash = this.#h.database.get<{ id: number }>(
      "SELECT id FROM mailboxes WHERE account_id = ? AND ifnull(parent_id, 0) = ? AND name = ? AND id != ?",
      accountRow,
      parentId ?? 0,
      name,
      self ?? 0,
    );
    // RFC 9051 §5.1: INBOX is case-insensitive, so no top-level sibling may differ from it only by case.
    const inboxClash = parentId === null && name.toLowerCase() === "inbox" &&
      this.#h.database.get<{ id: number }>(
        "SELECT id FROM mailboxes WHERE account_id = ? AND parent_id IS NULL AND lower(name) = 'inbox' AND id != ?",
        accountRow,
        self ?? 0,
      );
    if (clash || inboxClash) throw new StoreError("alreadyExists", `Mailbox exists: "${name}"`);
  }

  #checkRole(accountRow: number, role: string, self: number | null): void {
    if (!ROLES.has(role)) throw new StoreError("invalid", `Unknown role: "${role}"`);
    if (
      this.#h.database.get(
        "SELECT 1 FROM mailboxes WHERE account_id = ? AND role = ? AND id != ?",
        accountRow,
        role,
        self ?? 0,
      )
    ) {
      throw new StoreError("alreadyExists", `A mailbox has role "${role}" already`);
    }
  }

  #nextUidValidity(): number {
    // RFC 9051 §2.3.1.1: a mailbox re-created under an old name must get a new UIDVALIDITY, so the
    // value is strictly increasing across the store even within one second.
    const db = this.#h.database;
    const last =
      db.get<{ value: number }>("SELECT value FROM store_meta WHERE key = 'uid_validity'")?.value ?? 0;
    const now = Math.floor(this.#h.now() / 1000);
    let next = Math.max(now, last + 1, 1);
    if (next > MAX_UID_VALIDITY) next = last + 1 <= MAX_UID_VALIDITY ? last + 1 : 1;
    db.run(
      `INSERT INTO store_meta (key, value) VALUES ('uid_validity', ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      next,
    );
    return next;
  }

  /** Renames, moves, re-roles or (un)subscribes a mailbox. UIDVALIDITY never changes. */
  updateMailbox(
    accountId: AccountId,
    id: MailboxId,
    patch: MailboxPatch,
  ): Promise<Mailbox> {
    return this.#h.write((mut) => {
      const db = this.#h.database;
      const mb = this.#h.mailboxRow(accountId, id);
      const name = patch.name !== undefined ? validMailboxName(patch.name) : mb.name;
      let parent = mb.parent_id;
      if (patch.parentId !== undefined) {
        parent = patch.parentId === null ? null : this.#h.mailboxRow(accountId, patch.parentId).id;
        // No cycles: the new parent must not be the mailbox or one of its descendants.
        for (let p = parent; p !== null;) {
          if (p === mb.id) throw new StoreError("invalid", "A mailbox cannot be moved under itself");
          p = db.get<{ parent_id: number | null }>("SELECT parent_id FROM mailboxes WHERE id = ?", p)
            ?.parent_id ??
            null;
        }
      }
      if (name !== mb.name || parent !== mb.parent_id) {
        this.#checkSiblingName(mb.account_id, parent, name, mb.id);
      }
      let role = mb.role;
      if (patch.role !== undefined) {
        role = patch.role;
        if (role !== null) this.#checkRole(mb.account_id, role, mb.id);
      }
      db.run(
        "UPDATE mailboxes SET name = ?, parent_id = ?, role = ?, subscribed = ?, sort_order = ? WHERE id = ?",
        name,
        parent,
        role,
        patch.subscribed === undefined ? mb.subscribed : patch.subscribed ? 1 : 0,
        patch.sortOrder === undefined ? mb.sort_order : validSortOrder(patch.sortOrder),
        mb.id,
      );
      const modseq = mut.log(mb.account_id, "Mailbox", id, "u");
      db.run("UPDATE mailboxes SET highest_modseq = ? WHERE id = ?", modseq, mb.id);
      mut.notifyMailbox(mb.account_id, id);
      return toMailbox(db.get<MailboxRow>("SELECT * FROM mailboxes WHERE id = ?", mb.id)!);
    });
  }

  /**
   * Deletes a mailbox (see `MailboxStore.deleteMailbox`). The Inbox cannot be deleted.
   *
   * With `removeMessages`, a large mailbox is emptied in write jobs of `DELETE_CHUNK` messages
   * (each an expunge of those messages, as a client's EXPUNGE would be) and the mailbox goes with
   * the last ones in a final job, so other writes (deliveries, APPENDs, JMAP sets) commit between
   * the chunks instead of waiting for seconds behind one job. A failure part way leaves the mailbox
   * with fewer messages, never a half-deleted mailbox.
   */
  async deleteMailbox(accountId: AccountId, id: MailboxId, opts: { removeMessages: boolean }): Promise<void> {
    let chunks = 0;
    while (opts.removeMessages && await this.#h.write((mut) => this.#deleteChunk(mut, accountId, id))) {
      // Next chunk: queued behind whatever other writes came meanwhile.
      chunks++;
    }
    return await this.#h.write((mut) => {
      const db = this.#h.database;
      const mb = this.#deletable(accountId, id);
      // The chunks each gave back what they freed when it was enough to be worth it; what is left
      // goes now, as for a deletion in one job.
      if (chunks > 0) this.#h.vacuumAtEnd(mut);
      const messageRows = db.values("SELECT message_id FROM placements WHERE mailbox_id = ?", mb.id).map((
        r,
      ) => Number(r[0]));
      if (messageRows.length > 0 && !opts.removeMessages) {
        throw new StoreError("conflict", `Mailbox is not empty: "${mb.name}"`);
      }
      for (const messageRow of messageRows) {
        this.#h.removePlacement(mut, messageRow, mb.id);
      }
      db.run("DELETE FROM expunged WHERE mailbox_id = ?", mb.id);
      db.run("DELETE FROM mailboxes WHERE id = ?", mb.id);
      this.#h.invalidatePlacements(mb.id);
      mut.log(mb.account_id, "Mailbox", id, "d");
      mut.notifyMailbox(mb.account_id, id);
    });
  }

  /** The row of a mailbox that may be deleted (not the Inbox, no children), else throws. */
  #deletable(accountId: AccountId, id: MailboxId): MailboxRow {
    const mb = this.#h.mailboxRow(accountId, id);
    if (mb.role === "inbox") throw new StoreError("forbidden", "The Inbox cannot be deleted");
    if (this.#h.database.get("SELECT 1 FROM mailboxes WHERE parent_id = ? LIMIT 1", mb.id)) {
      throw new StoreError("hasChildren", `Mailbox has children: "${mb.name}"`);
    }
    return mb;
  }

  /**
   * One chunk of a mailbox deletion: when more than `DELETE_CHUNK` messages remain, removes
   * `DELETE_CHUNK` of them and returns true; else removes nothing (the final job takes the rest).
   */
  #deleteChunk(mut: Mutation, accountId: AccountId, id: MailboxId): boolean {
    const mb = this.#deletable(accountId, id);
    const rows = this.#h.database.values(
      "SELECT message_id FROM placements WHERE mailbox_id = ? LIMIT ?",
      mb.id,
      DELETE_CHUNK + 1,
    );
    if (rows.length <= DELETE_CHUNK) return false;
    // One vacuum (and search-index merge) for the whole deletion, in its last job: after every
    // chunk, the merges alone took most of a 1,000-message deletion's time (1.5 s of 2.5 s).
    this.#h.deferVacuum(mut);
    // With expunge records: should the deletion stop here (a crash), QRESYNC clients still learn
    // which UIDs went (RFC 7162 §3.2.10); the final job drops them with the mailbox.
    for (const r of rows.slice(0, DELETE_CHUNK)) this.#h.removePlacement(mut, Number(r[0]), mb.id, true);
    return true;
  }
}

/** The mailbox of a row. */
export function toMailbox(r: MailboxRow): Mailbox {
  return {
    id: formatId("mailbox", r.id),
    accountId: formatId("account", r.account_id),
    name: r.name,
    parentId: r.parent_id === null ? null : formatId("mailbox", r.parent_id),
    role: r.role as MailboxRole | null,
    sortOrder: r.sort_order,
    subscribed: r.subscribed !== 0,
    uidValidity: r.uid_validity,
    uidNext: r.uid_next,
    highestModseq: r.highest_modseq,
  };
}

function validSortOrder(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new StoreError("invalid", `Invalid sortOrder: ${n}`);
  return n;
}

function validMailboxName(name: string): string {
  const n = typeof name === "string" ? name.normalize("NFC") : "";
  // RFC 8621 §2: a name is non-empty; control characters are never allowed (RFC 9051 §5.1). A
  // leaf name never holds "/", the hierarchy delimiter IMAP shows (RFC 9051 §5.1.1): JMAP and IMAP
  // see one tree, and "a/b" created over JMAP would read as a child "b" of "a" over IMAP.
  // deno-lint-ignore no-control-regex
  if (!n || n.length > 255 || /[\x00-\x1f\x7f/]/.test(n)) {
    throw new StoreError("invalid", `Invalid mailbox name: "${String(name)}"`);
  }
  return n;
}
