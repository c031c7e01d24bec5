/**
 * Child of postgres_permissions_test.ts: run with the `start` task's permission flags, opens a
 * PostgresStore on the URL it is given (blobs under ./data/blobs), writes and reads a little, and
 * prints the domain names it finds.
 *
 * @module
 */
import { PostgresStore } from "../../core/store/postgres/postgres_store.ts";

const store = await PostgresStore.open({ url: Deno.args[0]!, blobDir: "./data/blobs" });
try {
  await store.addDomain("example.org");
  const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
  const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
  await store.storeMessages(new TextEncoder().encode("Subject: hi\r\n\r\nhello\r\n"), [{
    accountId: acc.id,
    mailboxIds: [inbox.id],
  }]);
  console.log(JSON.stringify({
    domains: (await store.listDomains()).map((d) => d.name),
    messages: (await store.listPlacements(acc.id, inbox.id)).length,
  }));
} finally {
  await store.close();
}
