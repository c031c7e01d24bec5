/**
 * The `Store` contract: one test suite every backend runs (SQLite now, PostgreSQL later). A backend
 * test file calls `storeContract(name, factory)` with a factory that gives a fresh, empty store
 * which can be closed and reopened on the same persistent state.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Store } from "../../core/store/store.ts";
import {
  type Account,
  CannotCalculateChangesError,
  type Mailbox,
  type MailboxRole,
  StoreError,
} from "../../core/store/types.ts";
import { type ChangeEvent, MemoryNotifier } from "../../core/store/notifier.ts";
import type { Clock } from "../../core/clock.ts";
import { recordStoresContract } from "./records_contract.ts";

/** A fresh persistent state a backend can open (several times) and remove. */
export interface StoreHarness {
  /** Opens the store on this state; `notifier` and `clock` are passed to the backend. */
  open(opts?: { notifier?: MemoryNotifier; clock?: Clock }): Promise<Store>;
  /** Removes the state (after every store opened on it is closed). */
  cleanup(): Promise<void>;
}

/** Makes a fresh harness. */
export type StoreFactory = () => Promise<StoreHarness>;

const SECRETS = { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" };
const enc = new TextEncoder();

/** Builds a small RFC 5322 message. */
export function mail(opts: {
  from?: string;
  to?: string;
  cc?: string;
  subject?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  date?: string;
  body?: string;
  headers?: string[];
}): Uint8Array {
  const lines = [
    `From: ${opts.from ?? "Alice Example <alice@example.net>"}`,
    `To: ${opts.to ?? "bob@example.org"}`,
    ...(opts.cc ? [`Cc: ${opts.cc}`] : []),
    `Subject: ${opts.subject ?? "Hello"}`,
    `Date: ${opts.date ?? "Mon, 02 Jun 2025 10:00:00 +0000"}`,
    `Message-ID: <${opts.messageId ?? crypto.randomUUID() + "@example.net"}>`,
    ...(opts.inReplyTo ? [`In-Reply-To: <${opts.inReplyTo}>`] : []),
    ...(opts.references ? [`References: ${opts.references.map((r) => `<${r}>`).join(" ")}`] : []),
    ...(opts.headers ?? []),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    opts.body ?? "Hello there.",
    "",
  ];
  return enc.encode(lines.join("\r\n"));
}

interface Ctx {
  h: StoreHarness;
  store: Store;
  notifier: MemoryNotifier;
  clock: { now(): Date; t: number };
}

async function withStore(factory: StoreFactory, fn: (c: Ctx) => Promise<void>): Promise<void> {
  const h = await factory();
  const clock = {
    t: Date.UTC(2025, 5, 1, 12, 0, 0),
    now() {
      return new Date(this.t);
    },
  };
  const notifier = new MemoryNotifier();
  const c: Ctx = { h, store: await h.open({ notifier, clock }), notifier, clock };
  try {
    await fn(c);
  } finally {
    await c.store.close();
    await h.cleanup();
  }
}

async function setup(
  store: Store,
  address = "bob@example.org",
): Promise<{ acc: Account; boxes: Record<MailboxRole, Mailbox> }> {
  const domain = address.split("@")[1]!;
  if (!(await store.isLocalDomain(domain))) await store.addDomain(domain);
  const acc = await store.createAccount({ address, secrets: SECRETS });
  const boxes = {} as Record<MailboxRole, Mailbox>;
  for (const mb of await store.listMailboxes(acc.id)) if (mb.role) boxes[mb.role] = mb;
  return { acc, boxes };
}

async function deliver(
  store: Store,
  accountId: string,
  mailboxIds: string[],
  raw: Uint8Array,
  extra: { keywords?: string[]; receivedAt?: Date } = {},
) {
  const { blobId } = await store.blobs.put(raw);
  const [added] = await store.addMessages([{ accountId, mailboxIds, blobId, ...extra }]);
  return added!;
}

async function rejectsWith(p: Promise<unknown>, code: StoreError["code"]): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected StoreError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

async function countBlobs(store: Store): Promise<number> {
  let n = 0;
  for await (const _ of store.blobs.list()) n++;
  return n;
}

/** Registers the contract tests for one backend. */
export function storeContract(name: string, factory: StoreFactory): void {
  const test = (title: string, fn: (c: Ctx) => Promise<void>) =>
    Deno.test(`${name} ${title}`, () => withStore(factory, fn));

  // The records beside mail (queue, JMAP records, bans, DKIM keys, POP3 sizes, IMAP subscriptions): tests/store/records_contract.ts.
  recordStoresContract(test);

  test("domains are added, listed, checked and deleted", async ({ store }) => {
    await store.addDomain("Example.ORG");
    assert.equal(await store.isLocalDomain("example.org"), true);
    assert.equal(await store.isLocalDomain("EXAMPLE.org"), true);
    assert.equal(await store.isLocalDomain("example.com"), false);
    await rejectsWith(store.addDomain("example.org"), "alreadyExists");
    assert.deepEqual((await store.listDomains()).map((d) => d.name), ["example.org"]);
    await store.createAccount({ address: "a@example.org", secrets: SECRETS });
    await rejectsWith(store.deleteDomain("example.org"), "hasChildren");
    await store.addDomain("example.com");
    await store.deleteDomain("example.com");
    assert.equal(await store.isLocalDomain("example.com"), false);
  });

  test("accounts are unique case-insensitively and keep secrets apart", async ({ store }) => {
    await store.addDomain("example.org");
    await rejectsWith(store.createAccount({ address: "x@nowhere.test", secrets: SECRETS }), "notFound");
    const acc = await store.createAccount({
      address: "Bob@Example.ORG",
      displayName: "Bob",
      quotaBytes: 1000,
      secrets: SECRETS,
    });
    assert.equal(acc.address, "Bob@example.org");
    assert.equal(acc.displayName, "Bob");
    assert.equal(acc.quotaBytes, 1000);
    assert.equal(acc.usedBytes, 0);
    assert.equal(acc.disabled, false);
    assert.equal(!("passwordHash" in acc), true);
    await rejectsWith(store.createAccount({ address: "bob@example.org", secrets: SECRETS }), "alreadyExists");
    assert.equal((await store.getAccountByAddress("BOB@example.org"))?.id, acc.id);
    assert.equal((await store.getAccount(acc.id))?.address, "Bob@example.org");
    assert.equal(await store.getAccount("nope"), null);
    assert.deepEqual(await store.getSecrets(acc.id), SECRETS);
    const next = { passwordHash: "x", scramSha256: "4096$a$b$c", cramMd5: "secret" };
    await store.setSecrets(acc.id, next);
    assert.deepEqual(await store.getSecrets(acc.id), next);
    const updated = await store.updateAccount(acc.id, {
      displayName: "Robert",
      disabled: true,
      quotaBytes: 0,
    });
    assert.equal(updated.displayName, "Robert");
    assert.equal(updated.disabled, true);
    assert.equal(updated.quotaBytes, 0);
    assert.equal((await store.listAccounts()).length, 1);
    await store.deleteAccount(acc.id);
    assert.equal(await store.getAccount(acc.id), null);
    assert.equal(await store.getSecrets(acc.id), null);
    assert.deepEqual(await store.listAccounts(), []);
  });

  test("resolveRecipient follows account, plus tag, alias, catch-all and skips disabled", async ({ store }) => {
    await store.addDomain("example.org");
    const bob = await store.createAccount({ address: "bob@example.org", secrets: SECRETS });
    const ann = await store.createAccount({ address: "ann@example.org", secrets: SECRETS });
    const ids = (r: Account[] | null) => r?.map((a) => a.id) ?? null;
    assert.deepEqual(ids(await store.resolveRecipient("BOB@Example.org")), [bob.id]);
    assert.deepEqual(ids(await store.resolveRecipient("bob+lists@example.org")), [bob.id]);
    // The plus-address's account comes before an alias of the tagged address (core/store/addresses.ts).
    await store.addAlias("bob+sales@example.org", ["ann@example.org"]);
    assert.deepEqual(ids(await store.resolveRecipient("bob+sales@example.org")), [bob.id]);
    await store.deleteAlias("bob+sales@example.org");
    assert.equal(await store.resolveRecipient("nobody@example.org"), null);
    assert.equal(await store.resolveRecipient("bob@elsewhere.test"), null);
    await store.addAlias("team@example.org", ["bob@example.org", "ANN@example.org"]);
    await rejectsWith(store.addAlias("team@example.org", ["bob@example.org"]), "alreadyExists");
    await rejectsWith(store.addAlias("x@example.org", ["ghost@example.org"]), "notFound");
    assert.deepEqual(ids(await store.resolveRecipient("Team@example.org"))?.sort(), [bob.id, ann.id].sort());
    assert.deepEqual(
      ids(await store.resolveRecipient("team+x@example.org"))?.sort(),
      [bob.id, ann.id].sort(),
    );
    assert.deepEqual((await store.sendableAddresses(bob.id)).sort(), ["bob@example.org", "team@example.org"]);
    await store.addAlias("*@example.org", ["ann@example.org"]);
    assert.deepEqual(ids(await store.resolveRecipient("random@example.org")), [ann.id]);
    assert.deepEqual(ids(await store.resolveRecipient("bob@example.org")), [bob.id]);
    assert.deepEqual((await store.sendableAddresses(ann.id)).sort(), ["ann@example.org", "team@example.org"]);
    await store.updateAccount(ann.id, { disabled: true });
    assert.equal(await store.resolveRecipient("random@example.org"), null);
    assert.equal(await store.resolveRecipient("ann@example.org"), null);
    assert.deepEqual(ids(await store.resolveRecipient("team@example.org")), [bob.id]);
    assert.equal((await store.listAliases()).length, 2);
    await store.deleteAlias("*@example.org");
    await rejectsWith(store.deleteAlias("*@example.org"), "notFound");
    assert.equal(await store.resolveRecipient("random@example.org"), null);
  });

  test("createAccount makes the six default mailboxes with roles", async ({ store }) => {
    const { acc } = await setup(store);
    const boxes = await store.listMailboxes(acc.id);
    assert.deepEqual(
      boxes.map((b) => [b.name, b.role]).sort(),
      [
        ["Archive", "archive"],
        ["Drafts", "drafts"],
        ["Inbox", "inbox"],
        ["Junk", "junk"],
        ["Sent", "sent"],
        ["Trash", "trash"],
      ],
    );
    for (const b of boxes) {
      assert.equal(b.parentId, null);
      assert.ok(b.uidValidity > 0 && b.uidValidity <= 0xffffffff);
      assert.equal(b.uidNext, 1);
      assert.ok(b.highestModseq > 0);
      assert.equal(b.subscribed, true);
    }
    assert.equal((await store.getMailboxByRole(acc.id, "inbox"))?.name, "Inbox");
    assert.deepEqual(await store.mailboxCounts(acc.id, boxes[0]!.id), {
      total: 0,
      unread: 0,
      deleted: 0,
      size: 0,
      totalThreads: 0,
      unreadThreads: 0,
    });
  });

  test("mailboxes are unique among siblings and form a tree", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const work = await store.createMailbox(acc.id, { name: "Work" });
    const sub = await store.createMailbox(acc.id, { name: "2025", parentId: work.id });
    assert.equal(sub.parentId, work.id);
    await rejectsWith(store.createMailbox(acc.id, { name: "Work" }), "alreadyExists");
    await rejectsWith(store.createMailbox(acc.id, { name: "INBOX" }), "alreadyExists");
    await rejectsWith(store.createMailbox(acc.id, { name: "" }), "invalid");
    // One tree for JMAP and IMAP: a leaf name never holds the IMAP hierarchy delimiter.
    await rejectsWith(store.createMailbox(acc.id, { name: "a/b" }), "invalid");
    await rejectsWith(store.createMailbox(acc.id, { name: "X", role: "inbox" }), "alreadyExists");
    const other = await store.createMailbox(acc.id, { name: "work" });
    await store.createMailbox(acc.id, { name: "2025", parentId: other.id });
    await rejectsWith(store.updateMailbox(acc.id, work.id, { parentId: sub.id }), "invalid");
    await rejectsWith(store.updateMailbox(acc.id, other.id, { name: "Work" }), "alreadyExists");
    const renamed = await store.updateMailbox(acc.id, work.id, { name: "Job", subscribed: false });
    assert.equal(renamed.name, "Job");
    assert.equal(renamed.subscribed, false);
    assert.equal(renamed.uidValidity, work.uidValidity);
    assert.ok(renamed.highestModseq > work.highestModseq);
    await rejectsWith(store.deleteMailbox(acc.id, work.id, { removeMessages: true }), "hasChildren");
    await rejectsWith(store.deleteMailbox(acc.id, boxes.inbox.id, { removeMessages: true }), "forbidden");
    await deliver(store, acc.id, [sub.id], mail({}));
    await rejectsWith(store.deleteMailbox(acc.id, sub.id, { removeMessages: false }), "conflict");
    await store.deleteMailbox(acc.id, sub.id, { removeMessages: true });
    assert.equal(await store.getMailbox(acc.id, sub.id), null);
    await store.deleteMailbox(acc.id, work.id, { removeMessages: false });
    // A mailbox re-created under a deleted one's name gets a new UIDVALIDITY (RFC 9051 §2.3.1.1).
    const again = await store.createMailbox(acc.id, { name: "Work" });
    assert.notEqual(again.uidValidity, work.uidValidity);
  });

  test("UIDs ascend and are never reused across expunge and reopen", async (c) => {
    const { acc, boxes } = await setup(c.store);
    const uids: number[] = [];
    for (let i = 0; i < 3; i++) {
      uids.push((await deliver(c.store, acc.id, [boxes.inbox.id], mail({}))).uids[0]!.uid);
    }
    assert.deepEqual(uids, [1, 2, 3]);
    const ex = await c.store.expunge(acc.id, boxes.inbox.id, [3, 2, 99]);
    assert.deepEqual(ex.uids, [2, 3]);
    await c.store.close();
    c.store = await c.h.open({ notifier: c.notifier, clock: c.clock });
    const next = await deliver(c.store, acc.id, [boxes.inbox.id], mail({}));
    assert.equal(next.uids[0]!.uid, 4);
    assert.equal(next.uids[0]!.uidValidity, boxes.inbox.uidValidity);
    assert.deepEqual((await c.store.listPlacements(acc.id, boxes.inbox.id)).map((p) => p.uid), [1, 4]);
    assert.equal((await c.store.getMailbox(acc.id, boxes.inbox.id))?.uidNext, 5);
  });

  test("MODSEQ increases on every change and HIGHESTMODSEQ covers placements", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const a = await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    const b = await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    assert.ok(b.modseq > a.modseq);
    const k = await store.updateKeywords(acc.id, [a.id], { add: ["$seen"] });
    assert.ok(k.modseq > b.modseq);
    const [msg] = await store.getMessages(acc.id, [a.id]);
    assert.ok(msg!.modseq > b.modseq && msg!.modseq <= k.modseq);
    const placements = await store.listPlacements(acc.id, boxes.inbox.id);
    const mb = await store.getMailbox(acc.id, boxes.inbox.id);
    assert.ok(placements.every((p) => p.modseq <= mb!.highestModseq));
    assert.equal(placements[0]!.modseq, msg!.modseq);
    assert.deepEqual(placements[0]!.keywords, ["$seen"]);
    // No-op keyword change takes no MODSEQ (RFC 7162 §3.1).
    const again = await store.updateKeywords(acc.id, [a.id], { add: ["$seen"] });
    assert.equal(again.modseq, k.modseq);
    const changed = await store.listPlacements(acc.id, boxes.inbox.id, { changedSince: b.modseq });
    assert.deepEqual(changed.map((p) => p.uid), [1]);
  });

  test("changes() collapses per RFC 8620 §5.2 and honours maxChanges", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const s0 = await store.state(acc.id, "Email");
    const m0 = await store.state(acc.id, "Mailbox");
    const a = await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    const s1 = await store.state(acc.id, "Email");
    assert.notEqual(s1, s0);
    const b = await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    await store.updateKeywords(acc.id, [b.id], { add: ["$flagged"] });
    const c = await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    await store.destroyMessages(acc.id, [c.id]);
    await store.updateKeywords(acc.id, [a.id], { add: ["$seen"] });
    const all = await store.changes(acc.id, "Email", s0);
    assert.deepEqual(all.created.sort(), [a.id, b.id].sort());
    assert.deepEqual(all.updated, []);
    assert.deepEqual(all.destroyed, []);
    assert.equal(all.hasMoreChanges, false);
    assert.equal(all.newState, await store.state(acc.id, "Email"));
    const since1 = await store.changes(acc.id, "Email", s1);
    assert.deepEqual(since1.created, [b.id]);
    assert.deepEqual(since1.updated, [a.id]);
    assert.deepEqual(since1.destroyed, []);
    const mid = await store.state(acc.id, "Email");
    await store.destroyMessages(acc.id, [a.id]);
    const d = await store.changes(acc.id, "Email", mid);
    assert.deepEqual([d.created, d.updated, d.destroyed], [[], [], [a.id]]);
    // maxChanges: page through, each page at most 1 id, ending at the current state.
    const seen: string[] = [];
    let state = s0;
    for (let i = 0; i < 10; i++) {
      const page = await store.changes(acc.id, "Email", state, 1);
      assert.ok(page.created.length + page.updated.length + page.destroyed.length <= 1);
      seen.push(...page.created, ...page.updated, ...page.destroyed);
      state = page.newState;
      if (!page.hasMoreChanges) break;
    }
    assert.equal(state, await store.state(acc.id, "Email"));
    assert.ok(seen.includes(b.id));
    const nothing = await store.changes(acc.id, "Email", state);
    assert.deepEqual([nothing.created, nothing.updated, nothing.destroyed, nothing.hasMoreChanges], [
      [],
      [],
      [],
      false,
    ]);
    await assert.rejects(store.changes(acc.id, "Email", "garbage"), CannotCalculateChangesError);
    await assert.rejects(store.changes(acc.id, "Email", "999999999"), CannotCalculateChangesError);
    const mbChanges = await store.changes(acc.id, "Mailbox", m0);
    assert.deepEqual(mbChanges.updated, [boxes.inbox.id]);
    assert.deepEqual(mbChanges.created, []);
    // Since the very beginning the default mailboxes were created, later updates fold into that.
    assert.equal((await store.changes(acc.id, "Mailbox", "0")).created.length, 6);
    const t = await store.changes(acc.id, "Thread", s0);
    assert.deepEqual(t.created, [b.threadId]);
    assert.deepEqual(t.destroyed, []);
    const before = await store.state(acc.id, "Identity");
    const s = await store.recordChange(acc.id, "Identity", { created: ["i1"], updated: ["i2"] });
    assert.equal(s, await store.state(acc.id, "Identity"));
    const ic = await store.changes(acc.id, "Identity", before);
    assert.deepEqual([ic.created, ic.updated], [["i1"], ["i2"]]);
  });

  test("keyword changes log Mailbox updates only when unread counts change", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const a = await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    const s = await store.state(acc.id, "Mailbox");
    await store.updateKeywords(acc.id, [a.id], { add: ["$flagged"] });
    assert.deepEqual((await store.changes(acc.id, "Mailbox", s)).updated, []);
    assert.deepEqual((await store.changes(acc.id, "Thread", s)).updated, [a.threadId]);
    await store.updateKeywords(acc.id, [a.id], { add: ["$seen"] });
    assert.deepEqual((await store.changes(acc.id, "Mailbox", s)).updated, [boxes.inbox.id]);
    const counts = await store.mailboxCounts(acc.id, boxes.inbox.id);
    assert.equal(counts.unread, 0);
    assert.equal(counts.total, 1);
  });

  test("getMessages with mailboxIds false gives the same messages without their mailboxes", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const a = await deliver(store, acc.id, [boxes.inbox.id, boxes.archive.id], mail({ subject: "two" }));
    const b = await deliver(store, acc.id, [boxes.inbox.id], mail({ subject: "one box" }));
    const full = await store.getMessages(acc.id, [b.id, a.id, "e999999"]);
    assert.deepEqual(full.map((m) => m.mailboxIds.length), [1, 2]);
    const lean = await store.getMessages(acc.id, [b.id, a.id, "e999999"], { mailboxIds: false });
    assert.deepEqual(lean, full.map((m) => ({ ...m, mailboxIds: [] })));
  });

  test("updateKeywords sets, adds, removes and honours unchangedSince", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const a = await deliver(store, acc.id, [boxes.inbox.id], mail({}), { keywords: ["$Seen", "Custom"] });
    const b = await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    let [m] = await store.getMessages(acc.id, [a.id]);
    assert.deepEqual(m!.keywords, ["$seen", "custom"]);
    await store.updateKeywords(acc.id, [a.id], { add: ["$deleted", "x_y"], remove: ["custom"] });
    [m] = await store.getMessages(acc.id, [a.id]);
    assert.deepEqual(m!.keywords, ["$seen", "$deleted", "x_y"]);
    const r = await store.updateKeywords(acc.id, [a.id, b.id], { set: ["$answered"] }, {
      unchangedSince: b.modseq,
    });
    assert.deepEqual(r.failed, [a.id]);
    assert.deepEqual(r.updated.map((u) => [u.id, u.keywords]), [[b.id, ["$answered"]]]);
    // `updated` tells each message's keywords and MODSEQ after the call, changed (a) or not (b).
    const again = await store.updateKeywords(acc.id, [b.id, a.id], { add: ["$answered"] });
    const now = await store.getMessages(acc.id, [b.id, a.id]);
    assert.deepEqual(again.updated, now.map((m) => ({ id: m.id, keywords: m.keywords, modseq: m.modseq })));
    assert.ok(now[1]!.modseq > now[0]!.modseq);
    await rejectsWith(store.updateKeywords(acc.id, [a.id], { add: ["bad keyword"] }), "invalid");
    const counts = await store.mailboxCounts(acc.id, boxes.inbox.id);
    assert.equal(counts.deleted, 1);
    assert.equal(counts.unread, 1);
  });

  test("a message in two mailboxes shares keywords; both placements and counts follow", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const a = await deliver(store, acc.id, [boxes.inbox.id, boxes.archive.id], mail({}));
    const s = await store.state(acc.id, "Mailbox");
    await store.updateKeywords(acc.id, [a.id], { add: ["$seen", "$deleted"] });
    for (const mb of [boxes.inbox.id, boxes.archive.id]) {
      const [p] = await store.listPlacements(acc.id, mb);
      assert.deepEqual(p!.keywords, ["$seen", "$deleted"]);
      const counts = await store.mailboxCounts(acc.id, mb);
      assert.deepEqual([counts.total, counts.unread, counts.deleted, counts.unreadThreads], [1, 0, 1, 0]);
    }
    assert.deepEqual(
      (await store.changes(acc.id, "Mailbox", s)).updated.sort(),
      [boxes.inbox.id, boxes.archive.id].sort(),
    );
  });

  test("savedDates: each placement keeps when it was saved (delivery, COPY, MOVE), not the internal date", async (c) => {
    const { store, clock } = c;
    assert.ok(store.savedDates, "the backend keeps RFC 8514 save dates");
    const { acc, boxes } = await setup(store);
    const t0 = clock.t;
    await deliver(store, acc.id, [boxes.inbox.id], mail({}), { receivedAt: new Date(Date.UTC(2001, 0, 2)) });
    await deliver(store, acc.id, [boxes.inbox.id], mail({ subject: "two" }));
    clock.t = t0 + 60_000;
    await store.copyMessages(acc.id, boxes.inbox.id, [1], boxes.archive.id);
    clock.t = t0 + 120_000;
    await store.moveMessages(acc.id, boxes.inbox.id, [2], boxes.archive.id);
    assert.deepEqual(await store.savedDates(acc.id, boxes.inbox.id), { uids: [1], dates: [t0] });
    assert.deepEqual(await store.savedDates(acc.id, boxes.archive.id), {
      uids: [1, 2],
      dates: [t0 + 60_000, t0 + 120_000],
    });
    assert.deepEqual(await store.savedDates(acc.id, boxes.archive.id, { minUid: 2, maxUid: 9 }), {
      uids: [2],
      dates: [t0 + 120_000],
    });
  });

  test("deleteAccount releases blobs and alias targets", async ({ store }) => {
    const { acc: bob, boxes } = await setup(store, "bob@example.org");
    const { acc: ann } = await setup(store, "ann@example.org");
    await store.addAlias("both@example.org", ["bob@example.org", "ann@example.org"]);
    await store.addAlias("solo@example.org", ["bob@example.org"]);
    const a = await deliver(store, bob.id, [boxes.inbox.id], mail({}));
    const [m] = await store.getMessages(bob.id, [a.id]);
    await store.deleteAccount(bob.id);
    assert.equal(await store.blobs.has(m!.blobId), false);
    assert.deepEqual((await store.listAliases()).map((x) => [x.address, x.targets]), [["both@example.org", [
      ann.address,
    ]]]);
    assert.equal(await store.resolveRecipient("bob@example.org"), null);
    assert.equal(await store.getMailbox(bob.id, boxes.inbox.id), null);
    // The address can be used again.
    await store.createAccount({ address: "bob@example.org", secrets: SECRETS });
  });

  test("a failed write publishes no event and changes nothing", async ({ store, notifier }) => {
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "q@example.org", quotaBytes: 10, secrets: SECRETS });
    const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
    const events: ChangeEvent[] = [];
    const unsubscribe = notifier.subscribe(acc.id, (e) => events.push(e));
    const state = await store.state(acc.id, "Email");
    await rejectsWith(deliver(store, acc.id, [inbox.id], mail({})), "overQuota");
    await rejectsWith(
      store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId: "0".repeat(64) }]),
      "notFound",
    );
    await rejectsWith(store.updateKeywords(acc.id, [], { add: ["bad keyword"] }), "invalid");
    // A later successful write's event is published; the failed ones never were.
    await store.updateMailbox(acc.id, inbox.id, { subscribed: false });
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    unsubscribe();
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]!.types, ["Mailbox"]);
    assert.equal(await store.state(acc.id, "Email"), state);
    assert.equal((await store.getAccount(acc.id))!.usedBytes, 0);
    assert.equal((await store.getMailbox(acc.id, inbox.id))!.uidNext, 1);
  });

  test("same bytes are stored once and the file goes with the last reference", async ({ store }) => {
    const { acc: bob, boxes: bb } = await setup(store, "bob@example.org");
    const { acc: ann, boxes: ab } = await setup(store, "ann@example.org");
    const raw = mail({ subject: "shared" });
    const x = await deliver(store, bob.id, [bb.inbox.id], raw);
    const y = await deliver(store, ann.id, [ab.inbox.id], raw);
    assert.equal(await countBlobs(store), 1);
    const [mx] = await store.getMessages(bob.id, [x.id]);
    assert.equal(await store.blobs.has(mx!.blobId), true);
    assert.deepEqual(await store.readMessage(ann.id, y.id), raw);
    assert.equal(await store.readMessage(bob.id, y.id), null);
    await store.copyMessages(bob.id, bb.inbox.id, [1], bb.archive.id);
    await store.destroyMessages(bob.id, [x.id]);
    await store.expunge(bob.id, bb.archive.id, [1]);
    assert.equal(await store.blobs.has(mx!.blobId), true);
    await store.destroyMessages(ann.id, [y.id]);
    assert.equal(await store.blobs.has(mx!.blobId), false);
    assert.equal(await countBlobs(store), 0);
  });

  test("quota is enforced and usedBytes maintained", async ({ store }) => {
    await store.addDomain("example.org");
    const raw = mail({});
    const acc = await store.createAccount({
      address: "q@example.org",
      quotaBytes: raw.length * 2 + 10,
      secrets: SECRETS,
    });
    const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
    const m1 = await deliver(store, acc.id, [inbox.id], raw);
    await deliver(store, acc.id, [inbox.id], mail({}));
    assert.ok((await store.getAccount(acc.id))!.usedBytes >= raw.length * 2 - 2);
    await rejectsWith(deliver(store, acc.id, [inbox.id], mail({})), "overQuota");
    await rejectsWith(store.copyMessages(acc.id, inbox.id, [1], inbox.id), "overQuota");
    await store.destroyMessages(acc.id, [m1.id]);
    const left = (await store.getAccount(acc.id))!.usedBytes;
    assert.ok(left > 0 && left < raw.length + 10);
    await deliver(store, acc.id, [inbox.id], mail({}));
  });

  test("storeMessages stores the blob and its placements in one step, or nothing", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const other = await setup(store, "carol@example.org");
    const raw = mail({ subject: "one step" });
    const r = await store.storeMessages(raw, [
      { accountId: acc.id, mailboxIds: [boxes.inbox.id], keywords: ["$seen"] },
      { accountId: other.acc.id, mailboxIds: [other.boxes.inbox.id] },
    ]);
    assert.equal(r.size, raw.length);
    assert.equal(r.added.length, 2);
    assert.deepEqual(await store.blobs.get(r.blobId), raw);
    assert.deepEqual(await store.readMessage(other.acc.id, r.added[1]!.id), raw);
    const [msg] = await store.getMessages(acc.id, [r.added[0]!.id]);
    assert.equal(msg!.blobId, r.blobId);
    assert.deepEqual(msg!.keywords, ["$seen"]);
    assert.equal(msg!.summary.subject, "one step");
    // Same bytes again: same blob, a second message.
    const again = await store.storeMessages(raw, [{ accountId: acc.id, mailboxIds: [boxes.inbox.id] }]);
    assert.equal(again.blobId, r.blobId);
    assert.notEqual(again.added[0]!.id, r.added[0]!.id);
    // All-or-nothing: an unknown mailbox fails the call and leaves no message (a blob file written
    // first may stay until garbage collection, as after a crash).
    const lost = mail({ subject: "never stored" });
    await rejectsWith(
      store.storeMessages(lost, [
        { accountId: acc.id, mailboxIds: [boxes.inbox.id] },
        { accountId: acc.id, mailboxIds: ["m-nonexistent"] },
      ]),
      "notFound",
    );
    assert.equal((await store.listPlacements(acc.id, boxes.inbox.id)).length, 2);
    assert.deepEqual(await store.queryMessages(acc.id, { filter: { subject: "never stored" } }), []);
  });

  test("copy makes new messages, move keeps ids; both return COPYUID pairs", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const a = await deliver(store, acc.id, [boxes.inbox.id], mail({}), { keywords: ["$flagged"] });
    const b = await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    await deliver(store, acc.id, [boxes.archive.id], mail({}));
    const copy = await store.copyMessages(acc.id, boxes.inbox.id, [2, 1, 7], boxes.archive.id);
    assert.equal(copy.uidValidity, boxes.archive.uidValidity);
    assert.deepEqual(copy.pairs.map((p) => [p.fromUid, p.toUid]), [[1, 2], [2, 3]]);
    assert.ok(!copy.pairs.some((p) => p.messageId === a.id || p.messageId === b.id));
    const [copied] = await store.getMessages(acc.id, [copy.pairs[0]!.messageId]);
    assert.deepEqual(copied!.keywords, ["$flagged"]);
    assert.equal(copied!.threadId, a.threadId);
    // Copies have independent flags.
    await store.updateKeywords(acc.id, [copied!.id], { set: [] });
    assert.deepEqual((await store.getMessages(acc.id, [a.id]))[0]!.keywords, ["$flagged"]);
    const before = (await store.getMailbox(acc.id, boxes.inbox.id))!.highestModseq;
    const move = await store.moveMessages(acc.id, boxes.inbox.id, [1, 2], boxes.trash.id);
    assert.deepEqual(move.pairs.map((p) => [p.fromUid, p.toUid, p.messageId]), [[1, 1, a.id], [2, 2, b.id]]);
    assert.deepEqual(await store.listPlacements(acc.id, boxes.inbox.id), []);
    assert.deepEqual(await store.expungedSince(acc.id, boxes.inbox.id, before), [1, 2]);
    assert.deepEqual(await store.expungedSince(acc.id, boxes.inbox.id, move.modseq), []);
    const [moved] = await store.getMessages(acc.id, [a.id]);
    assert.deepEqual(moved!.mailboxIds, [boxes.trash.id]);
    const s = await store.setMailboxes(acc.id, a.id, [boxes.trash.id, boxes.inbox.id]);
    assert.deepEqual([...s.mailboxIds].sort(), [boxes.trash.id, boxes.inbox.id].sort());
    assert.deepEqual((await store.listPlacements(acc.id, boxes.inbox.id)).map((p) => p.uid), [3]);
    await rejectsWith(store.setMailboxes(acc.id, a.id, []), "invalid");
    await rejectsWith(store.setMailboxes(acc.id, a.id, ["m999999"]), "notFound");
  });

  test("expunge destroys messages left without a mailbox and records expungedSince", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const a = await deliver(store, acc.id, [boxes.inbox.id, boxes.archive.id], mail({}));
    const b = await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    const hm = (await store.getMailbox(acc.id, boxes.inbox.id))!.highestModseq;
    const r = await store.expunge(acc.id, boxes.inbox.id, [1, 2]);
    assert.deepEqual(r.uids, [1, 2]);
    assert.ok(r.modseq > hm);
    assert.deepEqual(await store.expungedSince(acc.id, boxes.inbox.id, hm), [1, 2]);
    assert.deepEqual(await store.expungedSince(acc.id, boxes.inbox.id, r.modseq), []);
    assert.deepEqual((await store.getMessages(acc.id, [a.id, b.id])).map((m) => m.id), [a.id]);
    const d = await store.destroyMessages(acc.id, [a.id, b.id]);
    assert.deepEqual(d, { destroyed: [a.id], notFound: [b.id] });
    assert.deepEqual(await store.getThreads(acc.id, [a.threadId]), []);
  });

  test("claimRecent claims each UID once, never lowers the claim and keeps it across a reopen", async (c) => {
    const { acc, boxes } = await setup(c.store);
    assert.equal(await c.store.claimRecent(acc.id, boxes.inbox.id), 0);
    // Two racing claims: exactly one sees 0 (and claims 1..3), the other sees the first's claim.
    const both = await Promise.all([
      c.store.claimRecent(acc.id, boxes.inbox.id, 3),
      c.store.claimRecent(acc.id, boxes.inbox.id, 3),
    ]);
    assert.deepEqual(both.sort(), [0, 3]);
    assert.equal(await c.store.claimRecent(acc.id, boxes.inbox.id, 2), 3);
    assert.equal(await c.store.claimRecent(acc.id, boxes.archive.id), 0);
    await c.store.close();
    c.store = await c.h.open({ notifier: c.notifier, clock: c.clock });
    assert.equal(await c.store.claimRecent(acc.id, boxes.inbox.id), 3);
    await rejectsWith(c.store.claimRecent(acc.id, "m999999", 1), "notFound");
  });

  test("claimAllRecent claims every UID given so far, once, and shares claims with claimRecent", async ({ store }) => {
    // Optional (stores with a shared group commit): PostgresStore has none.
    if (!store.claimAllRecent) return;
    const { acc, boxes } = await setup(store);
    assert.deepEqual(await store.claimAllRecent(acc.id, boxes.inbox.id), { before: 0, upTo: 0 });
    await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    // Two racing claims: exactly one gets UIDs 1..2, the other nothing.
    const both = await Promise.all([
      store.claimAllRecent(acc.id, boxes.inbox.id),
      store.claimAllRecent(acc.id, boxes.inbox.id),
    ]);
    const sorted = both.sort((x, y) => x.before - y.before);
    assert.deepEqual(sorted, [{ before: 0, upTo: 2 }, { before: 2, upTo: 2 }]);
    assert.equal(await store.claimRecent(acc.id, boxes.inbox.id), 2);
    // An expunged UID still counts as given: the next claim starts after it.
    await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    await store.expunge(acc.id, boxes.inbox.id, [3]);
    await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    assert.equal(await store.claimRecent(acc.id, boxes.inbox.id, 3), 2);
    assert.deepEqual(await store.claimAllRecent(acc.id, boxes.inbox.id), { before: 3, upTo: 4 });
    await rejectsWith(store.claimAllRecent(acc.id, "m999999"), "notFound");
  });

  test("an expunge hold keeps a destroyed message's blob readable until it lets go", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const small = mail({ subject: "held small" });
    // Above the default inline threshold, so both blob tiers are covered.
    const large = mail({ subject: "held large", body: "x".repeat(100_000) });
    const early = await deliver(store, acc.id, [boxes.inbox.id], mail({ subject: "before the hold" }));
    await store.expunge(acc.id, boxes.inbox.id, [1]);
    const a = await deliver(store, acc.id, [boxes.inbox.id], small);
    const b = await deliver(store, acc.id, [boxes.inbox.id, boxes.archive.id], large);
    const hold = store.holdExpunged(acc.id, boxes.inbox.id);
    const other = store.holdExpunged(acc.id, boxes.archive.id);
    assert.equal(hold.get(1), undefined, `${early.id} was destroyed before the hold`);
    await store.expunge(acc.id, boxes.inbox.id, [2, 3]);
    // b still lives in Archive, and is held too: sessions showing it in the Inbox show it as it was.
    assert.equal(hold.get(3)?.messageId, b.id);
    const held = hold.get(2)!;
    assert.equal(held.messageId, a.id);
    assert.equal(held.threadId, a.threadId);
    assert.deepEqual(held.keywords, []);
    assert.equal((await store.getMessages(acc.id, [a.id])).length, 0);
    assert.deepEqual(await store.blobs.get(held.blobId), small);
    await store.collectGarbage();
    assert.deepEqual(await store.blobs.get(held.blobId), small);
    // Destroying b from Archive is captured by the Archive hold only.
    await store.expunge(acc.id, boxes.archive.id, [1]);
    const heldB = other.get(1)!;
    assert.equal(heldB.messageId, b.id);
    assert.deepEqual(await store.blobs.get(heldB.blobId), large);
    hold.release([2, 3]);
    other.close();
    other.close();
    // The releases run as write jobs; a later write job runs after them.
    await store.collectGarbage();
    assert.equal(await store.blobs.has(held.blobId), false);
    assert.equal(await store.blobs.has(heldB.blobId), false);
    assert.equal(await countBlobs(store), 0);
    hold.close();
  });

  test("a message moved out of a held mailbox is held with the flags it had when it left", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const a = await deliver(store, acc.id, [boxes.inbox.id], mail({ subject: "moved away" }));
    const b = await deliver(
      store,
      acc.id,
      [boxes.inbox.id],
      mail({ subject: "in two mailboxes, then expunged from one" }),
    );
    const hold = store.holdExpunged(acc.id, boxes.inbox.id);
    await store.updateKeywords(acc.id, [a.id], { add: ["$seen", "kw"] });
    await store.moveMessages(acc.id, boxes.inbox.id, [1], boxes.archive.id);
    assert.deepEqual([...hold.get(1)!.keywords].sort(), ["$seen", "kw"]);
    assert.equal(hold.get(1)!.messageId, a.id);
    // In two mailboxes, expunged from one: held there with its flags of that moment.
    await store.setMailboxes(acc.id, b.id, [boxes.inbox.id, boxes.archive.id]);
    await store.updateKeywords(acc.id, [b.id], { add: ["$flagged"] });
    await store.expunge(acc.id, boxes.inbox.id, [2]);
    assert.equal(hold.get(2)!.messageId, b.id);
    assert.deepEqual(hold.get(2)!.keywords, ["$flagged"]);
    hold.close();
  });

  test("an expunge hold keeps nothing its owner's own expunge destroys; other holds still do", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const me = Symbol("session A");
    const rawA = mail({ subject: "own expunge, watched" });
    const a = await deliver(store, acc.id, [boxes.inbox.id], rawA);
    const b = await deliver(store, acc.id, [boxes.inbox.id], mail({ subject: "own expunge, alone" }));
    const [blobA, blobB] = (await store.getMessages(acc.id, [a.id, b.id])).map((m) => m.blobId);
    const mine = store.holdExpunged(acc.id, boxes.inbox.id, me);
    const theirs = store.holdExpunged(acc.id, boxes.inbox.id, Symbol("session B"));
    await store.expunge(acc.id, boxes.inbox.id, [1], { origin: me });
    assert.equal(mine.get(1), undefined);
    assert.equal(theirs.get(1)?.messageId, a.id);
    assert.deepEqual(await store.blobs.get(theirs.get(1)!.blobId), rawA);
    theirs.close();
    // Only the owner's hold is left: nothing pins the blob, which goes with the expunge's commit.
    await store.expunge(acc.id, boxes.inbox.id, [2], { origin: me });
    assert.equal(mine.get(2), undefined);
    assert.equal(await store.blobs.has(blobB!), false);
    // A write of no origin (JMAP, another process) is held by the owner's hold too.
    const c = await deliver(store, acc.id, [boxes.inbox.id], mail({ subject: "destroyed elsewhere" }));
    await store.expunge(acc.id, boxes.inbox.id, [3]);
    assert.equal(mine.get(3)?.messageId, c.id);
    mine.close();
    await store.collectGarbage();
    assert.equal(await store.blobs.has(blobA!), false);
    assert.equal(await countBlobs(store), 0);
  });

  test("threads join by references, in either arrival order, and by subject as a tiebreak", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const inbox = [boxes.inbox.id];
    const t0 = new Date("2025-06-01T00:00:00Z");
    const at = (min: number) => ({ receivedAt: new Date(t0.getTime() + min * 60_000) });
    const root = await deliver(store, acc.id, inbox, mail({ subject: "Plan", messageId: "root@x" }), at(0));
    const reply = await deliver(
      store,
      acc.id,
      inbox,
      mail({ subject: "Re: Plan", messageId: "r1@x", inReplyTo: "root@x", references: ["root@x"] }),
      at(2),
    );
    assert.equal(reply.threadId, root.threadId);
    // Child first, then its parent.
    const child = await deliver(
      store,
      acc.id,
      inbox,
      mail({ subject: "Re: Other", messageId: "c@x", inReplyTo: "p@x", references: ["p@x"] }),
      at(5),
    );
    const parent = await deliver(store, acc.id, inbox, mail({ subject: "Other", messageId: "p@x" }), at(4));
    assert.equal(parent.threadId, child.threadId);
    assert.notEqual(parent.threadId, root.threadId);
    const unrelated = await deliver(store, acc.id, inbox, mail({ subject: "Plan" }), at(6));
    assert.notEqual(unrelated.threadId, root.threadId);
    // References both threads: the one whose base subject matches wins.
    const both = await deliver(
      store,
      acc.id,
      inbox,
      mail({ subject: "Fwd: Re: Plan", messageId: "b@x", references: ["root@x", "p@x"] }),
      at(7),
    );
    assert.equal(both.threadId, root.threadId);
    const threads = await store.getThreads(acc.id, [root.threadId, parent.threadId, "t0"]);
    assert.deepEqual(threads, [
      { id: root.threadId, emailIds: [root.id, reply.id, both.id] },
      { id: parent.threadId, emailIds: [parent.id, child.id] },
    ]);
    const counts = await store.mailboxCounts(acc.id, boxes.inbox.id);
    assert.equal(counts.totalThreads, 3);
    assert.equal(counts.unreadThreads, 3);
  });

  test("queryMessages filters and sorts", async ({ store }) => {
    const { acc, boxes } = await setup(store);
    const day = (d: number) => new Date(Date.UTC(2025, 0, d));
    const m1 = await deliver(
      store,
      acc.id,
      [boxes.inbox.id],
      mail({
        from: "Zed <zed@example.net>",
        to: "bob@example.org",
        subject: "Quarterly report",
        body: "The numbers are attached. Banana.",
        headers: ["X-Priority: 1 (Highest)"],
        date: "Wed, 01 Jan 2025 09:00:00 +0000",
      }),
      { receivedAt: day(3), keywords: ["$seen"] },
    );
    const m2 = await deliver(
      store,
      acc.id,
      [boxes.inbox.id, boxes.archive.id],
      mail({ from: "amy@example.net", cc: "carol@example.com", subject: "Re: lunch", body: "Pizza?" }),
      { receivedAt: day(1), keywords: ["$flagged"] },
    );
    const m3 = await deliver(
      store,
      acc.id,
      [boxes.archive.id],
      mail({ from: "Bea <bea@example.net>", subject: "Lunch", body: "x".repeat(3000) }),
      { receivedAt: day(2) },
    );
    const q = (
      filter?: Parameters<Store["queryMessages"]>[1]["filter"],
      sort?: Parameters<Store["queryMessages"]>[1]["sort"],
    ) => store.queryMessages(acc.id, { filter, sort });
    const asc = [{ property: "receivedAt" as const, isAscending: true }];
    assert.deepEqual(await q(undefined, asc), [m2.id, m3.id, m1.id]);
    assert.deepEqual(await q(undefined, [{ property: "receivedAt", isAscending: false }]), [
      m1.id,
      m3.id,
      m2.id,
    ]);
    assert.deepEqual(await q({ inMailbox: boxes.inbox.id }, asc), [m2.id, m1.id]);
    assert.deepEqual(await q({ inMailboxOtherThan: [boxes.inbox.id] }, asc), [m2.id, m3.id]);
    // RFC 8621 §4.4.1: in at least one mailbox not in the list; with an empty list, in any mailbox.
    assert.deepEqual(await q({ inMailboxOtherThan: [] }, asc), [m2.id, m3.id, m1.id]);
    assert.deepEqual(await q({ before: day(2) }, asc), [m2.id]);
    assert.deepEqual(await q({ after: day(2) }, asc), [m3.id, m1.id]);
    assert.deepEqual(await q({ minSize: 2000 }, asc), [m3.id]);
    assert.deepEqual(await q({ maxSize: 2000 }, asc), [m2.id, m1.id]);
    assert.deepEqual(await q({ hasKeyword: "$seen" }, asc), [m1.id]);
    assert.deepEqual(await q({ notKeyword: "$seen" }, asc), [m2.id, m3.id]);
    assert.deepEqual(await q({ text: "banana" }, asc), [m1.id]);
    assert.deepEqual(await q({ text: "AMY@" }, asc), [m2.id]);
    assert.deepEqual(await q({ from: "zed" }, asc), [m1.id]);
    assert.deepEqual(await q({ to: "bob@example" }, asc), [m2.id, m3.id, m1.id]);
    assert.deepEqual(await q({ to: "nobody" }, asc), []);
    assert.deepEqual(await q({ cc: "carol" }, asc), [m2.id]);
    assert.deepEqual(await q({ subject: "lunch" }, asc), [m2.id, m3.id]);
    // Short needles (under a trigram) fall back to a substring scan: "Re" is in "Re: lunch" and "report".
    assert.deepEqual(await q({ subject: "Re" }, asc), [m2.id, m1.id]);
    assert.deepEqual(await q({ body: "pizza" }, asc), [m2.id]);
    assert.deepEqual(await q({ body: "numbers are" }, asc), [m1.id]);
    assert.deepEqual(await q({ header: ["X-Priority"] }, asc), [m1.id]);
    assert.deepEqual(await q({ header: ["x-priority", "highest"] }, asc), [m1.id]);
    assert.deepEqual(await q({ header: ["x-priority", "lowest"] }, asc), []);
    assert.deepEqual(await q({ operator: "OR", conditions: [{ from: "zed" }, { from: "bea" }] }, asc), [
      m3.id,
      m1.id,
    ]);
    assert.deepEqual(
      await q({ operator: "AND", conditions: [{ subject: "lunch" }, { inMailbox: boxes.inbox.id }] }, asc),
      [m2.id],
    );
    assert.deepEqual(await q({ operator: "NOT", conditions: [{ subject: "lunch" }] }, asc), [m1.id]);
    assert.deepEqual(await q({ hasAttachment: false }, asc), [m2.id, m3.id, m1.id]);
    assert.equal((await q(undefined, [{ property: "size", isAscending: false }]))[0], m3.id);
    assert.deepEqual(
      await q(undefined, [{ property: "subject", isAscending: true }, {
        property: "receivedAt",
        isAscending: true,
      }]),
      [
        m2.id,
        m3.id,
        m1.id,
      ],
    );
    assert.deepEqual(await q(undefined, [{ property: "from", isAscending: true }]), [m2.id, m3.id, m1.id]);
    assert.deepEqual(
      await q(undefined, [{ property: "hasKeyword", keyword: "$flagged", isAscending: false }, ...asc]),
      [m2.id, m3.id, m1.id],
    );
    assert.deepEqual(await q({ inMailbox: "m999999" }), []);
    // Threads: m2 ("Re: lunch") and m3 ("Lunch") are not linked by references, so each is its own.
    const reply = await deliver(
      store,
      acc.id,
      [boxes.inbox.id],
      mail({ subject: "Re: Quarterly report", references: [m1Id(await store.getMessages(acc.id, [m1.id]))] }),
      { receivedAt: day(4) },
    );
    assert.equal(reply.threadId, m1.threadId);
    const collapsed = await store.queryMessages(acc.id, {
      sort: [{ property: "receivedAt", isAscending: false }],
      collapseThreads: true,
    });
    assert.deepEqual(collapsed, [reply.id, m3.id, m2.id]);
    // position/limit window the result after thread collapsing.
    const desc = [{ property: "receivedAt" as const, isAscending: false }];
    assert.deepEqual(
      await store.queryMessages(acc.id, { sort: desc, collapseThreads: true, position: 1, limit: 1 }),
      [m3.id],
    );
    assert.deepEqual(
      await store.queryMessages(acc.id, { sort: desc, collapseThreads: true, position: 2 }),
      [m2.id],
    );
    const all = await store.queryMessages(acc.id, { filter: { inMailbox: boxes.inbox.id }, sort: desc });
    assert.equal(all.length, 3);
    assert.deepEqual(
      await store.queryMessages(acc.id, { filter: { inMailbox: boxes.inbox.id }, sort: desc, limit: 2 }),
      all.slice(0, 2),
    );
    assert.deepEqual(
      await store.queryMessages(acc.id, {
        filter: { inMailbox: boxes.inbox.id },
        sort: desc,
        position: 2,
        limit: 5,
      }),
      all.slice(2),
    );
    assert.deepEqual(await store.queryMessages(acc.id, { sort: desc, limit: 0 }), []);
    await assert.rejects(store.queryMessages(acc.id, { sort: desc, limit: -1 }), StoreError);
    assert.deepEqual(await q({ someInThreadHaveKeyword: "$seen" }, asc), [m1.id, reply.id]);
    assert.deepEqual(await q({ allInThreadHaveKeyword: "$seen" }, asc), []);
    assert.deepEqual(await q({ noneInThreadHaveKeyword: "$seen" }, asc), [m2.id, m3.id]);
  });

  test("notifier events are published after commit", async ({ store, notifier }) => {
    const { acc, boxes } = await setup(store);
    const events: ChangeEvent[] = [];
    const got = Promise.withResolvers<void>();
    const unsubscribe = notifier.subscribe(acc.id, (e) => {
      events.push(e);
      got.resolve();
    });
    const added = await deliver(store, acc.id, [boxes.inbox.id], mail({}));
    await got.promise;
    unsubscribe();
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.equal(e.accountId, acc.id);
    assert.ok(e.types.includes("Email") && e.types.includes("Mailbox") && e.types.includes("Thread"));
    assert.deepEqual(e.mailboxIds, [boxes.inbox.id]);
    assert.ok(e.modseq >= added.modseq);
    // The change is visible to a reader at the moment the event is seen.
    assert.equal((await store.getMessages(acc.id, [added.id])).length, 1);
  });

  test("concurrent writes share commits and fail independently", async ({ store }) => {
    await store.addDomain("example.org");
    const raw = mail({});
    const small = await store.createAccount({
      address: "s@example.org",
      quotaBytes: raw.length + 200,
      secrets: SECRETS,
    });
    const { acc, boxes } = await setup(store);
    const sInbox = (await store.getMailboxByRole(small.id, "inbox"))!;
    const blobs = await Promise.all(Array.from({ length: 20 }, () => store.blobs.put(mail({}))));
    const results = await Promise.allSettled([
      ...blobs.map((b) =>
        store.addMessages([{ accountId: acc.id, mailboxIds: [boxes.inbox.id], blobId: b.blobId }])
      ),
      store.addMessages([{ accountId: small.id, mailboxIds: [sInbox.id], blobId: blobs[0]!.blobId }]),
      store.addMessages([{ accountId: small.id, mailboxIds: [sInbox.id], blobId: blobs[1]!.blobId }]),
    ]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 21);
    const failed = results.filter((r) => r.status === "rejected");
    assert.equal(failed.length, 1);
    assert.equal(((failed[0] as PromiseRejectedResult).reason as StoreError).code, "overQuota");
    const uids = (await store.listPlacements(acc.id, boxes.inbox.id)).map((p) => p.uid);
    assert.deepEqual(uids, Array.from({ length: 20 }, (_, i) => i + 1));
  });

  test("reopening keeps everything", async (c) => {
    const { acc, boxes } = await setup(c.store);
    await c.store.addAlias("alias@example.org", ["bob@example.org"]);
    const a = await deliver(c.store, acc.id, [boxes.inbox.id], mail({ subject: "persist me" }), {
      keywords: ["$seen"],
    });
    const state = await c.store.state(acc.id, "Email");
    const box = (await c.store.getMailbox(acc.id, boxes.inbox.id))!;
    await c.store.close();
    c.store = await c.h.open({ notifier: c.notifier, clock: c.clock });
    assert.equal((await c.store.getAccountByAddress("bob@example.org"))?.id, acc.id);
    assert.deepEqual(await c.store.getSecrets(acc.id), SECRETS);
    assert.equal((await c.store.listAliases())[0]?.address, "alias@example.org");
    assert.deepEqual(await c.store.getMailbox(acc.id, boxes.inbox.id), box);
    const [m] = await c.store.getMessages(acc.id, [a.id]);
    assert.equal(m!.summary.subject, "persist me");
    assert.deepEqual(m!.keywords, ["$seen"]);
    assert.equal(await c.store.state(acc.id, "Email"), state);
    assert.deepEqual(await c.store.queryMessages(acc.id, { filter: { subject: "persist" } }), [a.id]);
  });

  test("UID and MODSEQ invariants hold under random operations", async (c) => {
    const { acc, boxes } = await setup(c.store);
    const mbs = [boxes.inbox.id, boxes.archive.id, boxes.trash.id];
    const op = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), mb: fc.nat(2), n: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant("flag" as const), mb: fc.nat(2), pick: fc.nat(), seen: fc.boolean() }),
      fc.record({ kind: fc.constant("expunge" as const), mb: fc.nat(2), pick: fc.nat() }),
      fc.record({ kind: fc.constant("copy" as const), mb: fc.nat(2), to: fc.nat(2), pick: fc.nat() }),
      fc.record({ kind: fc.constant("move" as const), mb: fc.nat(2), to: fc.nat(2), pick: fc.nat() }),
      fc.record({ kind: fc.constant("reopen" as const) }),
    );
    // Every (mailbox, uid) ever seen keeps its message while live and never comes back once gone.
    const history = new Map<string, Map<number, string>>(mbs.map((m) => [m, new Map()]));
    const gone = new Map<string, Set<number>>(mbs.map((m) => [m, new Set()]));
    const highest = async () =>
      Math.max(
        ...(await Promise.all(mbs.map(async (m) => (await c.store.getMailbox(acc.id, m))!.highestModseq))),
      );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
        let lastModseq = await highest();
        for (const o of ops) {
          const mb = o.kind === "reopen" ? mbs[0]! : mbs[o.mb]!;
          const placements = await c.store.listPlacements(acc.id, mb);
          const target = "pick" in o && placements.length
            ? placements[o.pick % placements.length]
            : undefined;
          let changed = target !== undefined;
          switch (o.kind) {
            case "add":
              changed = true;
              // A fresh put each time: once every message of a blob is gone, so is its file.
              await c.store.addMessages(
                await Promise.all(Array.from({ length: o.n }, async () => ({
                  accountId: acc.id,
                  mailboxIds: [mb],
                  blobId: (await c.store.blobs.put(mail({}))).blobId,
                }))),
              );
              break;
            case "flag":
              if (target) {
                changed = target.keywords.includes("$seen") !== o.seen;
                await c.store.updateKeywords(
                  acc.id,
                  [target.messageId],
                  o.seen ? { add: ["$seen"] } : { remove: ["$seen"] },
                );
              }
              break;
            case "expunge":
              if (target) await c.store.expunge(acc.id, mb, [target.uid]);
              break;
            case "copy":
              if (target) await c.store.copyMessages(acc.id, mb, [target.uid], mbs[o.to]!);
              break;
            case "move":
              if (target) await c.store.moveMessages(acc.id, mb, [target.uid], mbs[o.to]!);
              break;
            case "reopen":
              changed = false;
              await c.store.close();
              c.store = await c.h.open({ notifier: c.notifier, clock: c.clock });
              break;
          }
          const now = await highest();
          if (changed) assert.ok(now > lastModseq, `MODSEQ must grow after ${o.kind}`);
          else assert.ok(now >= lastModseq, `MODSEQ must not go back after ${o.kind}`);
          lastModseq = now;
          for (const m of mbs) {
            const box = (await c.store.getMailbox(acc.id, m))!;
            const list = await c.store.listPlacements(acc.id, m);
            const seen = history.get(m)!;
            const dead = gone.get(m)!;
            const prevMax = Math.max(0, ...seen.keys());
            for (let i = 0; i < list.length; i++) {
              const p = list[i]!;
              if (i > 0) assert.ok(p.uid > list[i - 1]!.uid, "UIDs ascend");
              assert.ok(p.uid < box.uidNext, "UIDs below UIDNEXT");
              assert.ok(!dead.has(p.uid), `UID ${p.uid} reused`);
              const before = seen.get(p.uid);
              if (before === undefined) assert.ok(p.uid > prevMax, "new UIDs above all earlier ones");
              else assert.equal(before, p.messageId, "a UID keeps its message");
              seen.set(p.uid, p.messageId);
              assert.ok(p.modseq <= box.highestModseq, "HIGHESTMODSEQ covers placements");
            }
            const live = new Set(list.map((p) => p.uid));
            for (const uid of seen.keys()) if (!live.has(uid)) dead.add(uid);
            // Counters agree with the placements.
            const counts = await c.store.mailboxCounts(acc.id, m);
            const msgs = await c.store.getMessages(acc.id, list.map((p) => p.messageId));
            const unseen = msgs.filter((x) => !x.keywords.includes("$seen"));
            assert.deepEqual(counts, {
              total: list.length,
              unread: list.filter((p) => !p.keywords.includes("$seen")).length,
              deleted: 0,
              size: list.reduce((sum, p) => sum + p.size, 0),
              totalThreads: new Set(msgs.map((x) => x.threadId)).size,
              unreadThreads: new Set(unseen.map((x) => x.threadId)).size,
            });
            const expunged = await c.store.expungedSince(acc.id, m, 0);
            assert.deepEqual(
              expunged,
              [...dead].sort((a, b) => a - b),
              "expungedSince(0) lists every gone UID",
            );
          }
        }
      }),
      { numRuns: 15 },
    );
  });
}

function m1Id(messages: { summary: { messageId: string[] } }[]): string {
  return messages[0]!.summary.messageId[0]!;
}
