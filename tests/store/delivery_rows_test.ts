/**
 * The rows a delivery (`storeMessages`, bytes stored in the same write job) writes in the SQLite
 * store, which takes its statements' shortcuts (core/store/sqlite/messages.ts): the blob row is
 * inserted counting its first reference, each mailbox's UID is taken by the update that checks the
 * mailbox, the account's MODSEQ counter comes with the account's row.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { StoreError } from "../../core/store/types.ts";
import { parseId } from "../../core/store/sqlite/ids.ts";
import { addressSortKey, baseSubject } from "../../core/store/message_index.ts";
import { mail } from "./store_contract.ts";

const SECRETS = { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" };

async function withStore(fn: (store: SqliteStore) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-delivery-rows-" });
  const store = await SqliteStore.open({ dataDir });
  try {
    await store.addDomain("example.org");
    await fn(store);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

async function account(store: SqliteStore, address: string) {
  const acc = await store.createAccount({ address, secrets: SECRETS });
  const inbox = (await store.listMailboxes(acc.id)).find((m) => m.role === "inbox")!;
  return { acc, inbox };
}

function blobRow(store: SqliteStore, hash: string): { refcount: number } | undefined {
  return store.database.get<{ refcount: number }>("SELECT refcount FROM blobs WHERE hash = ?", hash);
}

Deno.test("a delivered message's new blob row counts one reference and goes with the message", () =>
  withStore(async (store) => {
    const { acc, inbox } = await account(store, "bob@example.org");
    const { blobId, added } = await store.storeMessages(mail({}), [{
      accountId: acc.id,
      mailboxIds: [inbox.id],
    }]);
    assert.equal(blobRow(store, blobId)?.refcount, 1);
    await store.destroyMessages(acc.id, [added[0]!.id]);
    assert.equal(blobRow(store, blobId), undefined);
    assert.equal(await store.blobs.get(blobId), null);
  }));

Deno.test("the same bytes delivered twice share one blob row counted twice, kept until the last message goes", () =>
  withStore(async (store) => {
    const { acc, inbox } = await account(store, "bob@example.org");
    const raw = mail({ messageId: "same@example.net" });
    const first = await store.storeMessages(raw, [{ accountId: acc.id, mailboxIds: [inbox.id] }]);
    const second = await store.storeMessages(raw, [{ accountId: acc.id, mailboxIds: [inbox.id] }]);
    assert.equal(second.blobId, first.blobId);
    assert.equal(blobRow(store, first.blobId)?.refcount, 2);
    // Two recipients of one delivery: one job, the row inserted once and referenced by both.
    const { acc: carol, inbox: carolInbox } = await account(store, "carol@example.org");
    const both = await store.storeMessages(mail({}), [
      { accountId: acc.id, mailboxIds: [inbox.id] },
      { accountId: carol.id, mailboxIds: [carolInbox.id] },
    ]);
    assert.equal(blobRow(store, both.blobId)?.refcount, 2);
    await store.destroyMessages(acc.id, [first.added[0]!.id]);
    assert.equal(blobRow(store, first.blobId)?.refcount, 1);
    assert.ok(await store.blobs.get(first.blobId));
    await store.destroyMessages(acc.id, [second.added[0]!.id]);
    assert.equal(blobRow(store, first.blobId), undefined);
  }));

Deno.test("a delivery naming another account's mailbox fails notFound and stores nothing", () =>
  withStore(async (store) => {
    const { acc } = await account(store, "bob@example.org");
    const { inbox: carolInbox } = await account(store, "carol@example.org");
    const uidNext = () =>
      store.database.get<{ uid_next: number }>(
        "SELECT uid_next FROM mailboxes WHERE id = ?",
        parseId("mailbox", carolInbox.id),
      )!.uid_next;
    const before = uidNext();
    await assert.rejects(
      store.storeMessages(mail({}), [{ accountId: acc.id, mailboxIds: [carolInbox.id] }]),
      (err: unknown) => err instanceof StoreError && err.code === "notFound",
    );
    assert.equal(uidNext(), before);
    assert.equal(store.database.get<{ n: number }>("SELECT count(*) AS n FROM messages")!.n, 0);
  }));

Deno.test("deliveries in one batch take consecutive MODSEQs and UIDs, the counters stored once each", () =>
  withStore(async (store) => {
    const { acc, inbox } = await account(store, "bob@example.org");
    const stored = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          store.storeMessages(mail({ subject: `n${i}` }), [{ accountId: acc.id, mailboxIds: [inbox.id] }]),
      ),
    );
    const uids = stored.map((s) => s.added[0]!.uids[0]!.uid).sort((a, b) => a - b);
    assert.deepEqual(uids, Array.from({ length: 10 }, (_, i) => uids[0]! + i));
    const modseqs = stored.map((s) => s.added[0]!.modseq);
    assert.equal(new Set(modseqs).size, 10);
    const counter = store.database.get<{ modseq: number }>(
      "SELECT modseq FROM accounts WHERE address = ?",
      "bob@example.org",
    )!
      .modseq;
    assert.ok(Math.max(...modseqs) < counter);
    assert.equal(await store.state(acc.id, "Mailbox"), String(counter));
  }));

Deno.test("a message row's sort keys are its summary's base subject, From and To keys, indexed or from the blob row", () =>
  withStore(async (store) => {
    const { acc, inbox } = await account(store, "bob@example.org");
    const raw = mail({
      from: "Zed Writer <zed@example.net>",
      to: "Amy Reader <amy@example.org>, bob@example.org",
      subject: "Re: [team] Fwd: Plans",
    });
    const to = [{ accountId: acc.id, mailboxIds: [inbox.id] }];
    // The first delivery indexes the bytes; the second finds the indexed blob row.
    const first = await store.storeMessages(raw, to);
    const second = await store.addMessages([{ ...to[0]!, blobId: first.blobId }]);
    for (const id of [first.added[0]!.id, second[0]!.id]) {
      const [msg] = await store.getMessages(acc.id, [id]);
      const row = store.database.get<{ subject_key: string; from_key: string; to_key: string }>(
        "SELECT subject_key, from_key, to_key FROM messages WHERE id = ?",
        parseId("message", id),
      );
      assert.deepEqual({ ...row }, {
        subject_key: baseSubject(msg!.summary.subject),
        from_key: addressSortKey(msg!.summary.from),
        to_key: addressSortKey(msg!.summary.to),
      });
      assert.equal(row!.subject_key, "plans");
      assert.notEqual(row!.from_key, row!.to_key);
    }
  }));
