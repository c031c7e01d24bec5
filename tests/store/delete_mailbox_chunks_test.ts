/**
 * Deleting a large mailbox with its messages runs as write jobs of `DELETE_CHUNK` messages, so a
 * delivery to another account queued behind the deletion commits while the mailbox is still being
 * emptied instead of after the whole deletion; the mailbox and every message still go in the end,
 * and a mailbox that may not be deleted loses no message.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { DELETE_CHUNK } from "../../core/store/sqlite/mailboxes.ts";
import { StoreError } from "../../core/store/types.ts";
import { mail } from "./store_contract.ts";

async function withStore(fn: (store: SqliteStore) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-delete-chunks-" });
  const store = await SqliteStore.open({ dataDir });
  try {
    await store.addDomain("example.org");
    await fn(store);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("SqliteStore deleteMailbox of a large mailbox lets another account's delivery commit between its chunks", () =>
  withStore(async (store) => {
    const a = await store.createAccount({ address: "a@example.org", secrets: { passwordHash: "x" } });
    const b = await store.createAccount({ address: "b@example.org", secrets: { passwordHash: "x" } });
    const big = await store.createMailbox(a.id, { name: "Big" });
    const bInbox = (await store.listMailboxes(b.id)).find((m) => m.role === "inbox")!;
    const count = 3 * DELETE_CHUNK + 5;
    for (let i = 0; i < count; i++) {
      await store.storeMessages(mail({ subject: `m${i}`, body: `message ${i}` }), [{
        accountId: a.id,
        mailboxIds: [big.id],
      }]);
    }
    const deleting = store.deleteMailbox(a.id, big.id, { removeMessages: true });
    let deleted = false;
    deleting.then(() => deleted = true, () => {});
    // Queued right behind the deletion's first job: it commits before the next chunk is queued.
    await store.storeMessages(mail({ subject: "for b", body: "meanwhile" }), [{
      accountId: b.id,
      mailboxIds: [bInbox.id],
    }]);
    assert.equal(deleted, false, "the delivery did not wait for the whole deletion");
    const during = (await store.listMailboxes(a.id)).find((m) => m.name === "Big");
    assert.ok(during, "the mailbox is still there while it is emptied");
    const left = (await store.mailboxCounts(a.id, big.id)).total;
    assert.ok(left > 0 && left < count, `${left} of ${count} messages left`);
    await deleting;
    assert.equal((await store.listMailboxes(a.id)).some((m) => m.name === "Big"), false);
    assert.equal((await store.queryMessages(a.id, {})).length, 0, "every message of the mailbox is gone");
    assert.equal((await store.queryMessages(b.id, {})).length, 1);
  }));

Deno.test("SqliteStore deleteMailbox refuses a mailbox with children before removing any message", () =>
  withStore(async (store) => {
    const a = await store.createAccount({ address: "a@example.org", secrets: { passwordHash: "x" } });
    const parent = await store.createMailbox(a.id, { name: "Parent" });
    await store.createMailbox(a.id, { name: "Child", parentId: parent.id });
    for (let i = 0; i < DELETE_CHUNK + 3; i++) {
      await store.storeMessages(mail({ subject: `m${i}`, body: "x" }), [{
        accountId: a.id,
        mailboxIds: [parent.id],
      }]);
    }
    await assert.rejects(
      () => store.deleteMailbox(a.id, parent.id, { removeMessages: true }),
      (e: unknown) => e instanceof StoreError && e.code === "hasChildren",
    );
    assert.equal((await store.mailboxCounts(a.id, parent.id)).total, DELETE_CHUNK + 3);
  }));
