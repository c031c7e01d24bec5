/**
 * Durability: a store process killed with SIGKILL loses nothing it acknowledged. The child prints
 * each message id after `addMessages` resolved; after the kill, a reopened store has every one of
 * them, with their blobs, and keeps assigning fresh UIDs.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";

Deno.test("SqliteStore keeps every acknowledged message across a SIGKILL", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-crash-" });
  try {
    let store = await SqliteStore.open({ dataDir });
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
    const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
    await store.close();

    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        new URL("./_crash_child.ts", import.meta.url).pathname,
        dataDir,
        acc.id,
        inbox.id,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const acked: string[] = [];
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of child.stdout) {
      buffered += decoder.decode(chunk, { stream: true });
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      acked.push(...lines);
      if (acked.length >= 40) break;
    }
    child.kill("SIGKILL");
    await child.status;

    store = await SqliteStore.open({ dataDir });
    try {
      const found = await store.getMessages(acc.id, acked);
      assert.deepEqual(found.map((m) => m.id), acked);
      for (const m of found) assert.equal(await store.blobs.has(m.blobId), true);
      const uids = (await store.listPlacements(acc.id, inbox.id)).map((p) => p.uid);
      const box = (await store.getMailbox(acc.id, inbox.id))!;
      assert.ok(uids.every((u) => u < box.uidNext));
      const { blobId } = await store.blobs.put(new TextEncoder().encode("Subject: after\r\n\r\nx\r\n"));
      const [after] = await store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId }]);
      assert.equal(after!.uids[0]!.uid, box.uidNext);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
