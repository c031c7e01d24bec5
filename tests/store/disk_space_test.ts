/**
 * Disk space of the SQLite store (core/store/sqlite/disk_space.ts): deleting a mailbox gives the
 * pages of its messages back to the filesystem (incremental vacuum before the commit, the WAL
 * checkpointed and truncated after it), for messages kept in the database and as files alike.
 * Byte counts of the files only, never timing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { mail } from "./store_contract.ts";
import { VACUUM_MIN_FREE_PAGES, VACUUM_MIN_FREE_SHARE } from "../../core/store/sqlite/disk_space.ts";

/** Bytes of the database file plus its WAL. */
function databaseBytes(dataDir: string): number {
  let n = 0;
  for (const f of ["tern.db", "tern.db-wal"]) {
    try {
      n += Deno.statSync(`${dataDir}/${f}`).size;
    } catch {
      // no WAL: nothing to add
    }
  }
  return n;
}

/** A message of about `size` bytes whose body is text unlike any other message's. */
function bigMail(i: number, size: number): Uint8Array {
  const words: string[] = [];
  let len = 0;
  for (let w = 0; len < size; w++) {
    const word = `w${i}x${w}y${(i * 7919 + w * 104729) % 1000003}`;
    words.push(word);
    len += word.length + 1;
  }
  const body = words.join(" ").replace(/(.{1,70})( |$)/g, "$1\r\n");
  return mail({ subject: `Report ${i}`, body });
}

/** bob@example.org with `count` messages of about `size` bytes in his Inbox, indexed; their ids. */
async function bobWithMessages(
  store: SqliteStore,
  count: number,
  size: number,
): Promise<{ acc: { id: string }; added: string[] }> {
  await store.addDomain("example.org");
  const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
  const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
  const added: string[] = [];
  for (let i = 0; i < count; i++) {
    const { added: [m] } = await store.storeMessages(bigMail(i, size), [{
      accountId: acc.id,
      mailboxIds: [inbox.id],
    }]);
    added.push(m!.id);
  }
  await store.searchIndexIdle();
  return { acc, added };
}

const N = 200;
const SIZE = 6000;

Deno.test("SqliteStore deleting a mailbox of 200 messages gives the database file and WAL back", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-disk-" });
  const store = await SqliteStore.open({ dataDir });
  try {
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
    const mb = await store.createMailbox(acc.id, { name: "Archive 2024" });
    const before = databaseBytes(dataDir);
    let bytes = 0;
    for (let i = 0; i < N; i++) {
      const raw = bigMail(i, SIZE);
      bytes += raw.length;
      await store.storeMessages(raw, [{ accountId: acc.id, mailboxIds: [mb.id] }]);
    }
    await store.searchIndexIdle();
    const filled = databaseBytes(dataDir);
    // The messages themselves live in the database (inline tier).
    assert.ok(filled - before >= bytes, `filled ${filled - before} < message bytes ${bytes}`);
    await store.deleteMailbox(acc.id, mb.id, { removeMessages: true });
    const left = databaseBytes(dataDir) - before;
    // What stays: change-log rows of the deletion and B-tree pages; a tenth of the messages' bytes
    // at most (it was more than all of them before the vacuum).
    assert.ok(left <= bytes / 10, `left ${left} bytes of ${bytes} after the DELETE (before ${before})`);
    assert.equal(store.database.get<{ freelist_count: number }>("PRAGMA freelist_count")?.freelist_count, 0);
    // The full-text index of the deleted messages went too (its segments merged before the vacuum).
    const ftsPages = store.database.get<{ n: number }>(
      "SELECT count(*) AS n FROM dbstat WHERE name = 'message_text_data'",
    )!.n;
    assert.ok(ftsPages <= 4, `${ftsPages} pages of full-text index left`);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SqliteStore a new database is created with incremental auto-vacuum", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-disk-" });
  const store = await SqliteStore.open({ dataDir });
  try {
    // 2 = INCREMENTAL: freed pages can be given back (0, NONE, can only be changed by a VACUUM).
    assert.equal(store.database.get<{ auto_vacuum: number }>("PRAGMA auto_vacuum")?.auto_vacuum, 2);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SqliteStore garbage collection leaves an empty WAL and no free pages", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-disk-" });
  const store = await SqliteStore.open({ dataDir });
  try {
    const { acc, added } = await bobWithMessages(store, 20, 3000);
    // A few messages destroyed: too few pages freed for the delete itself to vacuum them.
    await store.destroyMessages(acc.id, added.slice(0, 3));
    assert.ok(Deno.statSync(`${dataDir}/tern.db-wal`).size > 0);
    assert.ok(store.database.get<{ freelist_count: number }>("PRAGMA freelist_count")!.freelist_count > 0);
    await store.collectGarbage();
    assert.equal(Deno.statSync(`${dataDir}/tern.db-wal`).size, 0);
    assert.equal(store.database.get<{ freelist_count: number }>("PRAGMA freelist_count")?.freelist_count, 0);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SqliteStore while the checkpoint worker runs, pages an EXPUNGE frees go back through the worker, not a TRUNCATE on the event loop", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-disk-" });
  const store = await SqliteStore.open({ dataDir });
  try {
    const { acc, added } = await bobWithMessages(store, N, SIZE);
    const worker = store.database.checkpointer!;
    assert.ok(worker.active, "a server-sized WAL hands the checkpoints to the worker");
    await worker.checkpointNow();
    const fileBefore = Deno.statSync(`${dataDir}/tern.db`).size;
    // Half the messages expunged: enough freed pages for the expunge's own batch to vacuum them.
    await store.destroyMessages(acc.id, added.slice(0, N / 2));
    assert.equal(store.database.get<{ freelist_count: number }>("PRAGMA freelist_count")?.freelist_count, 0);
    // A TRUNCATE on the event loop would have emptied the WAL before the call returned.
    assert.ok(Deno.statSync(`${dataDir}/tern.db-wal`).size > 0, "the WAL was truncated on the event loop");
    // The worker's checkpoint writes the vacuumed pages back and the database file shrinks.
    await worker.checkpointNow();
    const fileAfter = Deno.statSync(`${dataDir}/tern.db`).size;
    assert.ok(
      fileAfter <= fileBefore - (N / 2) * SIZE * 0.5,
      `database file ${fileBefore} -> ${fileAfter} bytes after expunging ${(N / 2) * SIZE} bytes`,
    );
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SqliteStore expunges of a few messages at a time keep their free pages for reuse until they are a share of the file", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-disk-" });
  const store = await SqliteStore.open({ dataDir });
  try {
    const { acc, added } = await bobWithMessages(store, N, SIZE);
    const pragma = (name: string) => store.database.get<Record<string, number>>(`PRAGMA ${name}`)![name]!;
    // One message at a time, as a mailbox in steady use expunges: past VACUUM_MIN_FREE_PAGES the
    // pages stay free (the next deliveries reuse them) while they are under an eighth of the file.
    let destroyed = 0;
    while (pragma("freelist_count") < VACUUM_MIN_FREE_PAGES && destroyed < N / 4) {
      await store.destroyMessages(acc.id, [added[destroyed++]!]);
    }
    const free = pragma("freelist_count");
    assert.ok(free >= VACUUM_MIN_FREE_PAGES, `${free} free pages after ${destroyed} expunged one by one`);
    assert.ok(free < pragma("page_count") * VACUUM_MIN_FREE_SHARE, "the test frees less than the share");
    // The hourly garbage collection gives them back.
    await store.collectGarbage();
    assert.equal(pragma("freelist_count"), 0);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
