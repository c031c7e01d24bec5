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
