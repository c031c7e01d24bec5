/**
 * Large stored messages indexed in the preparer's worker (core/store/sqlite/preparer.ts: MIME
 * summary, header text and sort keys off the event loop) give exactly what the main thread gives,
 * for every message of the shared corpus; and a large delivery's stored index is that one.
 *
 * @module
 */
import assert from "node:assert/strict";
import { OFFLOAD_MIN, Preparer } from "../../core/store/sqlite/preparer.ts";
import { type PreparedIndex, prepareIndex } from "../../core/store/sqlite/message_prep.ts";
import { encodeSummary } from "../../core/store/message_index.ts";
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

Deno.test("the worker indexes every corpus message exactly as the main thread does", async () => {
  const messages = corpus();
  assert.ok(messages.length > 300, "the shared corpus is there");
  const preparer = new Preparer();
  try {
    // In batches of 50: beyond 64 waiting, messages are indexed on the caller's thread.
    const viaWorker: PreparedIndex[] = [];
    for (let i = 0; i < messages.length; i += 50) {
      viaWorker.push(...await Promise.all(messages.slice(i, i + 50).map((m) => preparer.index(m.raw))));
    }
    // Every one went through the worker (none fell back to this thread).
    assert.equal(preparer.answered, messages.length);
    messages.forEach((m, i) => {
      const local = prepareIndex(m.raw);
      assert.deepEqual(viaWorker[i], local, m.name);
      assert.equal(viaWorker[i]!.summaryJson, encodeSummary(local.summary), m.name);
    });
  } finally {
    preparer.stop();
  }
});

Deno.test("messages waiting for a stopped worker are indexed on the caller's thread", async () => {
  const [first, second] = corpus();
  const preparer = new Preparer();
  const waiting = [preparer.index(first!.raw), preparer.index(second!.raw)];
  preparer.stop();
  const indexes = await Promise.all(waiting);
  assert.equal(preparer.answered, 0);
  assert.deepEqual(indexes, [prepareIndex(first!.raw), prepareIndex(second!.raw)]);
});

/** A message of about `size` bytes with an address list, a date and a text body. */
function large(size: number, tag: string): Uint8Array {
  const head = `From: "Ann Example" <ann@example.net>\r\nTo: bob@example.org, Carol <carol@example.org>\r\n` +
    `Subject: Re: [list] report ${tag}\r\nDate: Tue, 1 Dec 2026 10:00:00 +0100\r\n` +
    `Message-ID: <${tag}@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`;
  const line = "The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
  return new TextEncoder().encode(head + line.repeat(Math.ceil(size / line.length)));
}

/** A store in `dataDir` with the account bob@example.org, and his Inbox. */
async function storeWithBob(dataDir: string) {
  const store = await SqliteStore.open({ dataDir });
  await store.addDomain("example.org");
  const acc = await store.createAccount({ address: "bob@example.org", secrets: SECRETS });
  const inbox = (await store.listMailboxes(acc.id)).find((m) => m.role === "inbox")!;
  return { store, acc, inbox };
}

Deno.test("a large delivery is stored with the index the main thread gives its bytes", async () => {
  const dataDir = await Deno.makeTempDir();
  const { store, acc, inbox } = await storeWithBob(dataDir);
  try {
    // Stored as a file, then indexed by `addMessages` in the worker.
    const raw = large(100_000, "file");
    assert.ok(raw.length >= OFFLOAD_MIN);
    const stored = await store.storeMessages(raw, [{ accountId: acc.id, mailboxIds: [inbox.id] }]);
    const row = store.database.get<{ summary: string; headers: string }>(
      "SELECT summary, headers FROM blobs WHERE hash = ?",
      stored.blobId,
    );
    const local = prepareIndex(raw);
    assert.deepEqual({ ...row }, { summary: local.summaryJson, headers: local.headers });
    const [msg] = await store.getMessages(acc.id, [stored.added[0]!.id]);
    assert.equal(msg!.summary.subject, "Re: [list] report file");
    assert.deepEqual(await store.blobs.get(stored.blobId), raw);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("large deliveries waiting for the worker when the store closes are stored, not refused", async () => {
  const dataDir = await Deno.makeTempDir();
  let { store, acc, inbox } = await storeWithBob(dataDir);
  try {
    const puts = await Promise.all([0, 1, 2].map((i) => store.blobs.put(large(100_000, `close-${i}`))));
    // Each waits for the preparer's worker; the store closes meanwhile (a server shutting down).
    const adding = puts.map((b) =>
      store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId: b.blobId }])
    );
    await store.close();
    const added = await Promise.all(adding);
    store = await SqliteStore.open({ dataDir });
    const found = await store.getMessages(acc.id, added.map((a) => a[0]!.id));
    assert.deepEqual(
      found.map((m) => m.summary.subject),
      [0, 1, 2].map((i) => `Re: [list] report close-${i}`),
    );
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
