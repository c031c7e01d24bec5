/**
 * Backup and restore of a SQLite store whose blob files are compressed (`<hash>.z`) next to plain
 * ones written before compression: both forms are copied and served again byte for byte, and
 * restore checks the SHA-256 of the raw (inflated) bytes, so a well-formed compressed file of other
 * bytes is refused as damaged.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { FsBlobStore } from "../../core/store/fs_blob_store.ts";

const CORPUS = new URL("../../../shared/corpus/", import.meta.url);

/** The `n` largest corpus messages (all above the 64 KiB file-tier threshold). */
async function largestCorpus(n: number): Promise<Uint8Array[]> {
  const files: { path: URL; size: number }[] = [];
  for await (const e of Deno.readDir(CORPUS)) {
    if (e.isFile) {
      files.push({ path: new URL(e.name, CORPUS), size: (await Deno.stat(new URL(e.name, CORPUS))).size });
    }
  }
  files.sort((a, b) => b.size - a.size);
  return await Promise.all(files.slice(0, n).map((f) => Deno.readFile(f.path)));
}

const digest = (b: Uint8Array | null) =>
  b ? `${b.length} ${createHash("sha256").update(b).digest("hex")}` : "absent";

Deno.test("SqliteStore backup and restore carry compressed and plain blob files; restore checks the raw SHA-256", async () => {
  const root = await Deno.makeTempDir({ prefix: "tern-backup-z-" });
  try {
    const [big, old, other] = await largestCorpus(3);
    const store = await SqliteStore.open({ dataDir: `${root}/live` });
    let bigId = "";
    let oldId = "";
    try {
      await store.addDomain("example.org");
      const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
      const inbox = (await store.listMailboxes(acc.id)).find((m) => m.role === "inbox")!;
      bigId = (await store.storeMessages(big!, [{ accountId: acc.id, mailboxIds: [inbox.id] }])).blobId;
      // A file as a store from before compression wrote it.
      const plain = new FsBlobStore(`${root}/live/blobs`, { compress: false });
      oldId = (await plain.put(old!)).blobId;
      await plain.close();
      await store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId: oldId }]);
      assert.ok(await exists(store.blobs.files.compressedPath(bigId)));
      assert.ok(await exists(store.blobs.files.path(oldId)));
      await store.backup(`${root}/copy`);
    } finally {
      await store.close();
    }
    assert.ok(await exists(`${root}/copy/blobs/${bigId.slice(0, 2)}/${bigId}.z`));
    assert.ok(await exists(`${root}/copy/blobs/${oldId.slice(0, 2)}/${oldId}`));

    const report = await SqliteStore.restore(`${root}/copy`, `${root}/restored`);
    assert.equal(report.messages, 2);
    const restored = await SqliteStore.open({ dataDir: `${root}/restored` });
    try {
      assert.equal(digest(await restored.blobs.get(bigId)), digest(big!));
      assert.equal(digest(await restored.blobs.get(oldId)), digest(old!));
    } finally {
      await restored.close();
    }

    // A compressed file that is well formed (its CRCs pass) but holds other bytes.
    const forge = new FsBlobStore(`${root}/forge`);
    const forged = (await forge.put(other!)).blobId;
    await forge.close();
    await Deno.copyFile(forge.compressedPath(forged), `${root}/copy/blobs/${bigId.slice(0, 2)}/${bigId}.z`);
    await assert.rejects(
      () => SqliteStore.restore(`${root}/copy`, `${root}/restored2`),
      (e: Error) => e.message === `blob ${bigId} of the backup is damaged`,
    );
    assert.equal(await exists(`${root}/restored2/tern.db`), false, "nothing restored");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
