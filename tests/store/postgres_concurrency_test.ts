/**
 * Two Tern processes writing one mailbox of one PostgreSQL database at the same time: every UID is
 * assigned once, UIDs ascend in the order of the MODSEQs of the deliveries (both follow commit
 * order, RFC 9051 §2.3.1.1, RFC 7162 §3.1), HIGHESTMODSEQ covers everything, and the change events
 * of the other processes reach this process's notifier through LISTEN/NOTIFY.
 *
 * @module
 */
import assert from "node:assert/strict";
import { PostgresStore } from "../../core/store/postgres/postgres_store.ts";
import { MemoryNotifier } from "../../core/store/notifier.ts";
import { sharedPostgresCluster } from "../support/postgres_cluster.ts";

const CHILD = new URL("./_pg_writer_child.ts", import.meta.url).pathname;
const PER_PROCESS = 60;

interface Write {
  kind: "add" | "flag";
  uid: number;
  modseq: number;
}

async function runChild(args: string[]): Promise<Write[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      CHILD,
      ...args,
    ],
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `child failed: ${new TextDecoder().decode(out.stderr)}`);
  return text.trim().split("\n").map((l) => JSON.parse(l) as Write);
}

Deno.test("PostgresStore: two processes writing one mailbox get unique UIDs in MODSEQ order, and each other's events", async () => {
  const cluster = await sharedPostgresCluster();
  const url = await cluster.createDatabase();
  const blobDir = await Deno.makeTempDir({ prefix: "tern-pg-blobs-" });
  const notifier = new MemoryNotifier();
  const store = await PostgresStore.open({ url, blobDir, notifier, poolSize: 2 });
  try {
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
    const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
    let seenModseq = 0;
    const allSeen = Promise.withResolvers<void>();
    let target = Infinity;
    const unsubscribe = notifier.subscribe(acc.id, (e) => {
      seenModseq = Math.max(seenModseq, e.modseq);
      if (seenModseq >= target) allSeen.resolve();
    });

    const [a, b] = await Promise.all([
      runChild([url, blobDir, acc.id, inbox.id, String(PER_PROCESS), "a"]),
      runChild([url, blobDir, acc.id, inbox.id, String(PER_PROCESS), "b"]),
    ]);

    const adds = [...a!, ...b!].filter((w) => w.kind === "add");
    assert.equal(adds.length, 2 * PER_PROCESS);
    // Every UID once, 1..N with no gap (nothing failed, nothing was reused).
    const uids = adds.map((w) => w.uid).sort((x, y) => x - y);
    assert.deepEqual(uids, Array.from({ length: 2 * PER_PROCESS }, (_, i) => i + 1));
    // UIDs ascend with the MODSEQ of their delivery: both were taken in commit order.
    const byUid = [...adds].sort((x, y) => x.uid - y.uid);
    for (let i = 1; i < byUid.length; i++) {
      assert.ok(
        byUid[i]!.modseq > byUid[i - 1]!.modseq,
        `UID ${byUid[i]!.uid} has a lower MODSEQ than UID ${i}`,
      );
    }
    // Every MODSEQ handed out once, across both processes and both kinds of write.
    const modseqs = [...a!, ...b!].map((w) => w.modseq);
    assert.equal(new Set(modseqs).size, modseqs.length);
    // The store agrees: placements in UID order, every one under HIGHESTMODSEQ and UIDNEXT.
    const box = (await store.getMailbox(acc.id, inbox.id))!;
    const placements = await store.listPlacements(acc.id, inbox.id);
    assert.deepEqual(placements.map((p) => p.uid), uids);
    assert.equal(box.uidNext, 2 * PER_PROCESS + 1);
    assert.ok(placements.every((p) => p.modseq <= box.highestModseq));
    assert.ok(box.highestModseq >= Math.max(...adds.map((w) => w.modseq)));
    assert.equal(
      placements.filter((p) => p.keywords.includes("$flagged")).length,
      2 * Math.ceil(PER_PROCESS / 3),
    );
    // The other processes' events arrive here through LISTEN/NOTIFY, up to their last write.
    target = Math.max(...modseqs);
    if (seenModseq >= target) allSeen.resolve();
    await allSeen.promise;
    unsubscribe();
  } finally {
    await store.close();
    await cluster.dropDatabase(url);
    await Deno.remove(blobDir, { recursive: true });
  }
});
