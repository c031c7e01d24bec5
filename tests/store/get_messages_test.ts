/**
 * SqliteStore.getMessages reads a page of messages in a fixed number of statements (JMAP
 * Email/get of 50): the order asked, unknown / malformed / other accounts' ids left out, each
 * message with its own mailboxes and keywords, summaries from the decoded-summary cache (frozen,
 * and the same after a reopen that starts the cache empty).
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { Database } from "../../core/store/sqlite/database.ts";
import type { MessageId } from "../../core/store/types.ts";

const enc = new TextEncoder();
const SECRETS = { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" };

function raw(n: number): Uint8Array {
  return enc.encode(
    `From: Sender ${n} <s${n}@example.net>\r\nTo: a@example.org\r\nSubject: Message ${n}\r\n` +
      `Message-ID: <m${n}@example.net>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nBody ${n}\r\n`,
  );
}

/** Counts the statements the store runs while `fn` runs. */
async function countStatements<T>(fn: () => Promise<T>): Promise<{ result: T; statements: number }> {
  let statements = 0;
  const methods = ["run", "get", "all", "values", "exec"] as const;
  const originals = methods.map((m) => Database.prototype[m]);
  methods.forEach((m, i) => {
    const original = originals[i] as (...args: unknown[]) => unknown;
    (Database.prototype as unknown as Record<string, unknown>)[m] = function (
      this: Database,
      ...args: unknown[]
    ) {
      statements++;
      return original.apply(this, args);
    };
  });
  try {
    return { result: await fn(), statements };
  } finally {
    methods.forEach((m, i) => (Database.prototype as unknown as Record<string, unknown>)[m] = originals[i]);
  }
}

Deno.test("getMessages reads a page in the order asked, with each message's own mailboxes, in a fixed number of statements", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-getmessages-" });
  try {
    let store = await SqliteStore.open({ dataDir });
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "a@example.org", secrets: SECRETS });
    const other = await store.createAccount({ address: "b@example.org", secrets: SECRETS });
    const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
    const archive = (await store.getMailboxByRole(acc.id, "archive"))!;
    const ids: MessageId[] = [];
    for (let i = 0; i < 60; i++) {
      const { blobId } = await store.blobs.put(raw(i));
      const [added] = await store.addMessages([{
        accountId: acc.id,
        mailboxIds: i % 2 ? [inbox.id] : [inbox.id, archive.id],
        blobId,
        keywords: i % 3 ? [] : ["$seen"],
      }]);
      ids.push(added!.id);
    }
    const { blobId: otherBlob } = await store.blobs.put(raw(99));
    const [foreign] = await store.addMessages([{
      accountId: other.id,
      mailboxIds: [(await store.getMailboxByRole(other.id, "inbox"))!.id],
      blobId: otherBlob,
    }]);
    // Reversed, with an unknown id, a malformed one, another account's, and a repeat.
    const asked = [...ids].reverse();
    asked.splice(5, 0, "e999999", "not-an-id", foreign!.id, ids[7]!);
    const check = async () => {
      const { result: got, statements } = await countStatements(() => store.getMessages(acc.id, asked));
      const expected = asked.filter((id) => ids.includes(id));
      assert.deepEqual(got.map((m) => m.id), expected);
      for (const m of got) {
        const i = ids.indexOf(m.id);
        assert.deepEqual(m.mailboxIds, i % 2 ? [inbox.id] : [inbox.id, archive.id].sort());
        assert.deepEqual(m.keywords, i % 3 ? [] : ["$seen"]);
        assert.equal(m.summary.subject, `Message ${i}`);
        assert.deepEqual(m.summary.from, [{ name: `Sender ${i}`, email: `s${i}@example.net` }]);
        assert.equal(m.accountId, acc.id);
      }
      // A repeated id gives a message of its own (its mailbox list is not shared).
      const repeats = got.filter((m) => m.id === ids[7]);
      assert.equal(repeats.length, 2);
      assert.notEqual(repeats[0]!.mailboxIds, repeats[1]!.mailboxIds);
      return { got, statements };
    };
    const cold = await check();
    // Rows, summaries not cached yet, placements (plus the account row lookup).
    assert.ok(cold.statements <= 4, `${cold.statements} statements for ${asked.length} ids`);
    const warm = await check();
    assert.ok(warm.statements <= 3, `${warm.statements} statements with the summaries cached`);
    // Cached summaries are shared, so they cannot be changed by one reader for the others.
    assert.throws(() => {
      (warm.got[0]!.summary as { subject: string }).subject = "changed";
    }, TypeError);
    assert.throws(() => warm.got[0]!.summary.from.push({ name: null, email: "x@example.org" }), TypeError);
    // Keywords and mailboxes are read fresh each time (only summaries are cached).
    await store.updateKeywords(acc.id, [ids[0]!], { add: ["$flagged"] });
    await store.setMailboxes(acc.id, ids[1]!, [archive.id]);
    const [m0, m1] = await store.getMessages(acc.id, [ids[0]!, ids[1]!]);
    assert.deepEqual(m0!.keywords.sort(), ["$flagged", "$seen"]);
    assert.deepEqual(m1!.mailboxIds, [archive.id]);
    await store.setMailboxes(acc.id, ids[1]!, [inbox.id]);
    await store.updateKeywords(acc.id, [ids[0]!], { remove: ["$flagged"] });
    await store.close();
    store = await SqliteStore.open({ dataDir });
    await check();
    await store.close();
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
