/**
 * `Store.claimAllRecent` on SQLite: a claim asked right after a write rides that write's group
 * commit (RFC 3501 §2.3.2 \Recent for an IMAP APPEND without a commit of its own).
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { mail } from "./store_contract.ts";

Deno.test("SqliteStore claimAllRecent asked right after storeMessages claims the new UID in the same commit", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-store-" });
  const store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
  try {
    await store.addDomain("example.org");
    const acc = await store.createAccount({
      address: "r@example.org",
      secrets: { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" },
    });
    const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
    await store.storeMessages(mail({ subject: "first" }), [{ accountId: acc.id, mailboxIds: [inbox.id] }]);
    const flushes = store.writeStats.flushes;
    const stored = store.storeMessages(mail({ subject: "second" }), [{
      accountId: acc.id,
      mailboxIds: [inbox.id],
    }]);
    const claim = store.claimAllRecent(acc.id, inbox.id);
    const [{ added }, claimed] = await Promise.all([stored, claim]);
    assert.deepEqual(claimed, { before: 0, upTo: added[0]!.uids[0]!.uid });
    assert.equal(claimed.upTo, 2);
    assert.equal(store.writeStats.flushes - flushes, 1, "message and claim in one commit");
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
