/**
 * Delivered messages prepared in the preparer's worker (core/store/sqlite/preparer.ts: hash,
 * deflate, MIME summary and index off the event loop) give exactly what the main thread gives,
 * for every message of the shared corpus; and a large delivery stored with `offload` reads back
 * as one stored without it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { OFFLOAD_MIN, Preparer } from "../../core/store/sqlite/preparer.ts";
import {
  type PreparedIndex,
  type PreparedMessage,
  prepareIndex,
  prepareMessage,
} from "../../core/store/sqlite/message_prep.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";

const CORPUS = new URL("../../../shared/corpus/", import.meta.url);
const SECRETS = { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" };

function corpus(): { name: string; raw: Uint8Array }[] {
  return [...Deno.readDirSync(CORPUS)]
    .filter((e) => e.isFile)
    .map((e) => e.name)
    .sort()
    .map((name) => ({ name, raw: Deno.readFileSync(new URL(name, CORPUS)) }));
}

Deno.test("the worker prepares every corpus message exactly as the main thread does", async () => {
  const messages = corpus();
  assert.ok(messages.length > 300, "the shared corpus is there");
  const preparer = new Preparer();
  try {
    // In batches of 100: beyond 256 waiting, messages are prepared on the caller's thread.
    const viaWorker: PreparedMessage[] = [];
    const indexes: PreparedIndex[] = [];
    for (let i = 0; i < messages.length; i += 100) {
      const some = messages.slice(i, i + 100);
      viaWorker.push(...await Promise.all(some.map((m) => preparer.prepare(m.raw))));
      indexes.push(...await Promise.all(some.map((m) => preparer.index(m.raw))));
    }
    // Every one went through the worker (none fell back to this thread).
    assert.equal(preparer.answered, messages.length * 2);
    messages.forEach((m, i) => {
      const local = prepareMessage(m.raw.slice());
      assert.deepEqual(viaWorker[i], local, m.name);
      assert.deepEqual(indexes[i], prepareIndex(m.raw), m.name);
    });
    assert.ok(viaWorker.some((p) => p.packed.rawSize !== null), "some corpus messages are stored deflated");
  } finally {
    preparer.stop();
  }
});

Deno.test("messages waiting for a stopped worker are prepared on the caller's thread", async () => {
  const [first, second] = corpus();
  const preparer = new Preparer();
  const waiting = [preparer.prepare(first!.raw), preparer.index(second!.raw)];
  preparer.stop();
  const [p, index] = await Promise.all(waiting);
  assert.equal(preparer.answered, 0);
  assert.deepEqual(p, prepareMessage(first!.raw.slice()));
  assert.deepEqual(index, prepareIndex(second!.raw));
});

/** A message of about `size` bytes with an address list, a date and a text body. */
function large(size: number, tag: string): Uint8Array {
  const head = `From: "Ann Example" <ann@example.net>\r\nTo: bob@example.org, Carol <carol@example.org>\r\n` +
    `Subject: Re: [list] report ${tag}\r\nDate: Tue, 1 Dec 2026 10:00:00 +0100\r\n` +
    `Message-ID: <${tag}@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`;
  const line = "The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
  return new TextEncoder().encode(head + line.repeat(Math.ceil(size / line.length)));
}

Deno.test("a large delivery prepared in the worker reads back as one prepared on the event loop", async () => {
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const stores = await Promise.all(dirs.map((dataDir) => SqliteStore.open({ dataDir })));
  try {
    // 20 KB goes to the database tier deflated; 100 KB to a file, indexed by `addMessages`.
    const raws = [large(20_000, "inline"), large(100_000, "file")];
    assert.ok(raws.every((r) => r.length >= OFFLOAD_MIN));
    const results = [];
    for (const [i, store] of stores.entries()) {
      await store.addDomain("example.org");
      const acc = await store.createAccount({ address: "bob@example.org", secrets: SECRETS });
      const inbox = (await store.listMailboxes(acc.id)).find((m) => m.role === "inbox")!;
      const out = [];
      for (const raw of raws) {
        const stored = await store.storeMessages(raw, [{ accountId: acc.id, mailboxIds: [inbox.id] }], {
          offload: i === 0,
        });
        const [msg] = await store.getMessages(acc.id, [stored.added[0]!.id]);
        const row = store.database.get<{ summary: string; headers: string }>(
          "SELECT summary, headers FROM blobs WHERE hash = ?",
          stored.blobId,
        );
        assert.deepEqual(await store.blobs.get(stored.blobId), raw);
        out.push({ blobId: stored.blobId, size: stored.size, summary: msg!.summary, row });
      }
      results.push(out);
    }
    assert.deepEqual(results[0], results[1]);
    assert.equal(results[0]![0]!.summary.subject, "Re: [list] report inline");
  } finally {
    for (const s of stores) await s.close();
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  }
});
