import assert from "node:assert/strict";
import fc from "fast-check";
import type { Placement } from "../types.ts";
import { frozenKeywords, packKeywords } from "./keywords.ts";
import { PlacementRecord, toPlainPlacement } from "./placement_record.ts";
import { decodeSnapshot, encodeSnapshot } from "./placement_snapshot.ts";
import { SqliteStore } from "./sqlite_store.ts";

const SYSTEM = ["$seen", "$answered", "$flagged", "$draft", "$deleted"];

/** Keywords as the store returns them: system flags first, then the others sorted, deduplicated. */
const keywordsArb = fc.uniqueArray(
  fc.oneof(fc.constantFrom(...SYSTEM), fc.stringMatching(/^[a-z$][a-z0-9_.-]{0,12}$/)),
  { maxLength: 6 },
).map((raw) => {
  const k = packKeywords(raw);
  return frozenKeywords(k.flags, k.custom);
});

const placementsArb = fc.uniqueArray(fc.integer({ min: 1, max: 0xffffffff }), { maxLength: 60 }).chain(
  (uids) => {
    uids.sort((a, b) => a - b);
    return fc.tuple(
      ...uids.map((uid) =>
        fc.record({
          uid: fc.constant(uid),
          row: fc.oneof(
            fc.integer({ min: 1, max: 1000 }),
            fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          ),
          modseq: fc.oneof(
            fc.integer({ min: 0, max: 1000 }),
            fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          ),
          keywords: keywordsArb,
          size: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 2 ** 40 })),
          date: fc.integer({ min: -8.64e15, max: 8.64e15 }),
        })
      ),
    );
  },
).map((rows): Placement[] =>
  rows.map((r) => ({
    mailboxId: "m7",
    uid: r.uid,
    messageId: `e${r.row}`,
    modseq: r.modseq,
    keywords: r.keywords,
    size: r.size,
    receivedAt: new Date(r.date),
  }))
);

const plain = (list: readonly Placement[]) => list.map(toPlainPlacement);

Deno.test("decodeSnapshot(encodeSnapshot(list)) gives back every placement", () => {
  fc.assert(
    fc.property(placementsArb, (list) => {
      const bytes = encodeSnapshot(list);
      assert.ok(bytes);
      const back = decodeSnapshot(bytes, "m7");
      assert.deepEqual(plain(back), list);
      for (const p of back) {
        assert.ok(p instanceof PlacementRecord);
        assert.ok(Object.isFrozen(p));
        // The keyword arrays are the store's shared frozen ones.
        const k = packKeywords(p.keywords);
        assert.equal(p.keywords, frozenKeywords(k.flags, k.custom));
      }
      // Records encode like plain objects (their fast path).
      assert.deepEqual(encodeSnapshot(back), bytes);
    }),
  );
});

Deno.test("decodeSnapshot of a copy at an unaligned offset still decodes", () => {
  const list = [
    { mailboxId: "m1", uid: 3, messageId: "e9", modseq: 4, keywords: [], size: 10, receivedAt: new Date(5) },
  ];
  const bytes = encodeSnapshot(list)!;
  const shifted = new Uint8Array(bytes.length + 1).subarray(1);
  shifted.set(bytes);
  assert.deepEqual(plain(decodeSnapshot(shifted, "m1")), list);
});

Deno.test("encodeSnapshot refuses lists it cannot represent", () => {
  const p = {
    mailboxId: "m1",
    uid: 3,
    messageId: "e9",
    modseq: 4,
    keywords: [],
    size: 10,
    receivedAt: new Date(5),
  };
  assert.equal(encodeSnapshot([p, { ...p }]), null, "UIDs not ascending");
  assert.equal(encodeSnapshot([{ ...p, messageId: "x9" }]), null, "foreign message id");
  assert.equal(encodeSnapshot([{ ...p, receivedAt: new Date(NaN) }]), null, "invalid date");
  assert.equal(encodeSnapshot([{ ...p, uid: 2 ** 32 }]), null, "UID above 32 bits");
});

Deno.test("decodeSnapshot rejects damaged bytes with a SyntaxError", () => {
  const list: Placement[] = [1, 2, 3].map((uid) => ({
    mailboxId: "m1",
    uid,
    messageId: `e${uid}`,
    modseq: uid,
    keywords: frozenKeywords(uid & 1, ""),
    size: 100,
    receivedAt: new Date(uid * 1000),
  }));
  const good = encodeSnapshot(list)!;
  assert.throws(() => decodeSnapshot(good.subarray(0, good.length - 1), "m1"), SyntaxError);
  assert.throws(() => decodeSnapshot(new Uint8Array(3), "m1"), SyntaxError);
  const badMagic = good.slice();
  badMagic[0] = 0;
  assert.throws(() => decodeSnapshot(badMagic, "m1"), SyntaxError);
  // Any single damaged byte either still decodes to a list of the right length or is rejected.
  fc.assert(
    fc.property(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
      const bad = good.slice();
      bad[at]! ^= x;
      try {
        assert.equal(decodeSnapshot(bad, "m1").length, 3);
      } catch (err) {
        assert.ok(err instanceof SyntaxError, String(err));
      }
    }),
  );
});

// ----------------------------------------------------------------------- through the store

const enc = new TextEncoder();

async function withStoreDir(fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-snapshot-" });
  try {
    await fn(dataDir);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

const open = (dataDir: string) => SqliteStore.open({ dataDir, snapshotMinPlacements: 10 });

/** An account with `n` messages in its Inbox, varied keywords. */
async function fill(store: SqliteStore, n: number) {
  await store.addDomain("example.org");
  const acc = await store.createAccount({ address: "u@example.org", secrets: { passwordHash: "x" } });
  const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
  const blobs: string[] = [];
  for (let i = 0; i < 3; i++) {
    blobs.push(
      (await store.blobs.put(enc.encode(`Subject: s${i}\r\nMessage-ID: <${i}@x>\r\n\r\nbody\r\n`))).blobId,
    );
  }
  await store.addMessages(Array.from({ length: n }, (_, i) => ({
    accountId: acc.id,
    mailboxIds: [inbox.id],
    blobId: blobs[i % 3]!,
    keywords: i % 3 === 0 ? [] : i % 3 === 1 ? ["$seen"] : ["$flagged", "Custom", `k${i % 4}`],
    receivedAt: new Date(1_700_000_000_000 + i * 1000),
  })));
  return { acc, inbox, blobId: blobs[0]! };
}

function snapshotRow(store: SqliteStore, mailboxId: string) {
  return store.database.get<{ highest_modseq: number; count: number; data: Uint8Array }>(
    "SELECT highest_modseq, count, data FROM placement_snapshots WHERE mailbox_id = ?",
    Number(mailboxId.slice(1)),
  );
}

/** What a store without any snapshot lists (the full load), from a fresh store on the same dir. */
async function fullLoad(dataDir: string, accountId: string, mailboxId: string): Promise<Placement[]> {
  const store = await SqliteStore.open({ dataDir, snapshotMinPlacements: 1e9 });
  try {
    const saved = store.database.values(
      "SELECT mailbox_id, uid_validity, highest_modseq, count, data FROM placement_snapshots",
    );
    store.database.run("DELETE FROM placement_snapshots");
    const list = plain(await store.listPlacements(accountId, mailboxId));
    store.database.transaction(() => {
      for (const r of saved) {
        store.database.run(
          "INSERT INTO placement_snapshots (mailbox_id, uid_validity, highest_modseq, count, data) VALUES (?, ?, ?, ?, ?)",
          ...(r as [number, number, number, number, Uint8Array]),
        );
      }
    });
    return list;
  } finally {
    await store.close();
  }
}

Deno.test("SqliteStore cold listing from a stale snapshot equals the full load", () =>
  withStoreDir(async (dataDir) => {
    let store = await open(dataDir);
    const { acc, inbox, blobId } = await fill(store, 40);
    assert.equal(snapshotRow(store, inbox.id), undefined);
    await store.listPlacements(acc.id, inbox.id); // full load: a snapshot is queued
    await store.close();

    store = await open(dataDir);
    const snap = snapshotRow(store, inbox.id)!;
    assert.equal(snap.count, 40);
    // Changes after the snapshot, made without listing the mailbox (so it stays stale).
    await store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId, keywords: ["$draft"] }]);
    const some = await store.listPlacements(acc.id, inbox.id, { minUid: 5, maxUid: 9 });
    await store.updateKeywords(acc.id, some.map((p) => p.messageId), { add: ["$answered", "new"] });
    await store.expunge(acc.id, inbox.id, [1, 2, 20]);
    const other = await store.createMailbox(acc.id, { name: "Other" });
    await store.moveMessages(acc.id, inbox.id, [30, 31], other.id);
    const { highestModseq } = (await store.getMailbox(acc.id, inbox.id))!;
    assert.ok(snap.highest_modseq < highestModseq);
    await store.close();

    const expected = await fullLoad(dataDir, acc.id, inbox.id);
    assert.equal(expected.length, 40 + 1 - 3 - 2);
    store = await open(dataDir);
    try {
      assert.equal(snapshotRow(store, inbox.id)!.highest_modseq, snap.highest_modseq);
      assert.deepEqual(plain(await store.listPlacements(acc.id, inbox.id)), expected);
      // Partial ranges and changedSince are served from the same list.
      assert.deepEqual(
        plain(await store.listPlacements(acc.id, inbox.id, { minUid: 5, maxUid: 9 })),
        expected.filter((p) => p.uid >= 5 && p.uid <= 9),
      );
    } finally {
      await store.close();
    }
  }));

Deno.test("SqliteStore cold listing reads the snapshot, not the placements table", () =>
  withStoreDir(async (dataDir) => {
    let store = await open(dataDir);
    const { acc, inbox } = await fill(store, 20);
    await store.listPlacements(acc.id, inbox.id);
    await store.close();
    store = await open(dataDir);
    try {
      // A snapshot at the current MODSEQ with sizes marked: only the snapshot can produce them.
      const row = snapshotRow(store, inbox.id)!;
      const marked = decodeSnapshot(row.data, inbox.id).map((p) => ({ ...toPlainPlacement(p), size: 7_777 }));
      store.database.run("UPDATE placement_snapshots SET data = ?", encodeSnapshot(marked)!);
      const list = await store.listPlacements(acc.id, inbox.id);
      assert.deepEqual(list.map((p) => p.size), new Array(20).fill(7_777));
    } finally {
      await store.close();
    }
  }));

Deno.test("SqliteStore falls back to the full load for a damaged, foreign or inconsistent snapshot", () =>
  withStoreDir(async (dataDir) => {
    let store = await open(dataDir);
    const { acc, inbox } = await fill(store, 20);
    const expected = plain(await store.listPlacements(acc.id, inbox.id));
    await store.close();
    const damage: [string, (s: SqliteStore, data: Uint8Array) => void][] = [
      ["garbage", (s) => s.database.run("UPDATE placement_snapshots SET data = x'00112233'")],
      [
        "truncated",
        (s, d) => s.database.run("UPDATE placement_snapshots SET data = ?", d.subarray(0, d.length - 8)),
      ],
      ["wrong type", (s) => s.database.run("UPDATE placement_snapshots SET data = 'text'")],
      [
        "other UIDVALIDITY",
        (s) => s.database.run("UPDATE placement_snapshots SET uid_validity = uid_validity + 1"),
      ],
      [
        "from the future",
        (s) => s.database.run("UPDATE placement_snapshots SET highest_modseq = highest_modseq + 1"),
      ],
      // Valid bytes that lack a placement: the mailbox's message count tells.
      ["missing placement", (s, d) => {
        const fewer = decodeSnapshot(d, inbox.id).slice(1);
        s.database.run("UPDATE placement_snapshots SET data = ?, count = 19", encodeSnapshot(fewer)!);
      }],
    ];
    for (const [what, apply] of damage) {
      store = await open(dataDir);
      try {
        apply(store, snapshotRow(store, inbox.id)!.data);
        assert.deepEqual(plain(await store.listPlacements(acc.id, inbox.id)), expected, what);
      } finally {
        await store.close();
      }
      // The full load replaced the bad row.
      store = await open(dataDir);
      try {
        const row = snapshotRow(store, inbox.id)!;
        assert.deepEqual(plain(decodeSnapshot(row.data, inbox.id)), expected, what);
      } finally {
        await store.close();
      }
    }
  }));

Deno.test("SqliteStore drops a mailbox's snapshot with the mailbox", () =>
  withStoreDir(async (dataDir) => {
    let store = await open(dataDir);
    const { acc, inbox, blobId } = await fill(store, 0);
    const box = await store.createMailbox(acc.id, { name: "Big" });
    await store.addMessages(
      Array.from({ length: 12 }, () => ({ accountId: acc.id, mailboxIds: [box.id], blobId })),
    );
    await store.listPlacements(acc.id, box.id);
    await store.close();
    store = await open(dataDir);
    try {
      assert.ok(snapshotRow(store, box.id));
      await store.deleteMailbox(acc.id, box.id, { removeMessages: true });
      assert.equal(snapshotRow(store, box.id), undefined);
      const again = await store.createMailbox(acc.id, { name: "Big" });
      assert.notEqual(again.id, box.id);
      // The deletion released the blob: put it again.
      const blob = await store.blobs.put(enc.encode("Subject: again\r\n\r\nbody\r\n"));
      await store.addMessages([{ accountId: acc.id, mailboxIds: [again.id], blobId: blob.blobId }]);
      assert.deepEqual((await store.listPlacements(acc.id, again.id)).map((p) => p.uid), [1]);
      assert.deepEqual(await store.listPlacements(acc.id, inbox.id), []);
    } finally {
      await store.close();
    }
  }));

Deno.test("SqliteStore.close brings the snapshots of cached big mailboxes up to date", () =>
  withStoreDir(async (dataDir) => {
    let store = await open(dataDir);
    const { acc, inbox, blobId } = await fill(store, 15);
    await store.listPlacements(acc.id, inbox.id);
    await store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId }]);
    const expected = plain(await store.listPlacements(acc.id, inbox.id)); // cached, refreshed by delta
    const { highestModseq } = (await store.getMailbox(acc.id, inbox.id))!;
    await store.close();
    store = await open(dataDir);
    try {
      const row = snapshotRow(store, inbox.id)!;
      assert.equal(row.highest_modseq, highestModseq);
      assert.deepEqual(plain(decodeSnapshot(row.data, inbox.id)), expected);
    } finally {
      await store.close();
    }
  }));

Deno.test("SqliteStore keeps no snapshot of small mailboxes", () =>
  withStoreDir(async (dataDir) => {
    let store = await open(dataDir);
    const { acc, inbox } = await fill(store, 9);
    assert.equal((await store.listPlacements(acc.id, inbox.id)).length, 9);
    await store.close();
    store = await open(dataDir);
    try {
      assert.equal(snapshotRow(store, inbox.id), undefined);
    } finally {
      await store.close();
    }
  }));
