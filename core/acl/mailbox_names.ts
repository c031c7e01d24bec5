/**
 * Mailbox full names as IMAP shows them, for sharing (`tern share`, share notifications, JMAP
 * isSubscribed on shared mailboxes).
 *
 * @module
 */
import type { Mailbox } from "../store/types.ts";

/** Full names of an account's mailboxes by id ("Projects/2026"; the top-level Inbox is "INBOX"). */
export function fullNames(mailboxes: readonly Mailbox[]): Map<string, string> {
  const byId = new Map(mailboxes.map((m) => [m.id, m]));
  const names = new Map<string, string>();
  const nameOf = (m: Mailbox, depth: number): string => {
    const leaf = m.role === "inbox" && m.parentId === null ? "INBOX" : m.name;
    const parent = m.parentId === null || depth > 64 ? undefined : byId.get(m.parentId);
    return parent ? `${nameOf(parent, depth + 1)}/${leaf}` : leaf;
  };
  for (const m of mailboxes) names.set(m.id, nameOf(m, 0));
  return names;
}
