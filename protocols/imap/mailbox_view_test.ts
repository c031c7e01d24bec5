import assert from "node:assert/strict";
import type { Mailbox, Placement } from "../../core/store/types.ts";
import { MailboxView } from "./mailbox_view.ts";

const MAILBOX: Mailbox = {
  id: "m1",
  accountId: "a1",
  name: "INBOX",
  parentId: null,
  role: "inbox",
  sortOrder: 0,
  subscribed: true,
  uidValidity: 1,
  uidNext: 10,
  highestModseq: 5,
};

function p(uid: number, modseq: number, keywords: string[] = []): Placement {
  return { mailboxId: "m1", uid, messageId: `e${uid}`, modseq, keywords, size: 10, receivedAt: new Date(0) };
}

Deno.test("MailboxView holds expunges back until allowed and keeps sequence numbers stable", () => {
  const v = new MailboxView(MAILBOX, "INBOX", false, [p(1, 1), p(3, 2), p(5, 3)]);
  assert.equal(v.seqOf(5), 3);
  const held = v.applyChanges([p(7, 6), p(5, 7, ["$seen"])], [3], false);
  assert.deepEqual(held.expunged, []);
  assert.equal(held.exists, 4);
  assert.deepEqual(held.flags.map(([seq, x]) => [seq, x.keywords]), [[3, ["$seen"]]]);
  assert.equal(v.seqOf(3), 2);
  assert.ok(v.gone.has(3));
  const later = v.applyChanges([], [], true);
  assert.deepEqual(later.expunged, [2]);
  assert.deepEqual(v.uids, [1, 5, 7]);
  assert.equal(v.byUid.get(5)?.keywords[0], "$seen");
  assert.equal(v.modseq, 7);
});

Deno.test("MailboxView.remove reports sequence numbers highest first", () => {
  const v = new MailboxView(MAILBOX, "INBOX", false, [p(1, 1), p(2, 1), p(3, 1), p(4, 1)]);
  assert.deepEqual(v.remove([2, 4, 9]), [4, 2]);
  assert.deepEqual(v.uids, [1, 3]);
  assert.equal(v.byUid.has(2), false);
});

Deno.test("MailboxView counts \\Recent ranges over the messages it shows and joins adjacent claims", () => {
  const v = new MailboxView(MAILBOX, "INBOX", false, [p(1, 1), p(2, 1), p(4, 1), p(6, 1)]);
  v.addRecent(2, 4);
  assert.equal(v.recentCount(), 2);
  assert.ok(v.isRecent(2) && v.isRecent(4) && !v.isRecent(1) && !v.isRecent(6));
  // UID 6 (claimed by another session) lies between: a new claim of 7 is a separate range.
  v.applyChanges([p(7, 2), p(8, 2)], [], true);
  v.addRecent(7, 8);
  assert.deepEqual(v.recent, [[2, 4], [7, 8]]);
  v.applyChanges([p(9, 3)], [], true);
  v.addRecent(9, 9);
  assert.deepEqual(v.recent, [[2, 4], [7, 9]]);
  v.remove([2, 8]);
  assert.equal(v.recentCount(), 3);
});

Deno.test("MailboxView shows a held message's last flags and lets its hold go once reported", () => {
  const released: number[] = [];
  const held = new Map([[2, { messageId: "e2", blobId: "b", threadId: "t", keywords: ["$deleted"] }]]);
  const hold = {
    get: (uid: number) => held.get(uid),
    release: (uids: Iterable<number>) => {
      for (const u of uids) if (held.delete(u)) released.push(u);
    },
    retainOnly: (keep: (uid: number) => boolean) => {
      for (const u of [...held.keys()]) if (!keep(u)) hold.release([u]);
    },
    close: () => hold.release([...held.keys()]),
  };
  const v = new MailboxView(MAILBOX, "INBOX", false, [p(1, 1), p(2, 1)], hold);
  const u = v.applyChanges([], [2], false);
  assert.deepEqual(u.flags.map(([seq, x]) => [seq, x.keywords]), [[2, ["$deleted"]]]);
  assert.deepEqual(released, []);
  assert.deepEqual(v.applyChanges([], [], true).expunged, [2]);
  assert.deepEqual(released, [2]);
});
