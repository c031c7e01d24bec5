/**
 * The contract of `RecordStores` (core/store/records/): the queue, JMAP records, bans, DKIM keys
 * and POP3 sizes every backend keeps beside mail, plus blob pinning and change-log pruning.
 * `storeContract` registers these for each backend, so a new backend passes them too.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Store } from "../../core/store/store.ts";
import type { MemoryNotifier } from "../../core/store/notifier.ts";
import type { Clock } from "../../core/clock.ts";
import type { StoreHarness } from "./store_contract.ts";
import type { QueuedMessage } from "../../core/store/records/queue.ts";
import { tenancyRecordsContract } from "./tenancy_contract.ts";
import { webhookRecordsContract } from "./webhooks_contract.ts";
import { opsRecordsContract } from "./ops_contract.ts";
import { sieveRecordsContract } from "./sieve_contract.ts";
import { dmarcRecordsContract } from "./dmarc_contract.ts";
import { tlsRptRecordsContract } from "./tlsrpt_contract.ts";
import { junkRecordsContract } from "./junk_contract.ts";

const SECRETS = { passwordHash: "scrypt$16384$8$1$c2FsdA==$aGFzaA==" };
const enc = new TextEncoder();

/** What each test gets: the store, its harness (to reopen) and the clock it was opened with. */
export interface RecordCtx {
  h: StoreHarness;
  store: Store;
  notifier: MemoryNotifier;
  clock: Clock & { t: number };
}

async function account(store: Store, address = "bob@example.org") {
  const domain = address.split("@")[1]!;
  if (!(await store.isLocalDomain(domain))) await store.addDomain(domain);
  return await store.createAccount({ address, displayName: "Bob", secrets: SECRETS });
}

async function reopen(c: RecordCtx): Promise<void> {
  await c.store.close();
  c.store = await c.h.open({ notifier: c.notifier, clock: c.clock });
}

function queued(id: string, blobId: string, now: Date, extra: Partial<QueuedMessage> = {}): QueuedMessage {
  return {
    id,
    from: "bob@example.org",
    envid: null,
    ret: null,
    smtputf8: false,
    body: "8BITMIME",
    blobId,
    size: 10,
    authUser: "bob@example.org",
    createdAt: now,
    expiresAt: new Date(now.getTime() + 86_400_000),
    isDsn: false,
    origin: null,
    ...extra,
  };
}

/** Registers the record-store tests through the suite's `test` (fresh store per test). */
export function recordStoresContract(
  test: (title: string, fn: (c: RecordCtx) => Promise<void>) => void,
): void {
  // Organizations, plans and usage (issue 16): tests/store/tenancy_contract.ts.
  tenancyRecordsContract(test);
  // Webhooks, their outbox and notification bookkeeping (issue 19): tests/store/webhooks_contract.ts.
  webhookRecordsContract(test, reopen);
  // Health-check history and daily counters (issue 17): tests/store/ops_contract.ts.
  opsRecordsContract(test, reopen);
  // Sieve scripts and their trackers (issue 20): tests/store/sieve_contract.ts.
  sieveRecordsContract(test, reopen);
  // DMARC results and received reports (issue 18): tests/store/dmarc_contract.ts.
  dmarcRecordsContract(test, reopen);
  // TLS-RPT counts and the queue's REQUIRETLS flag (issue 18): tests/store/tlsrpt_contract.ts.
  tlsRptRecordsContract(test, reopen);
  // The junk filter's token counts (issue 18, core/spam): tests/store/junk_contract.ts.
  junkRecordsContract(test, reopen);

  test("identities: the default identity is created on first listing and cannot be deleted by the client", async (c) => {
    const acc = await account(c.store);
    const [def, ...rest] = await c.store.identities.list(acc.id, {
      address: acc.address,
      displayName: "Bob",
    });
    assert.deepEqual(rest, []);
    assert.equal(def!.email, "bob@example.org");
    assert.equal(def!.name, "Bob");
    assert.equal(def!.mayDelete, false);
    const made = await c.store.identities.create(acc.id, {
      email: "team@example.org",
      name: "Team",
      replyTo: [{ name: null, email: "r@example.org" }],
    });
    assert.equal(made.mayDelete, true);
    assert.deepEqual((await c.store.identities.get(acc.id, made.id))?.replyTo, [{
      name: null,
      email: "r@example.org",
    }]);
    const updated = await c.store.identities.update(acc.id, made.id, { textSignature: "-- T" });
    assert.equal(updated?.textSignature, "-- T");
    assert.equal(updated?.email, "team@example.org");
    assert.equal(await c.store.identities.update(acc.id, "nope", { name: "x" }), null);
    assert.equal(await c.store.identities.get("other-account", made.id), null);
    await reopen(c);
    const ids = (await c.store.identities.list(acc.id, { address: acc.address, displayName: "Bob" })).map((
      i,
    ) => i.id);
    assert.deepEqual(ids, [def!.id, made.id]);
    assert.equal(await c.store.identities.delete(acc.id, made.id), true);
    assert.equal(await c.store.identities.delete(acc.id, made.id), false);
  });

  test("submissions: stored, listed by sendAt, statuses merged and records deleted", async (c) => {
    const acc = await account(c.store);
    const base = {
      identityId: "i1",
      emailId: "e1",
      threadId: "t1",
      envelope: { mailFrom: { email: "bob@example.org", parameters: null }, rcptTo: [] },
      undoStatus: "pending" as const,
      deliveryStatus: {
        "a@remote.example": {
          smtpReply: "250 queued",
          delivered: "queued" as const,
          displayed: "unknown" as const,
        },
      },
      dsnBlobIds: [],
      mdnBlobIds: [],
    };
    const later = await c.store.submissions.insert(acc.id, { ...base, sendAt: new Date(2000) }, "s-later");
    const first = await c.store.submissions.insert(acc.id, { ...base, sendAt: new Date(1000) });
    assert.equal(later.id, "s-later");
    assert.deepEqual((await c.store.submissions.list(acc.id)).map((s) => s.id), [first.id, "s-later"]);
    await c.store.submissions.setQueueId(acc.id, "s-later", "q1");
    const merged = await c.store.submissions.updateStatus(acc.id, "s-later", {
      "b@remote.example": { smtpReply: "250 ok", delivered: "yes", displayed: "unknown" },
    }, "final");
    assert.equal(merged?.undoStatus, "final");
    assert.deepEqual(Object.keys(merged?.deliveryStatus ?? {}).sort(), [
      "a@remote.example",
      "b@remote.example",
    ]);
    await reopen(c);
    const got = await c.store.submissions.get(acc.id, "s-later");
    assert.equal(got?.queueId, "q1");
    assert.equal(got?.undoStatus, "final");
    assert.equal(got?.deliveryStatus?.["b@remote.example"]?.delivered, "yes");
    assert.deepEqual(got?.sendAt, new Date(2000));
    assert.equal(await c.store.submissions.updateStatus(acc.id, "nope", {}), null);
    assert.equal(await c.store.submissions.get("other-account", "s-later"), null);
    assert.equal(await c.store.submissions.delete(acc.id, "s-later"), true);
    assert.equal(await c.store.submissions.delete(acc.id, "s-later"), false);
  });

  test("vacations: disabled by default, state moves on each set, one reply per sender per period", async (c) => {
    const acc = await account(c.store);
    const empty = await c.store.vacations.get(acc.id);
    assert.equal(empty.value.isEnabled, false);
    assert.equal(empty.state, "0");
    const v = {
      id: "singleton" as const,
      isEnabled: true,
      fromDate: new Date(1_000),
      toDate: null,
      subject: "Away",
      textBody: "Back soon",
      htmlBody: null,
    };
    assert.equal(await c.store.vacations.set(acc.id, v), "1");
    const day = 86_400_000;
    const now = new Date(10 * day);
    assert.equal(await c.store.vacations.claimReply(acc.id, "Ann@Remote.example", now, 7 * day), true);
    assert.equal(await c.store.vacations.claimReply(acc.id, "ann@remote.example", now, 7 * day), false);
    await reopen(c);
    assert.deepEqual((await c.store.vacations.get(acc.id)).value, v);
    assert.equal(
      await c.store.vacations.claimReply(acc.id, "ann@remote.example", new Date(12 * day), 7 * day),
      false,
    );
    assert.equal(
      await c.store.vacations.claimReply(acc.id, "ann@remote.example", new Date(18 * day), 7 * day),
      true,
    );
    // A changed response may be sent again to everyone.
    assert.equal(await c.store.vacations.set(acc.id, { ...v, subject: "Still away" }), "2");
    assert.equal(
      await c.store.vacations.claimReply(acc.id, "ann@remote.example", new Date(18 * day), 7 * day),
      true,
    );
  });

  test("uploads: recorded per account, a re-upload refreshes type and time", async (c) => {
    const acc = await account(c.store);
    const { blobId, size } = await c.store.blobs.put(enc.encode("upload"));
    await c.store.uploads.record(acc.id, blobId, "text/plain", size, new Date(1000));
    await c.store.uploads.record(acc.id, blobId, "application/octet-stream", size, new Date(2000));
    await reopen(c);
    assert.deepEqual(await c.store.uploads.get(acc.id, blobId), {
      accountId: acc.id,
      blobId,
      type: "application/octet-stream",
      size,
      created: new Date(2000),
    });
    assert.equal(await c.store.uploads.get("other-account", blobId), null);
  });

  test("tokens: found by hash, touched, listed per account and revoked", async (c) => {
    const bob = await account(c.store);
    const ann = await account(c.store, "ann@example.org");
    await c.store.tokens.insert({ id: "t1", accountId: bob.id, name: "cli", created: new Date(1000) }, "h1");
    await c.store.tokens.insert({ id: "t2", accountId: ann.id, name: "app", created: new Date(2000) }, "h2");
    await c.store.tokens.touch("t1", new Date(5000));
    await reopen(c);
    assert.deepEqual(await c.store.tokens.findByHash("h1"), {
      hash: "h1",
      info: {
        id: "t1",
        accountId: bob.id,
        name: "cli",
        scope: "account",
        created: new Date(1000),
        lastUsed: new Date(5000),
      },
    });
    await c.store.tokens.insert(
      { id: "t3", accountId: bob.id, name: "ro", scope: "read-only", created: new Date(3000) },
      "h3",
    );
    assert.equal((await c.store.tokens.findByHash("h3"))?.info.scope, "read-only");
    assert.equal(await c.store.tokens.findByHash("nope"), null);
    assert.deepEqual((await c.store.tokens.list()).map((t) => t.id), ["t1", "t2", "t3"]);
    assert.deepEqual((await c.store.tokens.list(ann.id)).map((t) => t.id), ["t2"]);
    assert.equal(await c.store.tokens.revoke("t1"), true);
    assert.equal(await c.store.tokens.revoke("t1"), false);
    assert.equal(await c.store.tokens.findByHash("h1"), null);
  });

  test("api sessions: created with a refresh token, rotated once only, listed by selector and revoked", async (c) => {
    const bob = await account(c.store);
    const ann = await account(c.store, "ann@example.org");
    const t = (s: number) => new Date(s * 1000);
    const session = (id: string, accountId: string, orgId: string, created: number) => ({
      id,
      accountId,
      orgId,
      fingerprint: "fp",
      userAgent: "ua",
      ip: "192.0.2.1",
      created: t(created),
      lastSeen: t(created),
      expiresAt: t(created + 1000),
      revokedAt: null,
      revokeReason: null,
    });
    await c.store.apiSessions.create(session("s1", bob.id, "default", 10), {
      hash: "r1",
      created: t(10),
      expiresAt: t(500),
    });
    await c.store.apiSessions.create(session("s2", ann.id, "acme", 20), {
      hash: "r2",
      created: t(20),
      expiresAt: t(500),
    });
    await reopen(c);
    const found = await c.store.apiSessions.findToken("r1");
    assert.equal(found?.session.id, "s1");
    assert.equal(found?.token.rotatedAt, null);
    assert.equal(await c.store.apiSessions.findToken("nope"), null);
    // Rotation marks the old token, stores the next and records activity; a second rotation of the
    // same token is refused (that is a reuse).
    assert.equal(
      await c.store.apiSessions.rotate(
        "r1",
        { hash: "r1b", created: t(30), expiresAt: t(600) },
        t(30),
        "198.51.100.7",
      ),
      true,
    );
    assert.equal(
      await c.store.apiSessions.rotate("r1", { hash: "r1c", created: t(31), expiresAt: t(600) }, t(31), "x"),
      false,
    );
    assert.equal(await c.store.apiSessions.findToken("r1c"), null);
    assert.deepEqual((await c.store.apiSessions.findToken("r1"))?.token.rotatedAt, t(30));
    const s1 = await c.store.apiSessions.get("s1");
    assert.deepEqual([s1?.lastSeen, s1?.ip], [t(30), "198.51.100.7"]);
    assert.equal((await c.store.apiSessions.findToken("r1b"))?.session.id, "s1");
    assert.deepEqual((await c.store.apiSessions.list({ all: true })).map((s) => s.id), ["s2", "s1"]);
    assert.deepEqual((await c.store.apiSessions.list({ orgId: "acme" })).map((s) => s.id), ["s2"]);
    assert.deepEqual((await c.store.apiSessions.list({ accountId: bob.id }, t(2000))).map((s) => s.id), []);
    assert.equal(await c.store.apiSessions.revoke({ accountId: bob.id }, t(40), "logout"), 1);
    assert.equal(await c.store.apiSessions.revoke({ accountId: bob.id }, t(41), "again"), 0);
    assert.deepEqual([
      (await c.store.apiSessions.get("s1"))?.revokedAt,
      (await c.store.apiSessions.get("s1"))?.revokeReason,
    ], [t(40), "logout"]);
    assert.deepEqual((await c.store.apiSessions.list({ all: true }, t(50))).map((s) => s.id), ["s2"]);
    assert.equal(await c.store.apiSessions.revoke({ all: true }, t(60), "emergency"), 1);
    assert.equal(await c.store.apiSessions.get("nope"), null);
  });

  test("audit: entries appended and listed newest first, filtered by organization, kind and action prefix, paged by id", async (c) => {
    const e = (id: string, orgId: string | null, kind: "change" | "security", action: string) => ({
      id,
      at: new Date(Number(id.slice(0, 13))),
      kind,
      action,
      actor: "root@example.org",
      actorOrgId: "default",
      orgId,
      target: "bob@example.org",
      before: kind === "change" ? { displayName: "B" } : null,
      after: { displayName: "Bob", n: 1 },
      ip: "192.0.2.1",
      requestId: "req-1",
    });
    await c.store.audit.append(e("0000000001000-a", "default", "change", "account.update"));
    await c.store.audit.append(e("0000000002000-b", "acme", "security", "auth.login.success"));
    await c.store.audit.append(e("0000000003000-c", "default", "security", "session.refresh_reuse"));
    await reopen(c);
    const all = await c.store.audit.list({ limit: 10 });
    assert.deepEqual(all.map((x) => x.id), ["0000000003000-c", "0000000002000-b", "0000000001000-a"]);
    assert.deepEqual(all[2], e("0000000001000-a", "default", "change", "account.update"));
    assert.deepEqual((await c.store.audit.list({ orgId: "default", limit: 10 })).map((x) => x.id), [
      "0000000003000-c",
      "0000000001000-a",
    ]);
    assert.deepEqual((await c.store.audit.list({ kind: "security", limit: 10 })).map((x) => x.id), [
      "0000000003000-c",
      "0000000002000-b",
    ]);
    assert.deepEqual((await c.store.audit.list({ actionPrefix: "session.", limit: 10 })).map((x) => x.id), [
      "0000000003000-c",
    ]);
    assert.deepEqual((await c.store.audit.list({ limit: 1, beforeId: "0000000003000-c" })).map((x) => x.id), [
      "0000000002000-b",
    ]);
  });

  test("bans: active ones listed, a later end wins, cleared one by one or all", async (c) => {
    const t = (s: number) => new Date(s * 1000);
    await c.store.bans.put({ address: "192.0.2.7", until: t(600), reason: "auth", created: t(0) });
    await c.store.bans.put({ address: "192.0.2.7", until: t(300), reason: "auth again", created: t(10) });
    await c.store.bans.put({ address: "2001:db8::/64", until: t(100), reason: "auth", created: t(20) });
    await reopen(c);
    assert.deepEqual((await c.store.bans.get("192.0.2.7", t(30)))?.until, t(600));
    assert.deepEqual((await c.store.bans.list(t(30))).map((b) => b.address), ["192.0.2.7", "2001:db8::/64"]);
    assert.deepEqual((await c.store.bans.list(t(200))).map((b) => b.address), ["192.0.2.7"]);
    assert.equal(await c.store.bans.get("2001:db8::/64", t(200)), null);
    assert.equal(await c.store.bans.clear("192.0.2.7"), true);
    assert.equal(await c.store.bans.clear("192.0.2.7"), false);
    await c.store.bans.put({ address: "198.51.100.1", until: t(900), reason: "auth", created: t(40) });
    assert.equal(await c.store.bans.clear(), true);
    assert.deepEqual(await c.store.bans.list(t(40)), []);
  });

  test("dkimKeys: one key per domain and algorithm, case-insensitive, replaced by a new one", async (c) => {
    const key = {
      domain: "Example.ORG",
      selector: "s1",
      algorithm: "ed25519-sha256" as const,
      privateKeyPem: "PEM1",
      publicKeyB64: "P1",
    };
    await c.store.dkimKeys.put(key, new Date(1000));
    await c.store.dkimKeys.put({ ...key, selector: "s2", privateKeyPem: "PEM2" }, new Date(2000));
    await reopen(c);
    assert.deepEqual(await c.store.dkimKeys.get("example.org"), {
      domain: "example.org",
      selector: "s2",
      algorithm: "ed25519-sha256",
      privateKeyPem: "PEM2",
      publicKeyB64: "P1",
      created: new Date(2000),
    });
    assert.equal(await c.store.dkimKeys.get("other.example"), null);
    assert.deepEqual(await c.store.dkimKeys.list("other.example"), []);
  });

  test("dkimKeys: an RSA and an Ed25519 key side by side, each replaced only by its own algorithm", async (c) => {
    const ed = {
      domain: "example.org",
      selector: "ed",
      algorithm: "ed25519-sha256" as const,
      privateKeyPem: "PEM-ED",
      publicKeyB64: "PED",
    };
    const rsa = { ...ed, selector: "rsa", algorithm: "rsa-sha256" as const, privateKeyPem: "PEM-RSA" };
    await c.store.dkimKeys.put(ed, new Date(1000));
    await c.store.dkimKeys.put(rsa, new Date(2000));
    await c.store.dkimKeys.put({ ...rsa, selector: "rsa2" }, new Date(3000));
    await reopen(c);
    const keys = await c.store.dkimKeys.list("EXAMPLE.org");
    assert.deepEqual(keys.map((k) => [k.algorithm, k.selector]), [["rsa-sha256", "rsa2"], [
      "ed25519-sha256",
      "ed",
    ]]);
    assert.equal((await c.store.dkimKeys.get("example.org"))?.selector, "rsa2");
  });

  test("pop3Sizes: kept per blob, skipped for unknown blobs, gone with the blob", async (c) => {
    const acc = await account(c.store);
    const inbox = (await c.store.getMailboxByRole(acc.id, "inbox"))!;
    const { blobId } = await c.store.blobs.put(enc.encode("Subject: x\n\nbody\n"));
    const [added] = await c.store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId }]);
    await c.store.pop3Sizes.put(new Map([[blobId, 21], ["f".repeat(64), 5]]));
    await reopen(c);
    assert.deepEqual(await c.store.pop3Sizes.get([blobId, "f".repeat(64)]), new Map([[blobId, 21]]));
    await c.store.expunge(acc.id, inbox.id, [added!.uids[0]!.uid]);
    await c.store.collectGarbage();
    assert.deepEqual(await c.store.pop3Sizes.get([blobId]), new Map());
  });

  test("subscriptions: names without a mailbox per account, sorted, idempotent, kept across a reopen", async (c) => {
    const a = await account(c.store);
    await c.store.subscriptions.add(a.id, "Projects/Old");
    await c.store.subscriptions.add(a.id, "Archive 2019");
    await c.store.subscriptions.add(a.id, "Archive 2019");
    await reopen(c);
    assert.deepEqual(await c.store.subscriptions.list(a.id), ["Archive 2019", "Projects/Old"]);
    assert.deepEqual(await c.store.subscriptions.list("no-such-account"), []);
    await c.store.subscriptions.remove(a.id, "Archive 2019");
    await c.store.subscriptions.remove(a.id, "never added");
    assert.deepEqual(await c.store.subscriptions.list(a.id), ["Projects/Old"]);
  });

  test("mailboxAcl: grants per mailbox and grantee, replaced, removed by empty rights or with the mailbox, kept across a reopen", async (c) => {
    const a = await account(c.store);
    const b = await account(c.store, "carol@example.org");
    await c.store.mailboxAcl.set(a.id, "m1", b.id, "lr");
    await c.store.mailboxAcl.set(a.id, "m1", "anyone", "l");
    await c.store.mailboxAcl.set(a.id, "m2", b.id, "lrs");
    await c.store.mailboxAcl.set(a.id, "m1", b.id, "lrsw");
    await reopen(c);
    assert.deepEqual(
      await c.store.mailboxAcl.list(a.id, "m1"),
      [
        { ownerId: a.id, mailboxId: "m1", grantee: "anyone", rights: "l" },
        { ownerId: a.id, mailboxId: "m1", grantee: b.id, rights: "lrsw" },
      ].sort((x, y) => x.grantee < y.grantee ? -1 : 1),
    );
    assert.deepEqual((await c.store.mailboxAcl.listForGrantee(b.id)).map((g) => [g.mailboxId, g.rights]), [
      ["m1", "lrsw"],
      ["m2", "lrs"],
    ]);
    assert.equal((await c.store.mailboxAcl.listForOwner(a.id)).length, 3);
    await c.store.mailboxAcl.set(a.id, "m2", b.id, "");
    await c.store.mailboxAcl.removeMailbox(a.id, "m1");
    assert.deepEqual(await c.store.mailboxAcl.listForGrantee(b.id), []);
    assert.deepEqual(await c.store.mailboxAcl.listForOwner(a.id), []);
  });

  test("shareNotifications: recorded per user, destroyed by id with a tombstone, changes since a state, kept across a reopen", async (c) => {
    const a = await account(c.store);
    const b = await account(c.store, "carol@example.org");
    const note = (accountId: string, objectId: string, oldRights: string, newRights: string) => ({
      accountId,
      created: new Date(c.clock.t),
      changedBy: { name: "Alice", email: "alice@example.org", principalId: "a9" },
      objectType: "Mailbox",
      objectAccountId: "a9",
      objectId,
      oldRights,
      newRights,
      name: "Projects",
    });
    assert.equal(await c.store.shareNotifications.state(a.id), "0");
    const first = await c.store.shareNotifications.add(note(a.id, "m1", "", "lr"));
    const s1 = await c.store.shareNotifications.state(a.id);
    const second = await c.store.shareNotifications.add(note(a.id, "m2", "lr", "lrs"));
    await c.store.shareNotifications.add(note(b.id, "m1", "", "l"));
    await reopen(c);
    assert.deepEqual(await c.store.shareNotifications.list(a.id), [
      { ...note(a.id, "m1", "", "lr"), id: first.id },
      { ...note(a.id, "m2", "lr", "lrs"), id: second.id },
    ]);
    assert.notEqual(first.id, second.id);
    // Another user's notification is not a's to destroy.
    const other = (await c.store.shareNotifications.list(b.id))[0]!;
    assert.deepEqual(await c.store.shareNotifications.destroy(a.id, [other.id, "nope", first.id]), [
      first.id,
    ]);
    assert.deepEqual(await c.store.shareNotifications.destroy(a.id, [first.id]), []);
    assert.deepEqual((await c.store.shareNotifications.list(a.id)).map((n) => n.id), [second.id]);
    assert.equal((await c.store.shareNotifications.list(b.id)).length, 1);
    const now = await c.store.shareNotifications.state(a.id);
    assert.notEqual(now, s1);
    assert.deepEqual(await c.store.shareNotifications.changes(a.id, s1), {
      newState: now,
      created: [second.id],
      destroyed: [first.id],
    });
    // Created and destroyed since "0": not reported at all (RFC 8620 §5.2).
    assert.deepEqual(await c.store.shareNotifications.changes(a.id, "0"), {
      newState: now,
      created: [second.id],
      destroyed: [],
    });
    assert.deepEqual(await c.store.shareNotifications.changes(a.id, now), {
      newState: now,
      created: [],
      destroyed: [],
    });
    await assert.rejects(c.store.shareNotifications.changes(a.id, "x"));
    await assert.rejects(c.store.shareNotifications.changes(a.id, String(Number(now) + 1)));
    // The tombstone still tells the store the user was told of m1.
    assert.deepEqual([...await c.store.shareNotifications.objectsNotified(a.id, "a9")].sort(), ["m1", "m2"]);
    assert.deepEqual([...await c.store.shareNotifications.objectsNotified(a.id, "other")], []);
  });

  test("metadata: shared entries for all, private ones per user, set/replace/remove together, per mailbox, kept across a reopen", async (c) => {
    const a = await account(c.store);
    const b = await account(c.store, "carol@example.org");
    const v = (t: string) => enc.encode(t);
    await c.store.metadata.apply(a.id, "m1", a.id, [
      { name: "/shared/comment", value: v("shared") },
      { name: "/private/comment", value: v("mine") },
      { name: "/private/vendor/x", value: new Uint8Array([0, 255]) },
    ]);
    await c.store.metadata.apply(a.id, "m1", b.id, [{ name: "/private/comment", value: v("carol's") }]);
    await c.store.metadata.apply(a.id, "", a.id, [{ name: "/private/comment", value: v("server") }]);
    await reopen(c);
    const names = async (mb: string, user: string) =>
      (await c.store.metadata.list(a.id, mb, user)).map((e) => [e.name, new TextDecoder().decode(e.value)]);
    assert.deepEqual(await names("m1", a.id), [
      ["/private/comment", "mine"],
      ["/private/vendor/x", "\0\ufffd"],
      ["/shared/comment", "shared"],
    ]);
    assert.deepEqual(await names("m1", b.id), [["/private/comment", "carol's"], [
      "/shared/comment",
      "shared",
    ]]);
    assert.deepEqual(await names("", a.id), [["/private/comment", "server"]]);
    assert.deepEqual((await c.store.metadata.list(a.id, "m1", a.id))[1]!.value, new Uint8Array([0, 255]));
    assert.equal(await c.store.metadata.count(a.id), 5);
    await c.store.metadata.apply(a.id, "m1", a.id, [
      { name: "/shared/comment", value: v("again") },
      { name: "/private/vendor/x", value: null },
      { name: "/private/never", value: null },
    ]);
    assert.deepEqual(await names("m1", a.id), [["/private/comment", "mine"], ["/shared/comment", "again"]]);
    await c.store.metadata.removeMailbox(a.id, "m1");
    assert.deepEqual(await names("m1", b.id), []);
    assert.equal(await c.store.metadata.count(a.id), 1);
  });

  test("pushSubscriptions: per account, patch keeps the rest, expired ones removed, kept across a reopen", async (c) => {
    const a = await account(c.store);
    const b = await account(c.store, "carol@example.org");
    const keys = { p256dh: "BPk", auth: "YXV0aA" };
    const base = {
      accountId: a.id,
      deviceClientId: "phone",
      url: "https://push.example/1",
      keys,
      expectedCode: "code-1",
      verificationCode: null,
      expires: new Date(5000),
      types: ["Email", "Mailbox"],
      created: new Date(1000),
    };
    await c.store.pushSubscriptions.create({ ...base, id: "p1" });
    await c.store.pushSubscriptions.create({
      ...base,
      id: "p2",
      keys: null,
      expires: null,
      types: null,
      created: new Date(2000),
    });
    await c.store.pushSubscriptions.create({ ...base, id: "p3", accountId: b.id });
    await reopen(c);
    assert.deepEqual((await c.store.pushSubscriptions.list(a.id)).map((s) => s.id), ["p1", "p2"]);
    assert.deepEqual((await c.store.pushSubscriptions.list(a.id))[0], { ...base, id: "p1" });
    assert.deepEqual(await c.store.pushSubscriptions.accounts(), [a.id, b.id].sort());
    assert.equal(await c.store.pushSubscriptions.count(a.id), 2);
    const updated = await c.store.pushSubscriptions.update(a.id, "p1", { verificationCode: "code-1" });
    assert.deepEqual(updated, { ...base, id: "p1", verificationCode: "code-1" });
    assert.equal(await c.store.pushSubscriptions.update(b.id, "p1", { types: null }), null);
    assert.equal(await c.store.pushSubscriptions.delete(b.id, "p1"), false);
    assert.equal(await c.store.pushSubscriptions.deleteExpired(new Date(5000)), 2);
    assert.deepEqual((await c.store.pushSubscriptions.list(a.id)).map((s) => s.id), ["p2"]);
    assert.equal(await c.store.pushSubscriptions.delete(a.id, "p2"), true);
    assert.deepEqual(await c.store.pushSubscriptions.list(a.id), []);
  });

  test("queue: entries with recipients and attempts, due groups, outcomes, retry and delete", async (c) => {
    const now = new Date(Date.UTC(2025, 0, 1));
    await c.store.queue.insert(queued("m1", "b".repeat(64), now), [
      { address: "a@one.example", notify: ["FAILURE"] },
      { address: "b@TWO.example", orcpt: "rfc822;b@two.example" },
    ], now);
    await c.store.queue.insert(
      queued("m2", "c".repeat(64), new Date(now.getTime() + 1)),
      [{ address: "c@one.example" }],
      now,
    );
    await reopen(c);
    const q = c.store.queue;
    assert.deepEqual((await q.recipients("m1")).map((r) => [r.index, r.domain, r.status, r.notify]), [
      [0, "one.example", "queued", ["FAILURE"]],
      [1, "two.example", "queued", []],
    ]);
    assert.deepEqual(
      (await q.dueGroups(now, 10)).map((g) => `${g.messageId}/${g.domain}`).sort(),
      ["m1/one.example", "m1/two.example", "m2/one.example"],
    );
    assert.deepEqual(await q.nextDue(), now);
    const later = new Date(now.getTime() + 60_000);
    const attempt = {
      messageId: "m1",
      recipients: [0, 1],
      at: now,
      host: "mx.one.example",
      outcome: "deferred" as const,
      reply: "451 later",
      latencyMs: 12,
    };
    const removed = await q.record(
      "m1",
      [
        { index: 0, status: "delivered", reply: "250 ok", host: "mx.one.example", attempted: true },
        {
          index: 1,
          status: "deferred",
          nextAttemptAt: later,
          reply: "451 later",
          host: null,
          attempted: true,
        },
      ],
      [attempt],
      now,
      { removeIfFinished: true },
    );
    assert.equal(removed, null, "a pending recipient keeps the message");
    assert.deepEqual((await q.dueGroups(now, 10)).map((g) => g.messageId), ["m2"]);
    assert.equal(await q.retryNow("m1", now), 1);
    assert.deepEqual(await q.countByStatus(), { queued: 1, deferred: 1, delivered: 1, failed: 0 });
    const entry = (await q.entry("m1"))!;
    assert.equal(entry.attempts.length, 1);
    assert.equal(entry.recipients[1]!.attempts, 1);
    assert.deepEqual((await q.list()).map((r) => [r.id, r.recipients, r.pending]), [["m1", 2, 1], [
      "m2",
      1,
      1,
    ]]);
    // The final outcome, the DSN it causes and the delay mark commit together; the message goes.
    const blob = await q.record(
      "m1",
      [
        { index: 1, status: "failed", reply: "550 no", host: "mx.two.example", attempted: true },
      ],
      [],
      now,
      {
        removeIfFinished: true,
        enqueue: [{
          message: queued("dsn1", "d".repeat(64), now, { from: null, isDsn: true }),
          recipients: [{ address: "bob@example.org" }],
        }],
      },
    );
    assert.equal(blob, "b".repeat(64), "the last final outcome removes the message and gives its blob");
    assert.equal(await q.getMessage("m1"), null);
    assert.equal((await q.getMessage("dsn1"))?.isDsn, true);
    await q.record("m2", [], [], now, { delayNotified: [0] });
    assert.equal((await q.recipients("m2"))[0]!.delayNotified, true);
    assert.deepEqual(await q.finishedMessageIds(), []);
    assert.equal(await q.delete("m2"), "c".repeat(64));
    assert.equal(await q.delete("m2"), null);
    assert.deepEqual((await q.list()).map((r) => r.id), ["dsn1"]);
  });

  test("queue: a failing write changes nothing", async (c) => {
    const now = new Date(Date.UTC(2025, 0, 1));
    const q = c.store.queue;
    await q.insert(queued("m1", "b".repeat(64), now), [{ address: "a@one.example" }], now);
    // The second enqueued message reuses an existing id: the whole record call is rolled back,
    // the first enqueued message and the outcome with it.
    await assert.rejects(q.record(
      "m1",
      [
        { index: 0, status: "delivered", reply: "250 ok", host: null, attempted: true },
      ],
      [],
      now,
      {
        enqueue: [
          { message: queued("fresh", "c".repeat(64), now), recipients: [{ address: "x@one.example" }] },
          { message: queued("m1", "c".repeat(64), now), recipients: [] },
        ],
      },
    ));
    assert.equal(await q.getMessage("fresh"), null);
    assert.equal((await q.recipients("m1"))[0]!.status, "queued");
    assert.deepEqual((await q.entry("m1"))!.attempts, []);
  });

  test("a retained blob survives garbage collection until released", async (c) => {
    const { blobId } = await c.store.blobs.put(enc.encode("queued message"));
    await c.store.retainBlob(blobId);
    await c.store.collectGarbage();
    assert.ok(await c.store.blobs.get(blobId));
    await c.store.releaseBlob(blobId);
    await c.store.collectGarbage();
    assert.equal(await c.store.blobs.get(blobId), null);
  });
}
