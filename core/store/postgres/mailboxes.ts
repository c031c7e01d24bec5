/**
 * The mailboxes part of `PostgresStore`: creation (checked names and roles, a fresh UIDVALIDITY),
 * updates, deletion and the rows' domain form.
 *
 * @module
 */
import { type AccountId, type Mailbox, type MailboxId, type MailboxRole, StoreError } from "../types.ts";
import { formatId, parseId } from "../ids.ts";
import type { Queryable, Tx } from "./connection.ts";
import type { PgMutation } from "./mutation.ts";

/** A row of `mailboxes`. */
export interface MailboxRow {
  id: number;
  account_id: number;
  parent_id: number | null;
  name: string;
  role: string | null;
  sort_order: number;
  subscribed: boolean;
  uid_validity: number;
  uid_next: number;
  highest_modseq: number;
  recent_uid: number;
}

const ROLES = new Set(["inbox", "drafts", "sent", "junk", "trash", "archive"]);
const MAX_UID_VALIDITY = 0xffffffff;

/** The mailbox of a row. */
export function toMailbox(r: MailboxRow): Mailbox {
  return {
    id: formatId("mailbox", r.id),
    accountId: formatId("account", r.account_id),
    name: r.name,
    parentId: r.parent_id === null ? null : formatId("mailbox", r.parent_id),
    role: r.role as MailboxRole | null,
    sortOrder: r.sort_order,
    subscribed: r.subscribed,
    uidValidity: r.uid_validity,
    uidNext: r.uid_next,
    highestModseq: r.highest_modseq,
  };
}

/** The mailbox row of an account's public mailbox id, or null. */
export async function mailboxRowOrNull(
  db: Queryable,
  accountId: AccountId,
  id: MailboxId,
): Promise<MailboxRow | null> {
  const acc = parseId("account", accountId);
  const row = parseId("mailbox", id);
  if (acc === null || row === null) return null;
  const [r] = await db<MailboxRow[]>`SELECT * FROM mailboxes WHERE id = ${row} AND account_id = ${acc}`;
  return r ?? null;
}

/** The mailbox row; StoreError("notFound") when there is none. */
export async function mailboxRow(db: Queryable, accountId: AccountId, id: MailboxId): Promise<MailboxRow> {
  const r = await mailboxRowOrNull(db, accountId, id);
  if (!r) throw new StoreError("notFound", `No such mailbox: "${id}"`);
  return r;
}

/** A sortOrder, checked. */
export function validSortOrder(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new StoreError("invalid", `Invalid sortOrder: ${n}`);
  return n;
}

/** A leaf name, checked and NFC-normalised. */
export function validMailboxName(name: string): string {
  const n = typeof name === "string" ? name.normalize("NFC") : "";
  // RFC 8621 §2 and RFC 9051 §5.1: non-empty, no control characters; no "/" (the IMAP delimiter,
  // RFC 9051 §5.1.1), so JMAP and IMAP see one tree.
  // deno-lint-ignore no-control-regex
  if (!n || n.length > 255 || /[\x00-\x1f\x7f/]/.test(n)) {
    throw new StoreError("invalid", `Invalid mailbox name: "${String(name)}"`);
  }
  return n;
}

/** Fails with "alreadyExists" when a sibling has the name (or, at the top, INBOX in any case). */
export async function checkSiblingName(
  tx: Tx,
  accountRow: number,
  parentId: number | null,
  name: string,
  self: number | null,
): Promise<void> {
  const [clash] = await tx`SELECT id FROM mailboxes WHERE account_id = ${accountRow}
    AND coalesce(parent_id, 0) = ${parentId ?? 0} AND name = ${name} AND id <> ${self ?? 0}`;
  // RFC 9051 §5.1: INBOX is case-insensitive.
  let inboxClash = false;
  if (parentId === null && name.toLowerCase() === "inbox") {
    const [r] = await tx`SELECT id FROM mailboxes WHERE account_id = ${accountRow} AND parent_id IS NULL
      AND lower(name) = 'inbox' AND id <> ${self ?? 0}`;
    inboxClash = r !== undefined;
  }
  if (clash || inboxClash) throw new StoreError("alreadyExists", `Mailbox exists: "${name}"`);
}

/** Fails when the role is unknown or another mailbox of the account has it. */
export async function checkRole(
  tx: Tx,
  accountRow: number,
  role: string,
  self: number | null,
): Promise<void> {
  if (!ROLES.has(role)) throw new StoreError("invalid", `Unknown role: "${role}"`);
  const [r] = await tx`SELECT 1 FROM mailboxes WHERE account_id = ${accountRow} AND role = ${role}
    AND id <> ${self ?? 0}`;
  if (r) throw new StoreError("alreadyExists", `A mailbox has role "${role}" already`);
}

/**
 * The next UIDVALIDITY: strictly increasing across the store (RFC 9051 §2.3.1.1: a mailbox
 * re-created under an old name gets a new one), the row locked so that processes agree.
 */
async function nextUidValidity(tx: Tx, nowMs: number): Promise<number> {
  await tx`INSERT INTO store_meta (key, value) VALUES ('uid_validity', 0) ON CONFLICT (key) DO NOTHING`;
  const [row] = await tx<{ value: number }[]>`
    SELECT value FROM store_meta WHERE key = 'uid_validity' FOR UPDATE`;
  const last = row?.value ?? 0;
  let next = Math.max(Math.floor(nowMs / 1000), last + 1, 1);
  if (next > MAX_UID_VALIDITY) next = last + 1 <= MAX_UID_VALIDITY ? last + 1 : 1;
  await tx`UPDATE store_meta SET value = ${next} WHERE key = 'uid_validity'`;
  return next;
}

/** Inserts a mailbox row (checked name and role, new UIDVALIDITY) and logs its creation. */
export async function insertMailbox(
  mut: PgMutation,
  accountRow: number,
  input: {
    name: string;
    parentId: number | null;
    role: MailboxRole | null;
    sortOrder: number;
    subscribed?: boolean;
  },
  nowMs: number,
): Promise<MailboxRow> {
  const tx = mut.tx;
  const name = validMailboxName(input.name);
  await checkSiblingName(tx, accountRow, input.parentId, name, null);
  if (input.role !== null) await checkRole(tx, accountRow, input.role, null);
  const uidValidity = await nextUidValidity(tx, nowMs);
  const [{ id }] = await tx<{ id: number }[]>`
    INSERT INTO mailboxes (account_id, parent_id, name, role, sort_order, subscribed, uid_validity)
    VALUES (${accountRow}, ${input.parentId}, ${name}, ${input.role}, ${validSortOrder(input.sortOrder)},
      ${input.subscribed !== false}, ${uidValidity})
    RETURNING id` as unknown as [{ id: number }];
  const mailboxId = formatId("mailbox", id);
  const modseq = await mut.log(accountRow, "Mailbox", mailboxId, "c");
  const [row] = await tx<MailboxRow[]>`
    UPDATE mailboxes SET highest_modseq = ${modseq} WHERE id = ${id} RETURNING *`;
  mut.notifyMailbox(accountRow, mailboxId);
  return row!;
}
