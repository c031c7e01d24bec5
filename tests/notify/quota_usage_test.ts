/**
 * The post-delivery quota check (core/notify/notifier.ts) takes each account's quota use from the
 * delivery (the store reports it with every added message, `AddedMessage.usage`) and reads an
 * account only when a threshold is reached; without that report it reads the account.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startTestServer } from "../support/server.ts";
import { parseMime } from "../../core/mime/parse.ts";
import { getHeader } from "../../core/mime/header.ts";
import type { Store } from "../../core/store/store.ts";
import type { AccountId } from "../../core/store/types.ts";

/** Notifications in the account's Inbox (the notifier puts one there for each cause). */
async function notices(store: Store, accountId: AccountId): Promise<number> {
  const inbox = (await store.getMailboxByRole(accountId, "inbox"))!;
  let n = 0;
  for (const p of await store.listPlacements(accountId, inbox.id)) {
    const raw = (await store.readMessage(accountId, p.messageId))!;
    if (getHeader(parseMime(raw), "x-tern-notification") !== null) n++;
  }
  return n;
}

Deno.test("the quota check trusts the use reported with the delivery and reads the account only past a threshold", async () => {
  const t = await startTestServer();
  try {
    const store = t.srv.context.store;
    const notify = t.srv.context.notify!;
    const ada = await t.addUser("ada@example.org", "pw-ada-123");
    await store.updateAccount(ada.id, { quotaBytes: 10_000 });
    const inbox = (await store.getMailboxByRole(ada.id, "inbox"))!;
    const body = `From: x@remote.example\r\nTo: ada@example.org\r\nSubject: big\r\n\r\n${
      "y".repeat(8500)
    }\r\n`;
    const { added } = await store.storeMessages(new TextEncoder().encode(body), [
      { accountId: ada.id, mailboxIds: [inbox.id] },
    ]);
    // The store reports the use right after the message, in the same transaction.
    const account = (await store.getAccount(ada.id))!;
    assert.deepEqual(added[0]!.usage, { usedBytes: account.usedBytes, quotaBytes: 10_000 });
    assert.ok(account.usedBytes >= 8500);
    // A report under every threshold: nothing is read, nothing sent (the account itself is past 80%).
    await notify.checkQuota([ada.id], new Map([[ada.id, { usedBytes: 100, quotaBytes: 10_000 }]]));
    assert.equal(await notices(store, ada.id), 0);
    // A report of no quota: likewise.
    await notify.checkQuota([ada.id], new Map([[ada.id, { usedBytes: 9_999, quotaBytes: 0 }]]));
    assert.equal(await notices(store, ada.id), 0);
    // The delivery's own report: past 80%, the account is read and notified once.
    await notify.checkQuota([ada.id], new Map([[ada.id, added[0]!.usage!]]));
    assert.equal(await notices(store, ada.id), 1);
  } finally {
    await t.close();
  }
});

Deno.test("without a reported use the quota check reads the account", async () => {
  const t = await startTestServer();
  try {
    const store = t.srv.context.store;
    const ada = await t.addUser("ada@example.org", "pw-ada-123");
    await store.updateAccount(ada.id, { quotaBytes: 10_000 });
    const inbox = (await store.getMailboxByRole(ada.id, "inbox"))!;
    const body = `From: x@remote.example\r\nTo: ada@example.org\r\nSubject: big\r\n\r\n${
      "y".repeat(8500)
    }\r\n`;
    await store.storeMessages(new TextEncoder().encode(body), [{
      accountId: ada.id,
      mailboxIds: [inbox.id],
    }]);
    await t.srv.context.notify!.checkQuota([ada.id]);
    assert.equal(await notices(store, ada.id), 1);
  } finally {
    await t.close();
  }
});
