import assert from "node:assert/strict";
import { SqliteStore } from "../store/sqlite/sqlite_store.ts";
import { systemClock } from "../clock.ts";
import { deliverLocal, deliverLocalEach, type GroupOutcome } from "./local.ts";
import { StoreError } from "../store/types.ts";
import { memorySource, MessageSpool, removeStaleSpoolFiles } from "./spool.ts";
import { RecipientResolver } from "./resolver.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function withStore(fn: (store: SqliteStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const store = await SqliteStore.open({ dataDir: dir });
  try {
    await store.addDomain("example.org");
    await fn(store, dir);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("deliverLocal stores one blob and places it once per account, prefix first", async () => {
  await withStore(async (store) => {
    const a = await store.createAccount({ address: "a@example.org", secrets: { passwordHash: "x" } });
    const b = await store.createAccount({ address: "b@example.org", secrets: { passwordHash: "x" } });
    const res = await deliverLocal(store, {
      prefix: "Return-Path: <s@r.test>\r\n",
      message: memorySource(enc.encode("Subject: hi\r\n\r\nbody\r\n")),
      accountIds: [a.id, b.id, a.id],
      receivedAt: new Date(Date.UTC(2026, 0, 2)),
    });
    assert.equal(res.added.length, 2);
    for (const added of res.added) {
      const [m] = await store.getMessages(added.accountId, [added.id]);
      assert.equal(m!.blobId, res.blobId);
      assert.equal(m!.receivedAt.getTime(), Date.UTC(2026, 0, 2));
      const raw = await store.readMessage(added.accountId, added.id);
      assert.equal(dec.decode(raw!), "Return-Path: <s@r.test>\r\nSubject: hi\r\n\r\nbody\r\n");
    }
  });
});

Deno.test("deliverLocalEach gives each recipient its own outcome and no duplicate copies", async () => {
  await withStore(async (store) => {
    const a = await store.createAccount({ address: "a@example.org", secrets: { passwordHash: "x" } });
    const full = await store.createAccount({ address: "f@example.org", secrets: { passwordHash: "x" } });
    await store.updateAccount(full.id, { quotaBytes: 10 });
    const res = await deliverLocalEach(store, {
      prefix: "X-Trace: 1\r\n",
      message: memorySource(enc.encode("Subject: hi\r\n\r\nbody\r\n")),
      groups: [[a.id], [full.id], [a.id]],
      receivedAt: new Date(),
    });
    assert.equal(res.outcomes.length, 3);
    const [first, second, third] = res.outcomes as [GroupOutcome, GroupOutcome, GroupOutcome];
    assert.ok(first.ok && first.added.length === 1);
    assert.ok(!second.ok && second.error instanceof StoreError && second.error.code === "overQuota");
    assert.ok(third.ok && third.added.length === 0); // already delivered to a: no second copy
    const inboxA = await store.getMailboxByRole(a.id, "inbox");
    assert.equal((await store.listPlacements(a.id, inboxA!.id)).length, 1);
    const inboxF = await store.getMailboxByRole(full.id, "inbox");
    assert.equal((await store.listPlacements(full.id, inboxF!.id)).length, 0);
  });
});

Deno.test("deliverLocal streams a spilled message into the blob store", async () => {
  await withStore(async (store, dir) => {
    const a = await store.createAccount({ address: "a@example.org", secrets: { passwordHash: "x" } });
    const spool = new MessageSpool({ dataDir: dir, threshold: 16, maxSize: 1 << 20 });
    const text = "Subject: big\r\n\r\n" + "line of text\r\n".repeat(1000);
    await spool.append(enc.encode(text));
    assert.ok(spool.spilled);
    const res = await deliverLocal(store, {
      prefix: "X-Trace: 1\r\n",
      message: spool,
      accountIds: [a.id],
      receivedAt: new Date(),
    });
    await spool.discard();
    const raw = await store.readMessage(a.id, res.added[0]!.id);
    assert.equal(dec.decode(raw!), "X-Trace: 1\r\n" + text);
  });
});

Deno.test("RecipientResolver classifies local, unknown and remote recipients", async () => {
  await withStore(async (store) => {
    const a = await store.createAccount({ address: "a@example.org", secrets: { passwordHash: "x" } });
    const r = new RecipientResolver(store, systemClock);
    const local = await r.resolve("a@EXAMPLE.org");
    assert.equal(local.kind, "local");
    assert.deepEqual(local.kind === "local" && local.accounts.map((x) => x.id), [a.id]);
    assert.equal((await r.resolve("a+tag@example.org")).kind, "local");
    assert.equal((await r.resolve("zed@example.org")).kind, "unknown");
    assert.equal((await r.resolve("a@elsewhere.test")).kind, "remote");
  });
});

Deno.test("removeStaleSpoolFiles removes only old spool files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/tmp`);
    await Deno.writeTextFile(`${dir}/tmp/spool-0a.eml`, "x");
    await Deno.writeTextFile(`${dir}/tmp/other`, "x");
    assert.equal(await removeStaleSpoolFiles(dir, 1000, Date.now()), 0);
    assert.equal(await removeStaleSpoolFiles(dir, 1000, Date.now() + 10_000), 1);
    assert.deepEqual([...Deno.readDirSync(`${dir}/tmp`)].map((e) => e.name), ["other"]);
    assert.equal(await removeStaleSpoolFiles(`${dir}/missing`), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
