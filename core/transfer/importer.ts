/**
 * Imports a source (mbox, Maildir, .eml directory, IMAP) into an account through the Store: folders
 * are found or created (INBOX and the special-use folders map to the account's role mailboxes),
 * flags become keywords, internal dates are kept, and messages are added in batches (one commit
 * per batch). Resumable without duplicates: blobs are content-addressed (SHA-256 of the stored
 * bytes), so a message whose blob is already in the target mailbox is skipped, which is exactly
 * what an interrupted import re-reads.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { Account, BlobId, MailboxId, MailboxRole, NewMessage } from "../store/types.ts";
import type { TransferItem, TransferSource } from "./types.ts";

/** What an import did. */
export interface ImportReport {
  imported: number;
  /** Already in the target mailbox (an earlier, interrupted run). */
  duplicates: number;
  bytes: number;
  /** Mailboxes created, as "/"-joined paths. */
  createdFolders: string[];
}

/** Progress told to the caller after each message. */
export interface ImportProgress {
  messages: number;
  bytes: number;
}

const SYSTEM_KEYWORDS: Record<string, string> = {
  "\\seen": "$seen",
  "\\answered": "$answered",
  "\\flagged": "$flagged",
  "\\draft": "$draft",
  "\\deleted": "$deleted",
};

/** Store keywords of IMAP flags (RFC 8621 §4.1.1): system flags to `$` keywords, keywords lowercase. */
export function keywordsOfFlags(flags: string[]): string[] {
  const out = new Set<string>();
  for (const f of flags) {
    const lower = f.toLowerCase();
    if (SYSTEM_KEYWORDS[lower]) out.add(SYSTEM_KEYWORDS[lower]);
    else if (!f.startsWith("\\")) out.add(lower);
  }
  return [...out];
}

/** IMAP flags of store keywords (the inverse of `keywordsOfFlags`). */
export function flagsOfKeywords(keywords: string[]): string[] {
  const back = Object.fromEntries(Object.entries(SYSTEM_KEYWORDS).map(([f, k]) => [k, f]));
  return keywords.map((k) => {
    const f = back[k];
    return f ? "\\" + f[1]!.toUpperCase() + f.slice(2) : k;
  });
}

/** RFC 6154 special-use attributes and the usual folder names of each role. */
const ROLE_OF_USE: Record<string, MailboxRole> = {
  "\\sent": "sent",
  "\\drafts": "drafts",
  "\\trash": "trash",
  "\\junk": "junk",
  "\\archive": "archive",
};
const ROLE_OF_NAME: Record<string, MailboxRole> = {
  "sent": "sent",
  "sent messages": "sent",
  "sent items": "sent",
  "sent mail": "sent",
  "drafts": "drafts",
  "trash": "trash",
  "deleted messages": "trash",
  "deleted items": "trash",
  "junk": "junk",
  "spam": "junk",
  "junk e-mail": "junk",
  "archive": "archive",
  "archives": "archive",
};

/** Finds or creates the account's mailbox for a folder path. */
class FolderMap {
  readonly #store: Store;
  readonly #account: Account;
  readonly #cache = new Map<string, MailboxId>();
  readonly created: string[] = [];

  constructor(store: Store, account: Account) {
    this.#store = store;
    this.#account = account;
  }

  async resolve(folder: string[], specialUse?: string): Promise<MailboxId> {
    const key = `${specialUse ?? ""}\0${folder.join("\0")}`;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const id = await this.#lookup(folder, specialUse);
    this.#cache.set(key, id);
    return id;
  }

  async #lookup(folder: string[], specialUse?: string): Promise<MailboxId> {
    const accountId = this.#account.id;
    const segments = folder.length ? folder : ["INBOX"];
    let role: MailboxRole | undefined;
    if (segments.length === 1 && segments[0]!.toUpperCase() === "INBOX") role = "inbox";
    else if (specialUse) role = ROLE_OF_USE[specialUse.toLowerCase()];
    if (!role && segments.length === 1) role = ROLE_OF_NAME[segments[0]!.toLowerCase()];
    if (role) {
      const mb = await this.#store.getMailboxByRole(accountId, role);
      if (mb) return mb.id;
    }
    let parentId: MailboxId | null = null;
    for (let i = 0; i < segments.length; i++) {
      const name = i === 0 && segments[0]!.toUpperCase() === "INBOX" ? segments[0]! : segments[i]!;
      const all = await this.#store.listMailboxes(accountId);
      const found = i === 0 && name.toUpperCase() === "INBOX"
        ? all.find((m) => m.role === "inbox")
        : all.find((m) => m.parentId === parentId && m.name === name);
      if (found) {
        parentId = found.id;
        continue;
      }
      const made = await this.#store.createMailbox(accountId, { name, parentId });
      this.created.push(segments.slice(0, i + 1).join("/"));
      parentId = made.id;
    }
    return parentId!;
  }
}

/** The blob ids already in a mailbox (loaded once per mailbox, for the duplicate check). */
async function blobsOf(store: Store, accountId: Account["id"], mailboxId: MailboxId): Promise<Set<BlobId>> {
  const ids = (await store.listPlacements(accountId, mailboxId)).map((p) => p.messageId);
  const out = new Set<BlobId>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const m of await store.getMessages(accountId, ids.slice(i, i + 500))) out.add(m.blobId);
  }
  return out;
}

/** Most bytes of messages held for one batch (the import's memory bound beside one message). */
export const MAX_BATCH_BYTES = 32 * 1024 * 1024;

/**
 * Imports every message of `source` into `account`. Up to `batchSize` messages (and at most
 * MAX_BATCH_BYTES) are stored together: their blobs are written concurrently, so the store's group
 * commit makes them durable together, then they are added in one commit. An interruption loses at
 * most the batch in flight, which the next run imports.
 */
export async function importInto(
  store: Store,
  account: Account,
  source: TransferSource,
  opts: { batchSize?: number; onProgress?: (p: ImportProgress) => void } = {},
): Promise<ImportReport> {
  const batchSize = opts.batchSize ?? 100;
  const folders = new FolderMap(store, account);
  const present = new Map<MailboxId, Set<BlobId>>();
  const report: ImportReport = { imported: 0, duplicates: 0, bytes: 0, createdFolders: folders.created };
  let pending: { mailboxId: MailboxId; item: TransferItem }[] = [];
  let pendingBytes = 0;
  let seen = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    pendingBytes = 0;
    const blobs = await Promise.all(batch.map((p) => store.blobs.put(p.item.raw)));
    const adds: NewMessage[] = [];
    let bytes = 0;
    for (let i = 0; i < batch.length; i++) {
      const { mailboxId, item } = batch[i]!;
      const { blobId, size } = blobs[i]!;
      let known = present.get(mailboxId);
      if (!known) present.set(mailboxId, known = await blobsOf(store, account.id, mailboxId));
      if (known.has(blobId)) {
        report.duplicates++;
        continue;
      }
      known.add(blobId);
      bytes += size;
      adds.push({
        accountId: account.id,
        mailboxIds: [mailboxId],
        blobId,
        keywords: keywordsOfFlags(item.flags),
        receivedAt: item.internalDate,
      });
    }
    if (adds.length > 0) await store.addMessages(adds);
    report.imported += adds.length;
    report.bytes += bytes;
  };
  for await (const item of source.items() as AsyncIterable<TransferItem>) {
    const mailboxId = await folders.resolve(item.folder, item.specialUse);
    pending.push({ mailboxId, item });
    pendingBytes += item.raw.length;
    seen++;
    if (pending.length >= batchSize || pendingBytes >= MAX_BATCH_BYTES) await flush();
    opts.onProgress?.({ messages: seen, bytes: report.bytes });
  }
  await flush();
  return report;
}
