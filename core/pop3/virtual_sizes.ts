/**
 * POP3 reports each message's exact size as sent on the wire, where every line ends in CRLF
 * (RFC 1939 §5 LIST, §11). A message stored with bare LF or bare CR endings is larger on the wire
 * than in the blob store, so the wire ("virtual") size is computed once per blob and kept by the
 * store (`Store.pop3Sizes`), as Dovecot keeps it in its index; later logins read it back without
 * touching the blobs.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { AccountId, MessageId } from "../store/types.ts";
import { crlfLength } from "../mime/line_endings.ts";

/** Exact CRLF sizes of messages, by message id. */
export interface VirtualSizes {
  sizes(store: Store, accountId: AccountId, ids: MessageId[]): Promise<Map<MessageId, number>>;
}

/** Sizes computed from the blobs once, then read from the store's cache (`Store.pop3Sizes`). */
export class CachedVirtualSizes implements VirtualSizes {
  async sizes(store: Store, accountId: AccountId, ids: MessageId[]): Promise<Map<MessageId, number>> {
    const messages = await store.getMessages(accountId, ids);
    const blobIds = [...new Set(messages.map((m) => m.blobId))];
    const known = await store.pop3Sizes.get(blobIds);
    const computed = new Map<string, number>();
    for (const blobId of blobIds) {
      if (known.has(blobId)) continue;
      const raw = await store.blobs.get(blobId);
      if (!raw) continue;
      const size = crlfLength(raw);
      known.set(blobId, size);
      computed.set(blobId, size);
    }
    // A cache: losing it in a crash only means computing again.
    if (computed.size > 0) await store.pop3Sizes.put(computed);
    const out = new Map<MessageId, number>();
    for (const m of messages) {
      const size = known.get(m.blobId);
      if (size !== undefined) out.set(m.id, size);
    }
    return out;
  }
}
