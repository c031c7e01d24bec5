import assert from "node:assert/strict";
import { jmapFixture, sampleMessage } from "./_fixture.ts";
import type { NewMessage } from "../../core/store/types.ts";

Deno.test("Email/query windows stay exact across deliveries, deletions and flag changes (prefix plan)", async () => {
  const f = await jmapFixture();
  try {
    const inbox = await f.store.getMailboxByRole(f.alice.id, "inbox");
    const { blobId } = await f.store.blobs.put(sampleMessage());
    const base = Date.UTC(2026, 0, 1);
    const batch = (from: number, n: number, sameTime = false): NewMessage[] =>
      Array.from({ length: n }, (_, i) => ({
        accountId: f.alice.id,
        mailboxIds: [inbox!.id],
        blobId,
        // Some equal timestamps so the id tie-break matters.
        receivedAt: new Date(base + (sameTime ? from : from + i) * 60_000),
      }));
    await f.store.addMessages(batch(0, 600));
    const query = async (position: number, limit: number, extra: Record<string, unknown> = {}) => {
      const r = await f.api([["Email/query", {
        accountId: f.alice.id,
        filter: { inMailbox: inbox!.id },
        sort: [{ property: "receivedAt", isAscending: false }],
        position,
        limit,
        calculateTotal: true,
        ...extra,
      }, "0"]]);
      return r.methodResponses[0]![1] as { ids: string[]; total: number };
    };
    const truth = async (collapse = false) =>
      await f.store.queryMessages(f.alice.id, {
        filter: { inMailbox: inbox!.id },
        sort: [{ property: "receivedAt", isAscending: false }],
        collapseThreads: collapse,
      });
    const check = async (label: string) => {
      const all = await truth();
      for (const [pos, lim] of [[0, 50], [100, 50], [200, 56], [250, 50]] as const) {
        const got = await query(pos, lim);
        assert.deepEqual(got.ids, all.slice(pos, pos + lim), `${label} window ${pos}+${lim}`);
        assert.equal(got.total, all.length, `${label} total`);
      }
    };
    await check("initial");
    await f.store.addMessages([...batch(700, 5), ...batch(800, 4, true)]);
    await check("after deliveries");
    const current = await truth();
    await f.store.destroyMessages(f.alice.id, [current[3]!, current[60]!, current[120]!]);
    await f.store.updateKeywords(f.alice.id, [current[10]!], { add: ["$seen"] });
    await check("after deletions and flags");
    await f.store.destroyMessages(f.alice.id, (await truth()).slice(0, 300));
    await check("after deleting most of the prefix");
    const collapsed = await query(0, 20, { collapseThreads: true });
    assert.deepEqual(collapsed.ids, (await truth(true)).slice(0, 20));
  } finally {
    await f.close();
  }
});

Deno.test("Email/query reuses its ids after keyword-only changes and recomputes when the mailbox's members change", async () => {
  const f = await jmapFixture();
  try {
    const inbox = (await f.store.getMailboxByRole(f.alice.id, "inbox"))!;
    const archive = (await f.store.getMailboxByRole(f.alice.id, "archive"))!;
    const { blobId } = await f.store.blobs.put(sampleMessage());
    const base = Date.UTC(2026, 0, 1);
    const added = await f.store.addMessages(Array.from({ length: 300 }, (_, i) => ({
      accountId: f.alice.id,
      mailboxIds: [i === 0 ? archive.id : inbox.id],
      blobId,
      receivedAt: new Date(base + i * 60_000),
    })));
    // Store queries asked by the JMAP layer (the real store answers them).
    let storeQueries = 0;
    const queryMessages = f.store.queryMessages.bind(f.store);
    f.store.queryMessages = (...args) => {
      storeQueries++;
      return queryMessages(...args);
    };
    const query = async () => {
      const r = await f.api([["Email/query", {
        accountId: f.alice.id,
        filter: { inMailbox: inbox.id },
        sort: [{ property: "receivedAt", isAscending: false }],
        limit: 50,
        calculateTotal: true,
      }, "0"]]);
      return r.methodResponses[0]![1] as { ids: string[]; total: number; queryState: string };
    };
    const truth = async () =>
      (await queryMessages(f.alice.id, {
        filter: { inMailbox: inbox.id },
        sort: [{ property: "receivedAt", isAscending: false }],
      })).slice(0, 50);
    const first = await query();
    assert.deepEqual(first.ids, await truth());
    // Keywords only: the state moves on, the ids come from the cache (no store query).
    await f.store.updateKeywords(f.alice.id, [first.ids[0]!, first.ids[7]!], { add: ["$seen", "$flagged"] });
    storeQueries = 0;
    const flagged = await query();
    assert.notEqual(flagged.queryState, first.queryState);
    assert.deepEqual(flagged.ids, first.ids);
    assert.equal(flagged.total, 299);
    assert.equal(storeQueries, 0);
    // Moved out of the Inbox: recomputed.
    await f.store.setMailboxes(f.alice.id, first.ids[3]!, [archive.id]);
    storeQueries = 0;
    const out = await query();
    assert.ok(storeQueries > 0);
    assert.deepEqual(out.ids, await truth());
    assert.ok(!out.ids.includes(first.ids[3]!));
    // One moved out and another (the oldest, from the Archive) moved in: the count is the same,
    // the members are not.
    await f.store.setMailboxes(f.alice.id, out.ids[0]!, [archive.id]);
    await f.store.setMailboxes(f.alice.id, added[0]!.id, [inbox.id]);
    const swapped = await query();
    assert.equal(swapped.total, out.total);
    assert.deepEqual(swapped.ids, await truth());
    assert.ok(!swapped.ids.includes(out.ids[0]!));
    // Back in (a new placement): recomputed, and it is first again.
    await f.store.setMailboxes(f.alice.id, out.ids[0]!, [inbox.id]);
    const back = await query();
    assert.deepEqual(back.ids, await truth());
    assert.equal(back.ids[0], out.ids[0]);
  } finally {
    await f.close();
  }
});
