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
