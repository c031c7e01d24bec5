/**
 * The read-only mode of the SQLite store (SqliteStoreOptions.readOnly), which the JMAP read
 * workers open beside the server's own store (protocols/jmap/read_pool.ts): it reads what the
 * writer committed, starts a new snapshot on `freshRead`, and refuses (and counts) every write.
 */
import assert from "node:assert/strict";
import { ReadOnlyStoreError, SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { openReadOnlyStore } from "../../core/store/open.ts";
import { DatabaseSync } from "node:sqlite";

const MSG = (n: number) =>
  new TextEncoder().encode(`From: a@example.net\r\nSubject: ro ${n}\r\n\r\nbody ${n}\r\n`);

Deno.test("read-only store: reads the writer's commits, refuses and counts every write, writes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-ro-store-" });
  const writer = await SqliteStore.open({ dataDir: dir });
  try {
    await writer.addDomain("example.org");
    const alice = await writer.createAccount({
      address: "alice@example.org",
      secrets: { passwordHash: "x" },
    });
    const inbox = (await writer.getMailboxByRole(alice.id, "inbox"))!;
    const { blobId } = await writer.blobs.put(MSG(1));
    const [added] = await writer.addMessages([{ accountId: alice.id, mailboxIds: [inbox.id], blobId }]);
    assert.equal(writer.replicaDir, dir);

    const reader = await openReadOnlyStore(writer.replicaDir!);
    try {
      assert.equal(reader.replicaDir, null, "a read-only store offers no replica");
      const [m] = await reader.getMessages(alice.id, [added!.id]);
      assert.equal(m?.summary.subject, "ro 1");
      assert.equal(await reader.state(alice.id, "Email"), await writer.state(alice.id, "Email"));

      const version = Deno.statSync(`${dir}/tern.db`).mtime?.getTime();
      const refusals: [string, () => Promise<unknown>][] = [
        ["updateKeywords", () => reader.updateKeywords(alice.id, [added!.id], { add: ["$flagged"] })],
        ["createMailbox", () => reader.createMailbox(alice.id, { name: "X" })],
        [
          "createAccount",
          () => reader.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } }),
        ],
        ["addMessages", () => reader.addMessages([{ accountId: alice.id, mailboxIds: [inbox.id], blobId }])],
      ];
      for (const [name, write] of refusals) {
        const before = reader.refusedWrites ?? 0;
        await assert.rejects(write(), ReadOnlyStoreError, name);
        assert.equal(reader.refusedWrites, before + 1, `${name} counted`);
      }
      // SQLite refuses a small blob's row on the read-only connection.
      await assert.rejects(reader.blobs.put(MSG(2)), /readonly/);
      const [still] = await writer.getMessages(alice.id, [added!.id]);
      assert.deepEqual(still?.keywords, []);
      assert.equal(Deno.statSync(`${dir}/tern.db`).mtime?.getTime(), version);

      // A commit made while the reader's snapshot is open (same event-loop turn) is seen only
      // after freshRead.
      assert.equal((await reader.getAccount(alice.id))?.displayName, "");
      const other = new DatabaseSync(`${dir}/tern.db`);
      other.exec("UPDATE accounts SET display_name = 'Alice'");
      other.close();
      assert.equal((await reader.getAccount(alice.id))?.displayName, "", "same snapshot");
      reader.freshRead?.();
      assert.equal((await reader.getAccount(alice.id))?.displayName, "Alice");
    } finally {
      await reader.close();
    }
  } finally {
    await writer.close();
    await Deno.remove(dir, { recursive: true });
  }
});
