/**
 * COPY and MOVE between two accounts' mailboxes (a shared mailbox and the user's own, RFC 4314):
 * the store copies within one account only, so the messages are added to the target account
 * (sharing their blobs) in one all-or-nothing step, and a move then expunges the sources.
 *
 * @module
 */
import type { CopyResult, Store } from "../store/store.ts";
import type { AccountId, MailboxId, MessageId, NewMessage } from "../store/types.ts";
import { hasRights, rightsForKeywords } from "./rights.ts";

/** One message to copy: its UID in the source mailbox and its id in the source account. */
export interface CopySource {
  uid: number;
  messageId: MessageId;
}

/**
 * Copies (or moves) messages from `from` to `to` in another account. Keywords the user may not set
 * in the target (RFC 4314 §4: "s", "t", "w" there) are dropped. Pairs come in source UID order.
 */
export async function copyAcrossAccounts(
  store: Store,
  from: { ownerId: AccountId; mailboxId: MailboxId },
  sources: readonly CopySource[],
  to: { ownerId: AccountId; mailboxId: MailboxId; rights: string },
  move: boolean,
): Promise<CopyResult> {
  const sorted = [...sources].sort((a, b) => a.uid - b.uid);
  const messages = new Map(
    (await store.getMessages(from.ownerId, sorted.map((x) => x.messageId))).map((m) => [m.id, m]),
  );
  const present = sorted.filter((x) => messages.has(x.messageId));
  const news: NewMessage[] = present.map((x) => {
    const m = messages.get(x.messageId)!;
    return {
      accountId: to.ownerId,
      mailboxIds: [to.mailboxId],
      blobId: m.blobId,
      keywords: m.keywords.filter((k) => hasRights(to.rights, rightsForKeywords([k]))),
      receivedAt: m.receivedAt,
    };
  });
  const added = news.length > 0 ? await store.addMessages(news) : [];
  const pairs = present.map((x, i) => {
    const u = added[i]!.uids.find((v) => v.mailboxId === to.mailboxId)!;
    return { fromUid: x.uid, toUid: u.uid, messageId: added[i]!.id };
  });
  let modseq = added.reduce((n, a) => Math.max(n, a.modseq), 0);
  if (move && present.length > 0) {
    const r = await store.expunge(from.ownerId, from.mailboxId, present.map((x) => x.uid));
    modseq = Math.max(modseq, r.modseq);
  }
  const uidValidity = added[0]?.uids.find((v) => v.mailboxId === to.mailboxId)?.uidValidity ??
    (await store.getMailbox(to.ownerId, to.mailboxId))?.uidValidity ?? 0;
  return { uidValidity, pairs, modseq };
}
