/**
 * Exports an account's mailboxes as `TransferItem`s (folder path, bytes, flags, internal date),
 * one message in memory at a time; the CLI writes them as mbox (mbox.ts) or Maildir (maildir.ts).
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { Account, Mailbox } from "../store/types.ts";
import { flagsOfKeywords } from "./importer.ts";
import type { TransferItem } from "./types.ts";

/** The path of a mailbox from the top ("INBOX" for the inbox). */
export function mailboxPath(all: Mailbox[], mailbox: Mailbox): string[] {
  const byId = new Map(all.map((m) => [m.id, m]));
  const path: string[] = [];
  for (let m: Mailbox | undefined = mailbox; m; m = m.parentId ? byId.get(m.parentId) : undefined) {
    path.unshift(m.role === "inbox" && !m.parentId ? "INBOX" : m.name);
    if (path.length > 100) break;
  }
  return path;
}

/** The envelope sender for an mbox separator: the Return-Path address, else "MAILER-DAEMON". */
export function senderOf(raw: Uint8Array): string {
  const head = new TextDecoder().decode(raw.subarray(0, Math.min(raw.length, 16 * 1024)));
  const m = /^return-path:\s*<([^<>\s]*)>/im.exec(head);
  return m?.[1] || "MAILER-DAEMON";
}

/** Messages of the account's mailboxes (all, or those whose path is in `folders`), by UID. */
export async function* exportItems(
  store: Store,
  account: Account,
  folders?: string[][],
): AsyncGenerator<TransferItem & { uid: number }> {
  const all = await store.listMailboxes(account.id);
  const wanted = (path: string[]) =>
    !folders ||
    folders.some((f) =>
      f.length === path.length && f.every((s, i) => s.toLowerCase() === path[i]!.toLowerCase())
    );
  for (const mailbox of all) {
    const folder = mailboxPath(all, mailbox);
    if (!wanted(folder)) continue;
    const placements = await store.listPlacements(account.id, mailbox.id);
    for (let i = 0; i < placements.length; i += 200) {
      const chunk = placements.slice(i, i + 200);
      const messages = new Map(
        (await store.getMessages(account.id, chunk.map((p) => p.messageId))).map((m) => [m.id, m]),
      );
      for (const p of chunk) {
        const m = messages.get(p.messageId);
        if (!m) continue; // expunged meanwhile
        const raw = await store.blobs.get(m.blobId);
        if (!raw) continue;
        yield {
          folder,
          raw,
          flags: flagsOfKeywords([...p.keywords]),
          internalDate: p.receivedAt,
          uid: p.uid,
          specialUse: mailbox.role && mailbox.role !== "inbox"
            ? `\\${mailbox.role[0]!.toUpperCase()}${mailbox.role.slice(1)}`
            : undefined,
        };
      }
    }
  }
}
