/**
 * The SQLite change log written at the end of each write job (core/store/sqlite/mutation.ts): the
 * rows a job logs are kept in memory and written in multi-row INSERTs by `finish`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { mail } from "./store_contract.ts";

const SECRETS = { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" };

async function withStore(fn: (store: SqliteStore) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-change-rows-" });
  const store = await SqliteStore.open({ dataDir });
  try {
    await fn(store);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("a job logging more change rows than one INSERT holds logs every one, in MODSEQ order", () =>
  withStore(async (store) => {
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "bob@example.org", secrets: SECRETS });
    const inbox = (await store.listMailboxes(acc.id)).find((m) => m.role === "inbox")!;
    const email0 = await store.state(acc.id, "Email");
    const thread0 = await store.state(acc.id, "Thread");
    const mailbox0 = await store.state(acc.id, "Mailbox");
    const counter0 = () =>
      store.database.get<{ modseq: number }>(
        "SELECT modseq FROM accounts WHERE address = ?",
        "bob@example.org",
      )!
        .modseq;
    const before = counter0();
    const blobs = [];
    // Distinct subjects and Message-IDs: 70 messages, 70 new threads, one job (one addMessages call).
    for (let i = 0; i < 70; i++) blobs.push(await store.blobs.put(mail({ subject: `Note ${i}` })));
    const added = await store.addMessages(
      blobs.map((b) => ({ accountId: acc.id, mailboxIds: [inbox.id], blobId: b.blobId })),
    );
    const emails = await store.changes(acc.id, "Email", email0);
    assert.deepEqual(emails.created.sort(), added.map((a) => a.id).sort());
    const threads = await store.changes(acc.id, "Thread", thread0);
    assert.deepEqual(threads.created.sort(), [...new Set(added.map((a) => a.threadId))].sort());
    assert.equal(threads.created.length, 70);
    assert.deepEqual((await store.changes(acc.id, "Mailbox", mailbox0)).updated, [inbox.id]);
    // Every MODSEQ the job took has its row, the last one is the account's counter.
    const rows = store.database.all<{ modseq: number }>(
      "SELECT modseq FROM changes WHERE account_id = (SELECT id FROM accounts WHERE address = ?) AND modseq > ? ORDER BY modseq",
      "bob@example.org",
      before,
    );
    assert.equal(rows.length, 70 + 70 + 1);
    const counter = counter0();
    assert.equal(counter, before + 141);
    assert.deepEqual(rows.map((r) => r.modseq), Array.from({ length: 141 }, (_, i) => counter - 140 + i));
    assert.equal(await store.state(acc.id, "Mailbox"), String(counter));
  }));

Deno.test("a job that deletes a thread's last email logs the thread destroyed, the others updated", () =>
  withStore(async (store) => {
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "bob@example.org", secrets: SECRETS });
    const inbox = (await store.listMailboxes(acc.id)).find((m) => m.role === "inbox")!;
    const put = async (raw: Uint8Array) => (await store.blobs.put(raw)).blobId;
    const [lone] = await store.addMessages([
      { accountId: acc.id, mailboxIds: [inbox.id], blobId: await put(mail({ subject: "Lone" })) },
    ]);
    const [first] = await store.addMessages([
      {
        accountId: acc.id,
        mailboxIds: [inbox.id],
        blobId: await put(mail({ subject: "Pair", messageId: "p1@x" })),
      },
    ]);
    const [reply] = await store.addMessages([{
      accountId: acc.id,
      mailboxIds: [inbox.id],
      blobId: await put(mail({ subject: "Re: Pair", inReplyTo: "p1@x" })),
    }]);
    assert.equal(first!.threadId, reply!.threadId);
    const s = await store.state(acc.id, "Thread");
    // One job destroys both: the lone thread goes, the pair's thread stays with one email.
    await store.destroyMessages(acc.id, [lone!.id, reply!.id]);
    const t = await store.changes(acc.id, "Thread", s);
    assert.deepEqual([t.created, t.updated, t.destroyed], [[], [first!.threadId], [lone!.threadId]]);
  }));
