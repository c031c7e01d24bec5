/**
 * `changes()` over more change rows than one read holds (core/store/sqlite/change_log.ts reads the
 * log in pages of 1,024 rows): every object once, in the right category, across page boundaries,
 * with and without maxChanges.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { mail } from "./store_contract.ts";

const SECRETS = { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" };
/** More than two pages of change rows. */
const COUNT = 2_100;

Deno.test("changes() reports every object of a log longer than one page, with and without maxChanges", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-change-pages-" });
  const store = await SqliteStore.open({ dataDir });
  try {
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "bob@example.org", secrets: SECRETS });
    const inbox = (await store.listMailboxes(acc.id)).find((m) => m.role === "inbox")!;
    const email0 = await store.state(acc.id, "Email");
    const { blobId } = await store.blobs.put(mail({ subject: "Pages" }));
    const added = await store.addMessages(
      Array.from({ length: COUNT }, () => ({ accountId: acc.id, mailboxIds: [inbox.id], blobId })),
    );
    const ids = added.map((a) => a.id).sort();
    const created = await store.changes(acc.id, "Email", email0);
    assert.deepEqual(created.created.slice().sort(), ids);
    assert.equal(created.hasMoreChanges, false);
    assert.equal(created.newState, await store.state(acc.id, "Email"));

    // Updates after the creations: one row per message, each reported once as updated.
    const email1 = created.newState;
    await store.updateKeywords(acc.id, added.map((a) => a.id), { add: ["$seen"] });
    const destroyed = added.slice(0, 5).map((a) => a.id);
    await store.destroyMessages(acc.id, destroyed);
    const since1 = await store.changes(acc.id, "Email", email1);
    assert.deepEqual(since1.updated.slice().sort(), ids.filter((id) => !destroyed.includes(id)));
    assert.deepEqual(since1.destroyed.slice().sort(), destroyed.slice().sort());
    assert.deepEqual(since1.created, []);

    // maxChanges across the page boundary: pages of 1,500 objects, each id once, ending at the state.
    const seen = new Set<string>();
    let state = email0;
    for (let round = 0; round < 10; round++) {
      const page = await store.changes(acc.id, "Email", state, 1_500);
      const objects = [...page.created, ...page.updated, ...page.destroyed];
      assert.ok(objects.length <= 1_500);
      for (const id of objects) seen.add(id);
      state = page.newState;
      if (!page.hasMoreChanges) break;
    }
    assert.equal(state, await store.state(acc.id, "Email"));
    assert.equal(seen.size, COUNT);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
