import assert from "node:assert/strict";
import { SqliteStore } from "../store/sqlite/sqlite_store.ts";
import { CachedVirtualSizes } from "./virtual_sizes.ts";

const enc = new TextEncoder();

async function withStore(fn: (store: SqliteStore) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-pop3-sizes-" });
  const store = await SqliteStore.open({ dataDir });
  try {
    await fn(store);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("CachedVirtualSizes gives CRLF sizes (RFC 1939 §11), cached by the store until the blob goes", () =>
  withStore(async (store) => {
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
    const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
    const raw = enc.encode("Subject: bare\n\nline one\nline two\n");
    const { blobId } = await store.blobs.put(raw);
    const [added] = await store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId }]);
    const sizes = new CachedVirtualSizes();
    assert.deepEqual(await sizes.sizes(store, acc.id, [added!.id]), new Map([[added!.id, raw.length + 4]]));
    assert.deepEqual(await store.pop3Sizes.get([blobId]), new Map([[blobId, raw.length + 4]]));
    // A size the store already has is read back, not computed: a planted value comes back.
    const other = enc.encode("Subject: planted\n\nbody\n");
    const { blobId: otherBlob } = await store.blobs.put(other);
    const [planted] = await store.addMessages([{
      accountId: acc.id,
      mailboxIds: [inbox.id],
      blobId: otherBlob,
    }]);
    await store.pop3Sizes.put(new Map([[otherBlob, 999]]));
    assert.deepEqual(await sizes.sizes(store, acc.id, [planted!.id]), new Map([[planted!.id, 999]]));
    await store.expunge(acc.id, inbox.id, [added!.uids[0]!.uid]);
    assert.deepEqual(await store.pop3Sizes.get([blobId]), new Map());
  }));
